"""A scriptable provider and a throw-away operation for metering tests."""

import threading
import types
from decimal import Decimal

from flask import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from igny8 import hookimpl
from igny8.ai.provider import Provider, ProviderError, TextResult
from igny8.ai.usage import Usage
from igny8.api.runs import execute
from igny8.api.validation import documented
from igny8.extensions import db
from igny8.models import AIModelConfig, CreditTransaction
from igny8.registry import Operation


class ScriptedProvider(Provider):
    """Answers from a script: a Usage to report, or a ProviderError to raise."""

    name = "scripted"
    model_types = ("text",)
    key_env_var = None

    def __init__(self):
        self.calls = []
        self.script = []
        self.default = Usage(input_tokens=1000, output_tokens=500)
        self.lock = threading.Lock()

    def complete(self, request, credential):
        with self.lock:
            self.calls.append(request)
            step = self.script.pop(0) if self.script else self.default
        if isinstance(step, ProviderError):
            raise step
        return TextResult(text='{"ok": true}', raw={"scripted_usage": step})


class Gate(ScriptedProvider):
    """A provider that holds each call until the test opens the gate."""

    def __init__(self):
        super().__init__()
        self.entered, self.gate = threading.Event(), threading.Event()

    def complete(self, request, credential):
        self.entered.set()
        assert self.gate.wait(10)
        return super().complete(request, credential)


def scripted_plugin(provider):
    module = types.ModuleType("scripted_plugin")

    def register_providers(register):
        register(provider)

    def report_usage(provider, model, response):
        if provider == "scripted" and isinstance(response, dict):
            return response.get("scripted_usage")
        return None

    def register_operations(register):
        register(
            Operation(
                "echo",
                module="writer",
                model_type="text",
                title="Echo",
                handler=lambda ctx, item: {
                    "text": ctx.text([{"role": "user", "content": f"say {item}"}]).output
                },
            )
        )

    module.igny8_register_providers = hookimpl(register_providers)
    module.igny8_report_usage = hookimpl(report_usage)
    module.igny8_register_operations = hookimpl(register_operations)
    return module


def add_model(
    name="scripted-1",
    provider="scripted",
    model_type="text",
    tokens_per_credit=1000,
    price_in="0.002",
    price_cached=None,
    price_out="0.008",
    per_image="0",
    credits_per_image=1,
    **extra,
) -> AIModelConfig:
    model = AIModelConfig(
        model_name=name,
        provider=provider,
        model_type=model_type,
        display_name=name,
        cost_per_1k_input=Decimal(price_in),
        cost_per_1k_cached_input=Decimal(price_cached) if price_cached else None,
        cost_per_1k_output=Decimal(price_out),
        cost_per_image=Decimal(per_image),
        tokens_per_credit=tokens_per_credit,
        credits_per_image=credits_per_image,
        **extra,
    )
    db.session.add(model)
    db.session.flush()
    return model


def model_named(name) -> AIModelConfig:
    return db.session.execute(
        select(AIModelConfig).where(AIModelConfig.model_name == name)
    ).scalar_one()


# Throw-away operations that make one metered call per item: text and image.
SAY = Operation(
    "say",
    module="writer",
    model_type="text",
    title="Say",
    handler=lambda ctx, item: {"text": ctx.text([{"role": "user", "content": item}]).output},
)
DRAW = Operation(
    "draw",
    module="images",
    model_type="image",
    title="Draw",
    handler=lambda ctx, item: {"n": len(ctx.images(item).output.images)},
)


class EchoIn(Schema):
    items = fields.List(
        fields.Raw(allow_none=True), required=True, validate=validate.Length(min=1, max=100)
    )


class EchoRoute:
    """POST /api/v1/echo/ {"items": [...]}: runs the scripted plugin's "echo" operation
    through the API (the session's shared apps have it; "echo" exists while a test has
    registered scripted_plugin)."""

    @hookimpl
    def igny8_register_blueprints(self, app):
        bp = Blueprint("echo_route", __name__, url_prefix="/api/v1/echo")

        @bp.post("/")
        @documented("Run the scripted echo operation on the items sent", body=EchoIn, run=True)
        def echo(data):
            return execute("echo", data["items"])

        app.register_blueprint(bp)


class OperationsPlugin:
    """Registers SAY and DRAW."""

    @hookimpl
    def igny8_register_operations(self, register):
        register(SAY)
        register(DRAW)


class SlowProvider(ScriptedProvider):
    """Takes ``delay`` seconds a call and keeps count: calls in flight, the peak, and when
    each call started and ended, by its message (``say <item>``)."""

    def __init__(self, delay=0.2):
        super().__init__()
        self.delay = delay
        self.in_flight = self.peak = 0
        self.spans: dict[str, tuple[float, float]] = {}
        self.gate = None  # a threading.Event that holds every call until it is set

    def complete(self, request, credential):
        import time

        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        started = time.monotonic()
        try:
            if self.gate is not None:
                assert self.gate.wait(10)
            time.sleep(self.delay)
            return super().complete(request, credential)
        finally:
            with self.lock:
                self.in_flight -= 1
                said = request.messages[-1]["content"].removeprefix("say ")
                self.spans[said] = (started, time.monotonic())


def ledger_rows(account_id):
    """(type, amount) of the account's ledger rows, oldest first."""
    return [
        (t.type, t.amount)
        for t in db.session.execute(
            select(CreditTransaction)
            .where(CreditTransaction.account_id == account_id)
            .order_by(CreditTransaction.id)
        ).scalars()
    ]


def generated_usages(rng, card, n: int):
    """Random token mixes a model's card can meet: cached reads, cache writes of both
    TTLs, reasoning, below and above every prompt-size tier, every service tier, web
    searches and inference geographies the card declares."""
    thresholds = sorted({t.above_input_tokens for t in card.base.tiers}) or [200_000]
    tiers = ["standard", *card.service_tiers]
    geos = sorted(card.geo_multipliers)
    for i in range(n):
        # a third near or above a tier threshold, the rest anywhere below
        if i % 3 == 0:
            edge = rng.choice(thresholds)
            total_input = max(0, edge + rng.randint(-3, 60_000))
        else:
            total_input = rng.randint(0, 150_000)
        cached = rng.randint(0, total_input) if rng.random() < 0.6 else 0
        writes = rng.randint(0, total_input - cached) if rng.random() < 0.5 else 0
        one_hour = rng.randint(0, writes) if writes and rng.random() < 0.5 else 0
        output = rng.randint(0, 64_000)
        reasoning = rng.randint(0, output) if rng.random() < 0.4 else 0
        searches = rng.randint(1, 12) if "web_search" in card.tool_fees and i % 4 == 0 else 0
        geo = rng.choice(geos) if geos and i % 5 == 0 else None
        yield Usage(
            tool_requests={"web_search": searches} if searches else {},
            inference_geo=geo,
            input_tokens=total_input,
            cached_input_tokens=cached,
            cache_write_tokens=writes,
            cache_write_1h_tokens=one_hour,
            output_tokens=output,
            reasoning_tokens=reasoning,
            service_tier=tiers[i % len(tiers)],
        )


# The text models the built-in provider plugins' catalogs bring (the offline one aside):
# the models the API lists and the price oracle compares.
CATALOG_TEXT_MODELS = frozenset(
    (
        "gpt-4o-mini",
        "gpt-4o",
        "gpt-4.1",
        "gpt-4.1-mini",
        "gpt-5.1",
        "gpt-5.2",
        "gpt-5-mini",
        "o4-mini",
        "claude-sonnet-4-6",
        "claude-opus-4-6",
        "claude-sonnet-4-5",
        "claude-opus-4-5",
        "claude-haiku-4-5",
        "gemini-2.5-flash",
        "gemini-2.5-flash-lite",
        "gemini-2.5-pro",
        "gemini-3.5-flash",
        "gpt-4.1-nano",
        "o3",
        "gpt-5.4",
        "gpt-5.4-mini",
        "gpt-5.4-nano",
        "gpt-5.5",
        "gpt-6-sol",
        "gpt-6-luna",
        "gpt-6.1-sol",
        "gpt-6.1-terra",
        "claude-opus-4-7",
        "claude-opus-4-8",
        "claude-opus-5",
        "claude-opus-5-5",
        "claude-sonnet-5",
        "claude-sonnet-5-5",
        "claude-haiku-5-5",
    )
)
