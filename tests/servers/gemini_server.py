"""Google's Gemini API wire format: POST /v1[beta]/models/{model}:generateContent.

Behaviours: ok, cached (a context-cache hit), thinking (thought tokens), image (an image
part, for image models), no_usage, rate_limit, server_error, auth, bad_request, slow,
malformed."""

import base64

from .base import WireServer

PNG_1x1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
)


def error(code, status, message, headers=None):
    return code, {"error": {"code": code, "message": message, "status": status}}, headers


class GeminiServer(WireServer):
    routes = {r"/v1(?:beta)?/models/(?P<model>[^/:]+):generateContent": "generate"}

    def __init__(self):
        super().__init__()
        self.reply_text = "Hello from the local Gemini server."
        self.usage = {"promptTokenCount": 1200, "candidatesTokenCount": 300}

    def generate(self, request, behaviour):
        failed = {
            "rate_limit": error(429, "RESOURCE_EXHAUSTED", "Quota exceeded", {"Retry-After": "0"}),
            "server_error": error(500, "INTERNAL", "An internal error has occurred"),
            "auth": error(
                400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key."
            ),
            "forbidden": error(403, "PERMISSION_DENIED", "Permission denied"),
            "bad_request": error(400, "INVALID_ARGUMENT", "Invalid value at 'contents'"),
        }.get(behaviour)
        if failed:
            return failed
        model = request["params"]["model"]
        usage = dict(self.usage)
        parts = [{"text": self.reply_text}]
        if behaviour == "cached":
            usage["cachedContentTokenCount"] = 1000
        if behaviour == "thinking":
            usage["thoughtsTokenCount"] = 200
        if behaviour == "image" or "image" in model:
            parts = [
                {
                    "inlineData": {
                        "mimeType": "image/png",
                        "data": base64.b64encode(PNG_1x1).decode(),
                    }
                }
            ]
            usage = {
                "promptTokenCount": 12,
                "candidatesTokenCount": 1290,
                "candidatesTokensDetails": [{"modality": "IMAGE", "tokenCount": 1290}],
            }
        usage["totalTokenCount"] = sum(
            v for k, v in usage.items() if k.endswith("Count") and k != "cachedContentTokenCount"
        )
        payload = {
            "candidates": [
                {"content": {"parts": parts, "role": "model"}, "finishReason": "STOP", "index": 0}
            ],
            "modelVersion": model,
            "responseId": "local-response",
        }
        if behaviour != "no_usage":
            payload["usageMetadata"] = usage
        return 200, payload, None
