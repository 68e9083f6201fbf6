"""OpenAI usage -> igny8 Usage. prompt_tokens already include cached tokens, and
completion_tokens already include reasoning tokens."""

from openai.types import ImagesResponse
from openai.types.chat import ChatCompletion

from igny8.ai.usage import Usage


def _detail(details, name) -> int:
    return int(getattr(details, name, 0) or 0) if details is not None else 0


def usage_from(response) -> Usage | None:
    if isinstance(response, ChatCompletion):
        usage = response.usage
        if usage is None:
            return None
        prompt, completion = usage.prompt_tokens or 0, usage.completion_tokens or 0
        return Usage(
            input_tokens=prompt,
            cached_input_tokens=min(prompt, _detail(usage.prompt_tokens_details, "cached_tokens")),
            output_tokens=completion,
            reasoning_tokens=min(
                completion, _detail(usage.completion_tokens_details, "reasoning_tokens")
            ),
            raw=usage.model_dump(exclude_none=True),
        )
    if isinstance(response, ImagesResponse):
        images = len(response.data or [])
        usage = response.usage
        if usage is None:
            return Usage(images=images)
        prompt = usage.input_tokens or 0
        return Usage(
            input_tokens=prompt,
            cached_input_tokens=min(
                prompt, _detail(getattr(usage, "input_tokens_details", None), "cached_tokens")
            ),
            output_tokens=usage.output_tokens or 0,
            images=images,
            raw=usage.model_dump(exclude_none=True),
        )
    return None
