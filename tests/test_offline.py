"""The offline provider: deterministic, well-formed JSON for a schema, real PNGs."""

import json
import struct
import zlib

import igny8_offline

from igny8.ai.provider import Credential, ImageRequest, TextRequest

SCHEMA = {
    "type": "object",
    "properties": {
        "clusters": {
            "type": "array",
            "minItems": 2,
            "maxItems": 2,
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "maxLength": 40},
                    "kind": {"enum": ["guide", "review"]},
                    "score": {"type": "integer", "minimum": 1, "maximum": 5},
                    "keywords": {
                        "type": "array",
                        "x-offline": "pick",
                        "minItems": 2,
                        "maxItems": 2,
                        "items": {"type": "string"},
                    },
                },
            },
        },
        "article": {"type": "string", "x-offline": "html", "x-offline-words": 120},
    },
}
PROMPT = "Group these keywords:\n- best running shoes\n- trail shoes\n- shoe sizes\n- running socks\n- marathon plan"


def complete(prompt=PROMPT, schema=SCHEMA):
    return igny8_offline.PROVIDER.complete(
        TextRequest(
            "offline-text", [{"role": "user", "content": prompt}], json=True, json_schema=schema
        ),
        Credential(),
    )


def test_json_follows_the_schema_and_picks_listed_inputs():
    data = json.loads(complete().text)
    assert len(data["clusters"]) == 2
    picked = [k for c in data["clusters"] for k in c["keywords"]]
    assert picked == [
        "best running shoes",
        "trail shoes",
        "shoe sizes",
        "running socks",
    ]  # each once
    for cluster in data["clusters"]:
        assert cluster["kind"] in ("guide", "review") and 1 <= cluster["score"] <= 5
        assert isinstance(cluster["name"], str) and len(cluster["name"]) <= 40
    assert data["article"].startswith("<h2>") and len(data["article"].split()) >= 120


def test_output_is_a_pure_function_of_the_request():
    assert complete().text == complete().text
    assert complete().text != complete(prompt=PROMPT + "\n- sprint drills").text


def test_plain_text_respects_max_tokens():
    result = igny8_offline.PROVIDER.complete(
        TextRequest(
            "offline-text", [{"role": "user", "content": "Tell me about tea"}], max_tokens=40
        ),
        Credential(),
    )
    usage = igny8_offline.igny8_report_usage("offline", "offline-text", result.raw)
    assert 0 < usage.output_tokens <= 40


def test_images_are_real_pngs_of_the_requested_size():
    result = igny8_offline.PROVIDER.generate_images(
        ImageRequest("offline-image", "a teapot", size="64x32", n=2), Credential()
    )
    data = result.images[0].data
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (64, 32)
    idat = data[data.index(b"IDAT") + 4 : data.index(b"IEND") - 8]
    assert len(zlib.decompress(idat)) == 32 * (1 + 64 * 3)
    assert result.images[0].data != result.images[1].data
