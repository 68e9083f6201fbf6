"""Runware's HTTP task API: POST /v1 with a JSON list of tasks.

Behaviours: ok, rate_limit, server_error, auth, task_error, slow, malformed."""

import uuid

from .base import WireServer


class RunwareServer(WireServer):
    routes = {"/v1": "tasks"}

    def __init__(self):
        super().__init__()
        self.cost_per_image = 0.0013

    def tasks(self, request, behaviour):
        errors = {
            "rate_limit": (429, "rateLimitExceeded", "Too many requests"),
            "server_error": (500, "internalError", "Internal error"),
            "auth": (401, "invalidApiKey", "Invalid API key."),
            "task_error": (400, "invalidModel", "Model not found"),
        }
        if behaviour in errors:
            status, code, message = errors[behaviour]
            headers = {"Retry-After": "0"} if status == 429 else None
            return (
                status,
                {"errors": [{"code": code, "message": message, "taskType": "imageInference"}]},
                headers,
            )
        data = []
        for task in request["json"]:
            if task.get("taskType") != "imageInference":
                continue
            for _ in range(task.get("numberResults", 1)):
                image_id = str(uuid.uuid4())
                item = {
                    "taskType": "imageInference",
                    "taskUUID": task["taskUUID"],
                    "imageUUID": image_id,
                    "imageURL": f"{self.url}/images/{image_id}.png",
                }
                if task.get("includeCost"):
                    item["cost"] = self.cost_per_image
                data.append(item)
        return 200, {"data": data}, None
