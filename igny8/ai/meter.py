"""One metered provider call: hold, call, report usage, price, settle, log (DESIGN §4 rules 2-7).

The hold and the settlement are each committed on their own, so no lock or
transaction is held while the provider works; a process killed in between leaves
a hold that `flask igny8 release-stale-holds` gives back.
"""

import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from ..billing import ledger
from ..billing.credits import (
    CreditRate,
    charge,
    credits_for,
    max_tokens_within,
    worst_case_images,
    worst_case_text,
)
from ..billing.pricing import ZERO, Cost, UnitPrices, price
from ..extensions import db
from ..models import CreditUsageLog
from .credentials import credential_for, redact
from .provider import ImageRequest, ImageResult, Provider, ProviderError, TextRequest, TextResult
from .retry import RetryPolicy, call_with_retries
from .tokens import count_message_tokens, count_tokens
from .usage import Usage

log = logging.getLogger(__name__)


class OutputError(ValueError):
    """The model answered, but not with what the operation asked for (-> bad_response)."""


@dataclass(frozen=True)
class ModelChoice:
    """A resolved model, captured as plain values so nothing reloads it during a run."""

    model_id: int
    model_name: str
    model_type: str
    provider: Provider
    prices: UnitPrices
    rate: CreditRate
    max_output_tokens: int | None
    resolved_by: str


@dataclass(frozen=True)
class CallResult:
    output: Any  # the parsed text output, or an ImageResult
    usage: Usage
    credits: int
    cost: Cost
    request_id: str
    usage_log_id: int


class Meter:
    """Makes metered calls for one account, site, run and operation."""

    def __init__(self, *, account_id: int, operation: str, site_id: int | None = None,
                 run_id: int | None = None, pm=None, policy: RetryPolicy | None = None,
                 timeout: float = 120.0, sleep=time.sleep):
        self.account_id = account_id
        self.operation = operation
        self.site_id = site_id
        self.run_id = run_id
        self.pm = pm
        self.policy = policy or RetryPolicy()
        self.timeout = timeout
        self.sleep = sleep
        self.credits_used = 0
        self.cost_usd = ZERO

    def text(self, choice: ModelChoice, messages: list[dict], *, temperature: float,
             max_tokens: int, json: bool = False, schema: dict | None = None,
             parse=None) -> CallResult:
        prompt_tokens = count_message_tokens(messages)
        if choice.max_output_tokens:
            max_tokens = min(max_tokens, choice.max_output_tokens)
        worst = worst_case_text(prompt_tokens, max_tokens, choice.rate)

        def allowed(held):  # cap max_tokens so the worst case fits what was held
            return max_tokens_within(held, prompt_tokens, max_tokens, choice.rate)

        def invoke(credential, held):
            request = TextRequest(model=choice.model_name, messages=messages,
                                  temperature=temperature, max_tokens=allowed(held), json=json,
                                  json_schema=schema, timeout=self.timeout)
            return choice.provider.complete(request, credential)

        def estimate(result: TextResult) -> Usage:
            output = count_tokens(result.text)
            return Usage(input_tokens=prompt_tokens, output_tokens=output, estimated=True)

        return self._call(choice, worst, invoke, estimate, parse or (lambda r: r.text),
                          fits=lambda held: allowed(held) >= 1)

    def images(self, choice: ModelChoice, prompt: str, *, n: int = 1, size: str = "1024x1024",
               quality: str | None = None, style: str | None = None) -> CallResult:
        def invoke(credential, held):
            request = ImageRequest(model=choice.model_name, prompt=prompt, size=size,
                                   quality=quality, style=style, n=n, timeout=self.timeout)
            return choice.provider.generate_images(request, credential)

        def estimate(result: ImageResult) -> Usage:
            return Usage(images=len(result.images), estimated=True)

        return self._call(choice, worst_case_images(n, choice.rate), invoke, estimate, lambda r: r)

    # -- the one path every call takes --------------------------------------------------

    def _call(self, choice: ModelChoice, worst_case: int, invoke, estimate, parse,
              fits=None) -> CallResult:
        request_id = uuid.uuid4().hex
        held = ledger.hold(self.account_id, worst_case, choice.rate.min_credits, request_id)
        if fits is not None and not fits(held):
            # Not even the prompt fits in the balance: refuse before calling anyone.
            db.session.rollback()
            raise ledger.InsufficientCredits(self.account_id, worst_case)
        db.session.commit()

        started = time.perf_counter()
        credential, usage = None, None
        try:
            credential = credential_for(choice.provider)
            result, _attempts = call_with_retries(lambda: invoke(credential, held), self.policy,
                                                  self.sleep)
            usage = self._usage_of(choice, result.raw) or estimate(result)
            output = parse(result)
        except OutputError as exc:
            error = ProviderError("bad_response", f"unusable model output: {exc}")
            self._fail(choice, request_id, held, started, usage, error.code)
            raise error from None
        except ProviderError as exc:
            if usage is None and exc.response is not None:
                usage = self._usage_of(choice, exc.response)
            exc.message = redact(exc.message, credential)
            exc.args = (exc.message,)
            self._fail(choice, request_id, held, started, usage, exc.code)
            raise
        except Exception as exc:  # a provider plugin bug must not leave the hold behind
            error = ProviderError("bad_response", f"provider {choice.provider.name} failed: "
                                  f"{redact(type(exc).__name__ + ': ' + str(exc), credential)}")
            self._fail(choice, request_id, held, started, usage, error.code)
            raise error from None
        return self._settle(choice, request_id, held, started, usage, output)

    def _usage_of(self, choice: ModelChoice, raw) -> Usage | None:
        if self.pm is None or raw is None:
            return None
        usage = self.pm.hook.igny8_report_usage(provider=choice.provider.name,
                                                model=choice.model_name, response=raw)
        if usage is not None and not isinstance(usage, Usage):
            log.warning("igny8_report_usage for %s returned %r, not a Usage; estimating",
                        choice.provider.name, type(usage).__name__)
            return None
        return usage

    def _settle(self, choice, request_id, held, started, usage, output) -> CallResult:
        cost = price(usage, choice.prices)
        due = charge(credits_for(usage, choice.rate), held)
        charged, unbilled, error_code = due.charged, due.unbilled, None
        try:
            ledger.settle(self.account_id, held, charged, request_id,
                          description=f"{self.operation} on {choice.model_name}")
            row, row_id = self._log(choice, request_id, started, usage, cost, charged, unbilled,
                                    "success", None)
        except IntegrityError:
            # The hold was released meanwhile (release-stale-holds): nothing is left to charge.
            db.session.rollback()
            charged, unbilled, error_code = 0, due.credits, "hold_released"
            row, row_id = self._log(choice, request_id, started, usage, cost, 0, unbilled,
                                    "success", error_code)
        self.credits_used += charged
        self.cost_usd += cost.total
        self._recorded(row)
        return CallResult(output, usage, charged, cost, request_id, row_id)

    def _fail(self, choice, request_id, held, started, usage, code) -> None:
        db.session.rollback()
        usage = usage or Usage()
        cost = price(usage, choice.prices)
        try:
            if held:
                ledger.release(self.account_id, held, request_id, description=f"call failed: {code}")
            row, _ = self._log(choice, request_id, started, usage, cost, 0, 0, "failed", code)
        except IntegrityError:  # already released by release-stale-holds
            db.session.rollback()
            row, _ = self._log(choice, request_id, started, usage, cost, 0, 0, "failed", code)
        self.cost_usd += cost.total
        self._recorded(row)

    def _log(self, choice, request_id, started, usage, cost, charged, unbilled, status, code):
        """Write the usage row and commit it with the ledger rows before it; returns (row, id)."""
        row = CreditUsageLog(
            account_id=self.account_id, site_id=self.site_id, run_id=self.run_id,
            operation=self.operation, provider=choice.provider.name,
            model_config_id=choice.model_id, request_id=request_id,
            input_tokens=usage.input_tokens, cached_input_tokens=usage.cached_input_tokens,
            cache_write_tokens=usage.cache_write_tokens, output_tokens=usage.output_tokens,
            reasoning_tokens=usage.reasoning_tokens, images=usage.images,
            usage_estimated=usage.estimated,
            price_per_1k_input=choice.prices.input,
            price_per_1k_cached_input=choice.prices.effective_cached_input,
            price_per_1k_output=choice.prices.output, price_per_image=choice.prices.image,
            cost_usd_input=cost.input, cost_usd_output=cost.output, cost_usd_total=cost.total,
            credits_used=charged, credits_unbilled=unbilled,
            latency_ms=round((time.perf_counter() - started) * 1000),
            status=status, error_code=code, raw_usage=usage.raw or None,
        )
        db.session.add(row)
        db.session.flush()
        row_id = row.id
        db.session.commit()
        return row, row_id

    def _recorded(self, row) -> None:
        if self.pm is None:
            return
        try:
            self.pm.hook.igny8_usage_recorded(usage_log=row)
        except Exception:  # an exporter's failure never undoes a committed charge
            log.exception("an igny8_usage_recorded hook failed for %s", row.request_id)
