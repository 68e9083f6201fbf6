"""One metered provider call: hold, call, report usage, price, settle, log (DESIGN §4 rules 2-7).

The hold and the settlement are each committed on their own, so no lock or
transaction is held while the provider works; a process killed in between leaves
a hold that `flask igny8 release-stale-holds` gives back.

The meter writes through a database connection of its own (igny8.billing.writer):
this is the hot path of the product (see bench/metering.py). It never commits or rolls
back the caller's session: the engine owns that transaction (igny8.ai.engine).
"""

import copy
import logging
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.exc import IntegrityError, StatementError

from ..billing import ledger, plausibility
from ..billing.credits import (
    CreditRate,
    charge,
    credits_for,
    max_tokens_within,
    worst_case_images,
    worst_case_text,
)
from ..billing.pricing import (
    ZERO,
    Bill,
    PriceCard,
    bill_columns,
    by_image_tokens,
    image_tokens,
    price,
)
from ..billing.references import CallReference
from ..billing.writer import writer_for
from ..database import commit_keeping_loaded
from ..extensions import db
from ..models import CreditUsageLog
from ..timeutil import utcnow
from .credentials import credential_for
from .provider import (
    ImageRequest,
    ImageResult,
    Provider,
    ProviderError,
    TextRequest,
    TextResult,
    redact,
)
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
    card: PriceCard
    rate: CreditRate
    max_output_tokens: int | None
    resolved_by: str
    request_options: dict | None = None
    # The provider's own plugin's igny8_report_usage (registry.usage_reporter); None: estimate.
    report_usage: Any = None
    # What a call waits for (igny8.limits.ModelLimits): the account's own limits on the
    # model, if any, then the model's, last; None: no limits.
    limits: Any = None


@dataclass(frozen=True)
class CallResult:
    output: Any  # the parsed text output, or an ImageResult
    usage: Usage
    credits: int
    cost: Bill
    request_id: str
    usage_log_id: int


class Meter:
    """Makes metered calls for one account, site, run and operation."""

    def __init__(
        self,
        *,
        account_id: int,
        operation: str,
        site_id: int | None = None,
        run_id: int | None = None,
        pm=None,
        policy: RetryPolicy | None = None,
        timeout: float = 120.0,
        sleep=time.sleep,
        limits=None,
        plausible: plausibility.Plausible | None = None,
    ):
        self.account_id = account_id
        self.operation = operation
        self.site_id = site_id
        self.run_id = run_id
        self.pm = pm
        self.policy = policy or RetryPolicy()
        self.timeout = timeout
        self.sleep = sleep
        # What this meter's calls charged and cost (an item's, when made by for_item).
        self.credits_used = 0
        self.cost_usd = ZERO
        # The run's item being worked on: the calls' request ids name it.
        self.item: int | None = None
        # Shared by the meters of one run's items (they run in parallel threads): the
        # providers' keys, looked up once, and what a lost attempt already charged.
        self._prepaid: dict[int, int] = {}
        self._credentials: dict = {}
        self._credentials_lock = threading.Lock()
        self._wrote = False
        self.limits = limits
        self.plausible = plausible or plausibility.Plausible()

    def for_item(self, item: int) -> "Meter":
        """A meter for one item of the run: its own counts, the run's shared look-ups."""
        meter = copy.copy(self)
        meter.item, meter.credits_used, meter.cost_usd, meter._wrote = item, 0, ZERO, False
        return meter

    @contextmanager
    def _writing(self):
        """The money writer on a pooled connection of its own, for one step (hold, settle,
        release): no connection is kept while the provider works, so a process can have
        many calls in flight on a small pool."""
        self._wrote = True
        with db.engine.connect() as conn:
            yield writer_for(conn)

    def close(self) -> None:
        if self._wrote:
            self._wrote = False
            # Balances changed on the meter's connections: the session reads them afresh.
            ledger.forget_balance(self.account_id)

    def prepay(self, item: int, credits: int) -> None:
        """Item ``item`` was already charged ``credits`` by a worker that stopped before
        finishing it: its calls now are not charged again, up to that amount."""
        if credits > 0:
            self._prepaid[item] = credits

    def _request_id(self) -> str:
        return CallReference(self.run_id, self.item).new_id()

    def credential(self, provider: Provider):
        """The provider's key, looked up once per run. A read transaction the look-up
        begins is ended, so none stays open over the provider call."""
        found = self._credentials.get(provider.name)
        if found is None:
            session = db.session()
            began = not session.in_transaction()
            found = credential_for(provider)
            if began:  # only read: what the handler loaded stays loaded (no re-read)
                commit_keeping_loaded()
            with self._credentials_lock:
                self._credentials[provider.name] = found
        return found

    def text(
        self,
        choice: ModelChoice,
        messages: list[dict],
        *,
        temperature: float,
        max_tokens: int,
        json: bool = False,
        schema: dict | None = None,
        parse=None,
    ) -> CallResult:
        prompt_tokens = count_message_tokens(messages)
        if choice.max_output_tokens:
            max_tokens = min(max_tokens, choice.max_output_tokens)
        worst = worst_case_text(prompt_tokens, max_tokens, choice.rate, choice.card)

        def allowed(held):  # cap max_tokens so the worst case fits what was held
            return max_tokens_within(held, prompt_tokens, max_tokens, choice.rate, choice.card)

        def invoke(credential, held):
            request = TextRequest(
                model=choice.model_name,
                messages=messages,
                temperature=temperature,
                max_tokens=allowed(held),
                json=json,
                json_schema=schema,
                timeout=self.timeout,
                options=choice.request_options or {},
            )
            return choice.provider.complete(request, credential)

        def estimate(result: TextResult) -> Usage:
            output = count_tokens(result.text)
            return Usage(input_tokens=prompt_tokens, output_tokens=output, estimated=True)

        return self._call(
            choice,
            worst,
            invoke,
            estimate,
            parse or (lambda r: r.text),
            fits=lambda held: allowed(held) >= 1,
            tokens=lambda held: prompt_tokens + allowed(held),
        )

    def images(
        self,
        choice: ModelChoice,
        prompt: str,
        *,
        n: int = 1,
        size: str = "1024x1024",
        quality: str | None = None,
        style: str | None = None,
    ) -> CallResult:
        def invoke(credential, held):
            request = ImageRequest(
                model=choice.model_name,
                prompt=prompt,
                size=size,
                quality=quality,
                style=style,
                n=n,
                timeout=self.timeout,
                options=choice.request_options or {},
            )
            return choice.provider.generate_images(request, credential)

        def estimate(result: ImageResult) -> Usage:
            images = len(result.images)
            # A model priced by image tokens: the tokens such an image takes, else the most.
            per_image = image_tokens(choice.card, size, quality) or choice.rate.max_image_tokens
            tokens = images * (per_image or 0) if by_image_tokens(choice.card) else 0
            return Usage(
                input_tokens=count_tokens(prompt),
                output_tokens=tokens,
                image_output_tokens=tokens,
                images=images,
                image_size=size,
                image_quality=quality,
                estimated=True,
            )

        worst = worst_case_images(
            n,
            choice.rate,
            size=size,
            quality=quality,
            prompt_tokens=count_tokens(prompt),
            card=choice.card,
        )
        return self._call(choice, worst, invoke, estimate, lambda r: r)

    # -- the one path every call takes --------------------------------------------------

    def _call(
        self, choice: ModelChoice, worst_case: int, invoke, estimate, parse, fits=None, tokens=None
    ) -> CallResult:
        request_id = self._request_id()
        with self._writing() as writer:
            held = writer.hold(self.account_id, worst_case, choice.rate.min_credits, request_id)
            if fits is not None and not fits(held):
                # Not even the prompt fits in the balance: refuse before calling anyone.
                writer.release(
                    self.account_id, held, request_id, "refused: balance too small", None
                )
                raise ledger.InsufficientCredits(self.account_id, worst_case)

        started = time.perf_counter()
        credential, usage = None, None
        tries = Attempts()
        try:
            credential = self.credential(choice.provider)
            result, _ = call_with_retries(
                self._admitted(
                    choice,
                    tokens(held) if tokens else 0,
                    tries.timed(lambda: invoke(credential, held)),
                ),
                self.policy,
                self.sleep,
                pause=self._pause_for(choice),
            )
            usage = self._usage_of(choice, result.raw)
            if usage is None or (isinstance(result, ImageResult) and untold(usage, choice.card)):
                usage = estimate(result)
            if isinstance(result, ImageResult):
                usage = with_image_request(usage, result)
            output = parse(result)
        except OutputError as exc:
            error = ProviderError("bad_response", f"unusable model output: {exc}")
            self._fail(choice, request_id, held, started, usage, error.code, tries)
            raise error from None
        except ProviderError as exc:
            if usage is None and exc.response is not None:
                usage = self._usage_of(choice, exc.response)
            exc.message = redact(exc.message, credential)
            exc.args = (exc.message,)
            self._fail(choice, request_id, held, started, usage, exc.code, tries)
            raise
        except Exception as exc:  # a provider plugin bug must not leave the hold behind
            error = ProviderError(
                "bad_response",
                f"provider {choice.provider.name} failed: "
                f"{redact(type(exc).__name__ + ': ' + str(exc), credential)}",
            )
            self._fail(choice, request_id, held, started, usage, error.code, tries)
            raise error from None
        return self._settle(
            choice, request_id, held, started, usage, output, lambda: estimate(result), tries
        )

    def _admitted(self, choice: ModelChoice, tokens: int, attempt):
        """``attempt`` run once the model's limits let a call start (igny8.limits); the
        wait is before the call and charges nothing (the hold is already taken, and kept)."""
        if self.limits is None or choice.limits is None:
            return attempt

        def admitted():
            with self.limits.call(choice.limits, tokens, self.timeout):
                return attempt()

        return admitted

    def _pause_for(self, choice: ModelChoice):
        """Where a 429's Retry-After goes: a pause of the model's whole queue (every
        process waits), rather than this call sleeping on its own."""
        if self.limits is None or choice.limits is None:
            return None
        model = choice.limits[-1] if isinstance(choice.limits, tuple) else choice.limits
        return lambda seconds: self.limits.pause(model.key, seconds)

    def _usage_of(self, choice: ModelChoice, raw) -> Usage | None:
        if choice.report_usage is None or raw is None:
            return None
        usage = choice.report_usage(
            provider=choice.provider.name, model=choice.model_name, response=raw
        )
        if usage is not None and not isinstance(usage, Usage):
            log.warning(
                "igny8_report_usage for %s returned %r, not a Usage; estimating",
                choice.provider.name,
                type(usage).__name__,
            )
            return None
        return usage

    def _settle(
        self, choice, request_id, held, started, usage, output, estimate, tries
    ) -> CallResult:
        cost = price(usage, choice.card)
        doubt = plausibility.doubt(usage, cost, self.plausible)
        if doubt is None:
            due = charge(credits_for(usage, choice.rate, cost), held)
        else:
            # Not a bill but a fault: take what was held (the most this call could have
            # cost), record igny8's own count of it, keep the claim (docs/metering.md).
            log.error("call %s: %s; settled at its hold of %d credits", request_id, doubt, held)
            usage = replace(estimate(), raw={"claimed": claim_of(usage)})
            cost = price(usage, choice.card)
            due = charge(held, held)
        waived = min(self._prepaid.get(self.item, 0), due.charged)
        charged = due.charged - waived
        if waived:
            self._prepaid[self.item] -= waived
        values = self._usage_row(
            choice,
            request_id,
            started,
            usage,
            cost,
            charged,
            due.unbilled + waived,
            "success",
            "implausible_usage" if doubt else "charged_before" if waived else None,
            tries,
        )
        if doubt:
            values["price_note"] = doubt[:200]
        description = f"{self.operation} on {choice.model_name}"
        try:
            row_id, values = self._write(
                request_id,
                values,
                lambda writer, row: writer.settle(
                    self.account_id, held, charged, request_id, description, row
                ),
            )
        except IntegrityError:
            # The hold was released meanwhile (release-stale-holds): nothing is left to charge.
            charged = 0
            values.update(credits_used=0, credits_unbilled=due.credits, error_code="hold_released")
            row_id, values = self._write(request_id, values, _log_only)
        self.credits_used += charged
        self.cost_usd += cost.total
        self._recorded(values, row_id)
        return CallResult(output, usage, charged, cost, request_id, row_id)

    def _fail(self, choice, request_id, held, started, usage, code, tries) -> None:
        usage = usage or Usage()
        cost = price(usage, choice.card)
        doubt = plausibility.doubt(usage, cost, self.plausible)
        if doubt is not None:  # a failed call's error that claims the impossible
            usage = Usage(raw={"claimed": claim_of(usage)})
            cost = price(usage, choice.card)
        values = self._usage_row(
            choice, request_id, started, usage, cost, 0, 0, "failed", code, tries
        )
        if doubt:
            values["price_note"] = doubt[:200]
        try:
            row_id, values = self._write(
                request_id,
                values,
                lambda writer, row: writer.release(
                    self.account_id, held, request_id, f"call failed: {code}", row
                ),
            )
        except IntegrityError:  # already released by release-stale-holds
            row_id, values = self._write(request_id, values, _log_only)
        self.cost_usd += cost.total
        self._recorded(values, row_id)

    def _write(self, request_id: str, values: dict, step) -> tuple[int | None, dict]:
        """``step(writer, row)`` writes the call's money together with its usage row,
        atomically. Should the database refuse the row (a value it cannot store, a
        constraint, a rollup sum that would overflow), the money is written with a plain
        row (no counts, no cost, flagged settlement_error), and failing that alone: a
        refused row never leaves a hold behind. Returns the row's id (None: no row) and
        the values written. IntegrityError still means the call's hold was closed
        meanwhile (the exactly-once index refused the money, not the row)."""
        attempts = (values, plain_row(values), None)
        for attempt, fallback in zip(attempts, attempts[1:] + (None,), strict=True):
            try:
                with self._writing() as writer:
                    return step(writer, attempt), attempt
            except StatementError as exc:
                if attempt is None or (
                    isinstance(exc, IntegrityError) and self._closed(request_id)
                ):
                    raise
                log.error(
                    "the database refused the usage row of call %s (%s: %s); writing %s",
                    request_id,
                    type(getattr(exc, "orig", None) or exc).__name__,
                    str(getattr(exc, "orig", None) or exc).splitlines()[0][:200],
                    "a plain row" if fallback is not None else "its money without a row",
                )
        raise AssertionError("unreachable")

    def _closed(self, request_id: str) -> bool:
        with db.engine.connect() as conn:
            return ledger.closed(request_id, conn)

    def _usage_row(
        self, choice, request_id, started, usage, cost, charged, unbilled, status, code, tries
    ):
        return dict(
            account_id=self.account_id,
            site_id=self.site_id,
            run_id=self.run_id,
            operation=self.operation,
            provider=choice.provider.name,
            model_config_id=choice.model_id,
            request_id=request_id,
            input_tokens=usage.input_tokens,
            cached_input_tokens=usage.cached_input_tokens,
            cache_write_tokens=usage.cache_write_tokens,
            output_tokens=usage.output_tokens,
            reasoning_tokens=usage.reasoning_tokens,
            images=usage.images,
            usage_estimated=usage.estimated,
            **bill_columns(usage, cost),
            credits_used=charged,
            credits_unbilled=unbilled,
            latency_ms=round((time.perf_counter() - started) * 1000),
            status=status,
            error_code=code,
            raw_usage=usage.raw or None,
            attempts=tries.count,
            failed_attempts=tries.failed or None,
            created_at=utcnow(),
        )

    def _recorded(self, values, row_id) -> None:
        hook = self.pm.hook.igny8_usage_recorded if self.pm is not None else None
        if row_id is None or hook is None or not hook.get_hookimpls():
            return
        try:
            hook(usage_log=CreditUsageLog(id=row_id, **values))
        except Exception:  # an exporter's failure never undoes a committed charge
            log.exception("an igny8_usage_recorded hook failed for %s", values["request_id"])


class Attempts:
    """The provider attempts of one call, as the retry policy made them: how many, and
    each failed one's error code, HTTP status and milliseconds. Recorded on the call's
    usage row and counted by API Monitor and System Health, so that a provider that
    answers only after retries is seen (docs/admin.md)."""

    def __init__(self):
        self.count = 0  # 0: none was made (e.g. the wait for a limit ran out)
        self.failed: list[dict] = []

    def timed(self, attempt):
        def timed_attempt():
            self.count += 1
            started = time.perf_counter()
            try:
                return attempt()
            except ProviderError as exc:
                ms = round((time.perf_counter() - started) * 1000)
                self.failed.append({"code": exc.code, "status": exc.status, "ms": ms})
                raise

        return timed_attempt


def untold(usage: Usage, card: PriceCard) -> bool:
    """An image answer of a model billed by image tokens whose usage counts no tokens (a
    gpt-image answer without ``usage``): it says nothing the bill depends on."""
    told = usage.input_tokens or usage.output_tokens or usage.reported_cost_usd is not None
    return by_image_tokens(card) and not told


def _log_only(writer, row):
    """The usage row alone (its call's money was already written)."""
    return writer.log(row) if row is not None else None


def claim_of(usage: Usage) -> dict:
    """What a usage report claimed, as JSON: its counts, its cost and the provider's words."""
    claim = {f: getattr(usage, f) for f in (*plausibility.TOKEN_FIELDS, "images")}
    if usage.reported_cost_usd is not None:
        claim["reported_cost_usd"] = str(usage.reported_cost_usd)
    if usage.raw:
        claim["raw"] = usage.raw
    return claim


# A plain row keeps who and what, and the credits (so the ledger and the log agree).
_PLAIN_KEEPS = frozenset(
    (
        "attempts",
        "account_id",
        "site_id",
        "run_id",
        "operation",
        "provider",
        "model_config_id",
        "request_id",
        "credits_used",
        "credits_unbilled",
        "latency_ms",
        "status",
        "created_at",
    )
)


def plain_row(values: dict) -> dict:
    """``values`` with nothing the database could refuse left but who, what and the
    credits: counts zero, cost and prices empty, flagged settlement_error."""
    row = {}
    for key, value in values.items():
        if key in _PLAIN_KEEPS:
            row[key] = value
        elif isinstance(value, bool):
            row[key] = False
        elif isinstance(value, int):
            row[key] = 0
        else:
            row[key] = None
    row["error_code"] = "settlement_error"
    row["price_note"] = "the usage row as reported could not be stored (see the log)"
    return row


def with_image_request(usage: Usage, result: ImageResult) -> Usage:
    """Size and quality as asked, where the provider's usage does not say."""
    return replace(
        usage,
        image_size=usage.image_size or result.size,
        image_quality=usage.image_quality or result.quality,
    )
