"""Echo: says back what it is told, billed by the word (the tutorial's provider plugin)."""

from igny8.plugin import ModelSpec, Provider, TextResult, Usage, hookimpl


class Echo(Provider):
    name = "echo"
    model_types = ("text",)
    models = (ModelSpec("echo-1", "text", "Echo 1", input="1", output="2", tokens_per_credit=100),)

    def complete(self, request, credential):
        said = request.messages[-1]["content"]
        heard = sum(len(m["content"].split()) for m in request.messages)
        return TextResult(text=said, raw={"words_in": heard, "words_out": len(said.split())})


@hookimpl
def igny8_register_providers(register):
    register(Echo())


@hookimpl
def igny8_report_usage(provider, model, response):
    return Usage(input_tokens=response["words_in"], output_tokens=response["words_out"])
