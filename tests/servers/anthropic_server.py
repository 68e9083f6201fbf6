"""Anthropic's Messages API wire format: POST /v1/messages.

Behaviours: ok, cached (cache reads and writes), no_usage, rate_limit, overloaded,
server_error, auth, bad_request, slow, malformed."""

from .base import WireServer


def error(status, kind, message, headers=None):
    return status, {"type": "error", "error": {"type": kind, "message": message}}, headers


class AnthropicServer(WireServer):
    routes = {"/v1/messages": "messages"}

    def __init__(self):
        super().__init__()
        self.reply_text = "Hello from the local Anthropic server."
        self.usage = {"input_tokens": 200, "output_tokens": 500}

    def messages(self, request, behaviour):
        failed = {
            "rate_limit": error(429, "rate_limit_error", "Rate limited", {"retry-after": "0"}),
            "overloaded": error(529, "overloaded_error", "Overloaded"),
            "server_error": error(500, "api_error", "Internal error"),
            "auth": error(401, "authentication_error", "invalid x-api-key"),
            "bad_request": error(400, "invalid_request_error", "max_tokens: required"),
        }.get(behaviour)
        if failed:
            return failed
        body = request["json"]
        usage = dict(self.usage)
        if behaviour == "cached":
            usage.update(cache_read_input_tokens=3000, cache_creation_input_tokens=800)
        payload = {
            "id": "msg_local",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": [{"type": "text", "text": self.reply_text}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": usage,
        }
        if behaviour == "no_usage":
            payload["usage"] = {"input_tokens": 0, "output_tokens": 0}
        return 200, payload, None
