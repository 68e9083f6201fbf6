"""OpenAI: chat completions (JSON mode when an operation asks for JSON) and images
(dall-e-3, gpt-image-1) through the official SDK. Set OPENAI_API_KEY, or a key in
admin; OPENAI_BASE_URL points it at any OpenAI-compatible server (Ollama, vLLM, LM Studio)."""

from igny8.plugin import provider_hooks

from .provider import OpenAIProvider
from .usage import usage_from

PROVIDER = OpenAIProvider()

igny8_register_providers, igny8_report_usage = provider_hooks(PROVIDER, usage=usage_from)
