"""OpenAI usage -> igny8 Usage. prompt_tokens already include cached tokens, and
completion_tokens already include reasoning tokens. The service tier that served the call
is on the response; gpt-image responses report their tokens by modality, size and quality."""

from openai.types import ImagesResponse
from openai.types.chat import ChatCompletion

from igny8.plugin import Usage, normalise_service_tier


def _detail(details, name) -> int:
    return int(getattr(details, name, 0) or 0) if details is not None else 0


def usage_from(response) -> Usage | None:
    if isinstance(response, ChatCompletion):
        usage = response.usage
        if usage is None:
            return None
        prompt, completion = usage.prompt_tokens or 0, usage.completion_tokens or 0
        cached = min(prompt, _detail(usage.prompt_tokens_details, "cached_tokens"))
        return Usage(
            input_tokens=prompt,
            cached_input_tokens=cached,
            # Cache writes are billed on the models that report them (gpt-5.6, gpt-6 ...).
            cache_write_tokens=min(
                prompt - cached, _detail(usage.prompt_tokens_details, "cache_write_tokens")
            ),
            output_tokens=completion,
            reasoning_tokens=min(
                completion, _detail(usage.completion_tokens_details, "reasoning_tokens")
            ),
            service_tier=normalise_service_tier(response.service_tier),
            raw=usage.model_dump(exclude_none=True),
        )
    if isinstance(response, ImagesResponse):
        images = len(response.data or [])
        sized = dict(image_size=response.size, image_quality=response.quality)
        usage = response.usage
        if usage is None:  # dall-e's never do; a gpt-image one is estimated by the meter
            return Usage(images=images, **sized)
        prompt, output = usage.input_tokens or 0, usage.output_tokens or 0
        inputs = usage.input_tokens_details
        image_input = min(prompt, _detail(inputs, "image_tokens"))
        cached = min(prompt, _detail(inputs, "cached_tokens"))
        outputs = usage.output_tokens_details
        # Without a split, all of a gpt-image response's output tokens are image tokens.
        image_output = _detail(outputs, "image_tokens") if outputs is not None else output
        return Usage(
            input_tokens=prompt,
            cached_input_tokens=cached,
            image_input_tokens=image_input,
            cached_image_input_tokens=min(
                cached, image_input, _detail(inputs, "cached_image_tokens")
            ),
            output_tokens=output,
            image_output_tokens=min(output, image_output),
            images=images,
            raw=usage.model_dump(exclude_none=True),
            **sized,
        )
    return None
