"""Google Gemini: text and image models through the official ``google-genai`` SDK's
generateContent. Set GEMINI_API_KEY, or a key in admin; GEMINI_BASE_URL points it at
another server."""

from igny8.plugin import Usage, provider_hooks

from .provider import GeminiImages, GeminiProvider

PROVIDER = GeminiProvider()


def _one(metadata) -> dict:
    """One response's counts, as igny8 nests them: input all prompt tokens (cache hits and
    the prompt a tool used included), output the answer and the thinking."""
    if metadata is None:
        return {}
    prompt = (metadata.prompt_token_count or 0) + (metadata.tool_use_prompt_token_count or 0)
    thoughts = metadata.thoughts_token_count or 0
    output = (metadata.candidates_token_count or 0) + thoughts
    image_out = sum(
        d.token_count or 0
        for d in metadata.candidates_tokens_details or []
        if str(getattr(d.modality, "value", d.modality)).upper() == "IMAGE"
    )
    return {
        "input_tokens": prompt,
        "cached_input_tokens": min(prompt, metadata.cached_content_token_count or 0),
        "output_tokens": output,
        "reasoning_tokens": thoughts,
        "image_output_tokens": min(output, image_out),
    }


def usage_of(response) -> Usage | None:
    responses = list(response) if isinstance(response, GeminiImages) else [response]
    metadata = [getattr(r, "usage_metadata", None) for r in responses]
    if not responses or all(m is None for m in metadata):
        return None
    counts: dict = {}
    for one in map(_one, metadata):
        for key, value in one.items():
            counts[key] = counts.get(key, 0) + value
    images = sum(
        1
        for r in responses
        for c in getattr(r, "candidates", None) or []
        for p in (c.content.parts if c.content else None) or []
        if p.inline_data is not None
    )
    raw = [m.model_dump(exclude_none=True, mode="json") for m in metadata if m is not None]
    return Usage(**counts, images=images, raw={"usage_metadata": raw})


igny8_register_providers, igny8_report_usage = provider_hooks(PROVIDER, usage=usage_of)
