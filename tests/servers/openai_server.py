"""OpenAI's wire format: POST /v1/chat/completions and /v1/images/generations.

Behaviours: ok, cached, reasoning, no_usage, rate_limit, server_error, auth, bad_request,
slow, malformed, empty_choices."""

import base64
import json
import time

from .base import WireServer

PNG_1x1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
)


def error(status, kind, message, headers=None):
    return (
        status,
        {"error": {"message": message, "type": kind, "param": None, "code": kind}},
        headers,
    )


class OpenAIServer(WireServer):
    routes = {"/v1/chat/completions": "chat", "/v1/images/generations": "images"}

    def __init__(self):
        super().__init__()
        self.reply_text = "Hello from the local OpenAI server."
        self.reply_json = {"ok": True}
        self.usage = {"prompt_tokens": 1200, "completion_tokens": 300}

    def failure(self, behaviour, request):
        key = request["headers"].get("authorization", "").removeprefix("Bearer ")
        return {
            "rate_limit": error(
                429, "rate_limit_exceeded", "Rate limit reached", {"Retry-After": "0"}
            ),
            "server_error": error(500, "server_error", "The server had an error"),
            # Echoes the key, as careless servers do: igny8 must redact it.
            "auth": error(401, "invalid_api_key", f"Incorrect API key provided: {key}"),
            "bad_request": error(400, "invalid_request_error", "Unknown parameter"),
        }.get(behaviour)

    def chat(self, request, behaviour):
        failed = self.failure(behaviour, request)
        if failed:
            return failed
        body = request["json"]
        wants_json = (body.get("response_format") or {}).get("type") == "json_object"
        content = json.dumps(self.reply_json) if wants_json else self.reply_text
        usage = {**self.usage, "total_tokens": sum(self.usage.values())}
        if behaviour == "cached":
            usage["prompt_tokens_details"] = {"cached_tokens": 1000, "audio_tokens": 0}
        if behaviour == "reasoning":
            usage["completion_tokens_details"] = {"reasoning_tokens": 200, "audio_tokens": 0}
        payload = {
            "id": "chatcmpl-local",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": []
            if behaviour == "empty_choices"
            else [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
        }
        if behaviour != "no_usage":
            payload["usage"] = usage
        return 200, payload, None

    def images(self, request, behaviour):
        failed = self.failure(behaviour, request)
        if failed:
            return failed
        body = request["json"]
        n = body.get("n") or 1
        payload = {
            "created": int(time.time()),
            "data": [{"b64_json": base64.b64encode(PNG_1x1).decode()} for _ in range(n)],
        }
        if body["model"].startswith("gpt-image") and behaviour != "no_usage":
            payload["usage"] = {
                "input_tokens": 50,
                "output_tokens": 4160,
                "total_tokens": 4210,
                "input_tokens_details": {"text_tokens": 50, "image_tokens": 0},
            }
        return 200, payload, None
