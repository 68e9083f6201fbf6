"""Runware's task API: POST a JSON list of tasks, get {"data": [...]} or {"errors": [...]}."""

import uuid
from dataclasses import dataclass

import httpx

from igny8.plugin import (
    ClientCache,
    GeneratedImage,
    ImageRequest,
    ImageResult,
    Provider,
    ProviderError,
    redact,
    retry_after,
)

from .catalog import MODELS

API_URL = "https://api.runware.ai/v1"


@dataclass(frozen=True)
class RunwareResponse:
    body: dict

    @property
    def image_results(self) -> list[dict]:
        return [d for d in self.body.get("data") or [] if d.get("taskType") == "imageInference"]


def _error_message(response: httpx.Response) -> str:
    try:
        errors = response.json().get("errors") or []
    except ValueError:
        errors = []
    return (
        "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors)
        or f"HTTP {response.status_code}"
    )


class RunwareProvider(Provider):
    name = "runware"
    title = "Runware"
    description = "Image generation on Runware's inference platform."
    model_types = ("image",)
    key_env_var = "RUNWARE_API_KEY"
    models = MODELS
    base_url_env_var = "RUNWARE_BASE_URL"

    def __init__(self):
        self._clients = ClientCache(lambda credential, timeout: httpx.Client(timeout=timeout))

    def generate_images(self, request: ImageRequest, credential) -> ImageResult:
        width, height = request.width_height
        task = {
            "taskType": "imageInference",
            "taskUUID": str(uuid.uuid4()),
            "positivePrompt": request.prompt,
            "model": request.model,
            "width": width,
            "height": height,
            "numberResults": request.n,
            "outputType": "URL",
            "includeCost": True,
        }
        try:
            response = self._clients.get(credential, request.timeout).post(
                credential.base_url or API_URL,
                json=[task],
                headers={"Authorization": f"Bearer {credential.api_key}"},
            )
        except httpx.TimeoutException:
            raise ProviderError("timeout", "Runware did not answer in time") from None
        except httpx.HTTPError:
            raise ProviderError("unavailable", "could not connect to Runware") from None
        status = response.status_code
        message = redact(_error_message(response), credential)
        if status in (401, 403):
            raise ProviderError("auth_failed", f"Runware refused the key: {message}", status=status)
        if status == 429:
            raise ProviderError(
                "rate_limited",
                f"Runware rate limit: {message}",
                retry_after=retry_after(response.headers),
                status=status,
            )
        if status >= 500:
            raise ProviderError(
                "unavailable",
                f"Runware error {status}: {message}",
                retry_after=retry_after(response.headers),
                status=status,
            )
        if status >= 400:
            raise ProviderError(
                "invalid_request", f"Runware rejected the task: {message}", status=status
            )
        try:
            body = response.json()
        except ValueError:
            raise ProviderError("bad_response", "Runware sent an unreadable response") from None
        if not isinstance(body, dict):
            raise ProviderError("bad_response", "Runware sent an unexpected response")
        raw = RunwareResponse(body)
        if body.get("errors"):
            raise ProviderError(
                "invalid_request", f"Runware rejected the task: {message}", response=raw
            )
        images = [
            GeneratedImage(url=r.get("imageURL")) for r in raw.image_results if r.get("imageURL")
        ]
        if not images:
            raise ProviderError("bad_response", "Runware returned no image", response=raw)
        return ImageResult(images=images, raw=raw)
