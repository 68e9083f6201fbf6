"""The offline models: free, so the demo and the tests run with no key."""

from igny8.plugin import ModelSpec

MODELS = (
    ModelSpec(
        "offline-text",
        "text",
        "Offline text (no network)",
        context_window=32_768,
        max_output_tokens=8_192,
        pricing={"free": True},
    ),
    ModelSpec("offline-image", "image", "Offline image (no network)", pricing={"free": True}),
)
