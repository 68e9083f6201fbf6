"""A provider plugin as a third party writes one, outside the igny8 repository: one model
with its price, declared by the provider; callable as soon as it is installed."""

from dataclasses import dataclass

from igny8 import hookimpl
from igny8.ai.provider import ModelSpec, Provider, TextResult
from igny8.ai.usage import Usage


@dataclass(frozen=True)
class EchoResponse:
    words_in: int
    words_out: int


class Echo(Provider):
    name = "echo"
    title = "Echo"
    model_types = ("text",)
    models = (ModelSpec("echo-1", "text", "Echo 1", input="1", output="2", tokens_per_credit=100),)

    def complete(self, request, credential):
        said = request.messages[-1]["content"]
        words = sum(len(m["content"].split()) for m in request.messages)
        return TextResult(text=said, raw=EchoResponse(words, len(said.split())))


@hookimpl
def igny8_register_providers(register):
    register(Echo())


@hookimpl
def igny8_report_usage(provider, model, response):
    if isinstance(response, EchoResponse):
        return Usage(input_tokens=response.words_in, output_tokens=response.words_out)
    return None
