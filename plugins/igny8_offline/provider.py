"""The offline provider: output is a pure function of the request."""

import hashlib
import json
import random
import re
from dataclasses import dataclass, field

from igny8.plugin import (
    GeneratedImage,
    ImageRequest,
    ImageResult,
    Provider,
    TextRequest,
    TextResult,
)

from .catalog import MODELS
from .generate import from_schema, listed_inputs, prose
from .png import gradient_png


@dataclass(frozen=True)
class OfflineResponse:
    model: str
    messages: list = field(default_factory=list)
    text: str = ""
    images: int = 0


def _rng(*parts) -> random.Random:
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _vocabulary(messages) -> list[str]:
    """Words for generated text: from the inputs the prompt lists when there are enough,
    so that output is about the subject and not about the instructions."""
    listed = " ".join(listed_inputs(messages))
    text = (
        listed
        if len(set(listed.split())) >= 5
        else " ".join(m.get("content") or "" for m in messages if m.get("role") != "system")
    )
    words = [w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'-]{2,}", text)]
    filler = ["guide", "tips", "best", "how", "choose", "your", "the", "for", "and", "with"]
    return words + filler if words else filler


class OfflineProvider(Provider):
    name = "offline"
    title = "Offline (no network)"
    description = (
        "The embedded default: no key and no network. Deterministic text, JSON in the "
        "shape an operation asks for, and real PNG images."
    )
    model_types = ("text", "image")
    key_env_var = None
    models = MODELS

    def complete(self, request: TextRequest, credential) -> TextResult:
        rng = _rng(request.model, request.messages, request.json_schema)
        words = _vocabulary(request.messages)
        if request.json:
            schema = request.json_schema or {
                "type": "object",
                "properties": {"result": {"type": "string"}},
            }
            text = json.dumps(from_schema(schema, rng, words, request.messages))
        else:
            text = prose(rng, words, max_tokens=request.max_tokens)
        response = OfflineResponse(request.model, list(request.messages), text)
        return TextResult(text=text, raw=response)

    def generate_images(self, request: ImageRequest, credential) -> ImageResult:
        width, height = request.width_height
        images = [
            GeneratedImage(
                data=gradient_png(width, height, _rng(request.model, request.prompt, i)),
                mime_type="image/png",
            )
            for i in range(request.n)
        ]
        response = OfflineResponse(request.model, [], "", images=len(images))
        return ImageResult(images=images, raw=response)
