"""The one entry point for metered AI work, used by the API, the CLI and automation alike.

``submit`` records a queued OperationRun (refusing an unknown operation or a switched-off
module, replaying a seen Idempotency-Key); ``execute_run``, wherever the runner calls it
(igny8.runner), claims it, resolves the model and runs the operation's handler for each
item, committing the run's progress with each; one item's failure does not stop the
others (the run is then ``partial``), and a cancelled run stops before its next item.
``run_operation`` does both at once (the CLI, routes that call no model).

The engine owns the session's transactions: each item's writes are committed when its
handler returns and rolled back when it raises, after which the operation's
``on_failure(ctx, item, error)`` records the failure (e.g. a task marked ``failed`` so
that it is retried) in a transaction of its own. Handlers and the meter never commit.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from .. import modules, prompts, registry
from ..billing import audit, ledger
from ..billing.credits import CreditRate
from ..billing.pricing import PriceCard
from ..database import commit_keeping_loaded, holds_writes
from ..extensions import db
from ..models import (
    Account,
    AIModelConfig,
    CreditCostConfig,
    GlobalIntegrationSettings,
    IntegrationSettings,
    OperationRun,
)
from ..models.runs import FINISHED, abandoned_since, read_run
from ..plugins import current_plugins
from ..timeutil import utcnow
from .meter import CallResult, Meter, ModelChoice, OutputError
from .output import parse_json
from .provider import ProviderError
from .resolve import NoModelAvailable, Parameters, Resolution, resolve_model, resolve_parameters
from .retry import RetryPolicy

log = logging.getLogger(__name__)


class OperationRefused(Exception):
    """The operation may not run at all (unknown, switched off, no model)."""

    def __init__(self, code: str, message: str, status: int = 403):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used before for a different request."""


class ItemError(Exception):
    """A handler's refusal of one item (e.g. it does not exist); the run goes on."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class RunOutcome:
    run: OperationRun
    results: list = field(default_factory=list)
    replayed: bool = False


class OperationContext:
    """What a handler gets: the account and site, resolved parameters, metered calls."""

    def __init__(self, *, account: Account, site_id, run_id, operation, cost_config, meter):
        self.account_id = account.id
        self.site_id = site_id
        self.run_id = run_id
        self.operation = operation
        self.meter = meter
        self._allows_overrides = account.plan.allows_overrides
        self._min_credits = cost_config.min_credits if cost_config else operation.min_credits
        self._operation_default = cost_config.default_model if cost_config else None
        self._settings = GlobalIntegrationSettings.get()
        self._account_settings = db.session.execute(
            select(IntegrationSettings).where(IntegrationSettings.account_id == account.id)
        ).scalar_one_or_none()
        self.parameters: Parameters = resolve_parameters(
            self._settings,
            self._account_settings.config if self._account_settings else None,
            self._allows_overrides,
        )
        self._choices: dict = {}
        self._templates: dict = {}

    def choice(self, model_override: AIModelConfig | None = None) -> ModelChoice:
        """The model for this operation (a task's override first), resolved once per run."""
        key = model_override.id if model_override is not None else None
        if key not in self._choices:
            self._choices[key] = self._resolve(model_override)
        return self._choices[key]

    def resolution(self, override: AIModelConfig | None = None) -> Resolution:
        """The whole cascade for this operation and account (the Debug Console shows it)."""
        model_type = self.operation.model_type
        account = self._account_settings
        candidates = {
            "task": override,
            "account": (account.text_model if model_type == "text" else account.image_model)
            if account
            else None,
            "operation": self._operation_default,
            "global": self._settings.default_text_model
            if model_type == "text"
            else self._settings.default_image_model,
            "system_default": db.session.execute(
                select(AIModelConfig).where(
                    AIModelConfig.model_type == model_type,
                    AIModelConfig.is_default,
                    AIModelConfig.is_active,
                )
            ).scalar_one_or_none(),
        }
        return resolve_model(model_type, candidates, self._allows_overrides)

    def _resolve(self, override) -> ModelChoice:
        resolution = self.resolution(override)
        model = resolution.model
        provider, report_usage = registry.provider_and_reporter(
            current_plugins().pm, model.provider
        )
        if provider is None:
            raise ProviderError("unavailable", f"provider plugin {model.provider!r} is not loaded")
        return ModelChoice(
            model_id=model.id,
            model_name=model.model_name,
            model_type=model.model_type,
            provider=provider,
            card=PriceCard.of(model),
            rate=credit_rate(model, self._min_credits),
            max_output_tokens=model.max_output_tokens if model.model_type == "text" else None,
            resolved_by=resolution.resolved_by,
            request_options=model.request_options,
            report_usage=report_usage,
        )

    def owned(self, model, object_id: int):
        """The account's row of ``model`` with that id on this run's site, or ItemError not_found."""
        row = db.session.execute(
            select(model).where(
                model.id == object_id,
                model.account_id == self.account_id,
                model.site_id == self.site_id,
            )
        ).scalar_one_or_none()
        if row is None:
            raise ItemError("not_found", f"{model.__name__.lower()} {object_id} not found")
        return row

    def prompt(self, key: str, **variables) -> str:
        """The operation's prompt (the account's override, else the global one), rendered;
        looked up once per run."""
        if key not in self._templates:
            self._templates[key] = prompts.template_for(key, self.account_id)
        return prompts.render(key, self.account_id, found=self._templates[key], **variables)

    def _before_call(self) -> None:
        """No transaction is left open over a provider call unless it holds the item's
        writes: those stay in the item's transaction until the handler returns, except
        on SQLite, which allows one writer at a time while the meter writes on a
        connection of its own, so there they are committed first."""
        session = db.session()
        if not session.in_transaction():
            return
        if not holds_writes(session):
            commit_keeping_loaded()  # only reads: what the handler loaded is still current
        elif session.get_bind().dialect.name == "sqlite":
            session.commit()

    def text(
        self, messages, *, json=False, schema=None, parse=None, model=None, max_tokens=None
    ) -> CallResult:
        p = self.parameters
        choice = self.choice(model)
        self._before_call()
        return self.meter.text(
            choice,
            messages,
            temperature=p.temperature,
            max_tokens=max_tokens or p.max_tokens,
            json=json,
            schema=schema,
            parse=parse,
        )

    def ask_json(self, prompt: str, schema: dict, *, then=None, model=None, max_tokens=None):
        """One metered call asking for JSON of ``schema`` (``prompt`` as the user's
        message); returns the parsed answer, passed through ``then(answer)`` if given.
        Output that fails the schema or ``then`` (raise OutputError) is not charged."""

        def parse(result):
            answer = parse_json(result.text, schema)
            return then(answer) if then is not None else answer

        return self.text(
            [{"role": "user", "content": prompt}],
            json=True,
            schema=schema,
            parse=parse,
            model=model,
            max_tokens=max_tokens,
        ).output

    def images(self, prompt, *, n=1, model=None) -> CallResult:
        p = self.parameters
        choice = self.choice(model)
        self._before_call()
        return self.meter.images(
            choice,
            prompt,
            n=n,
            size=p.image_size,
            quality=p.image_quality,
            style=p.image_style,
        )


def credit_rate(model: AIModelConfig, min_credits: int) -> CreditRate:
    """How ``model`` turns usage into credits, floored at the operation's minimum."""
    return CreditRate(
        model.model_type,
        model.tokens_per_credit,
        model.credits_per_image,
        min_credits,
        rule=model.credit_rule,
        credits_per_usd=model.credits_per_usd,
        image_credits=model.image_credits or {},
        max_image_tokens=model.max_output_tokens if model.model_type == "image" else None,
    )


def _refuse_if_switched_off(operation, cost_config) -> None:
    if not modules.is_enabled(operation.module):
        raise OperationRefused("module_disabled", f"module {operation.module!r} is switched off")
    if cost_config is not None and not cost_config.is_active:
        raise OperationRefused("module_disabled", f"operation {operation.key!r} is switched off")


def _replay(account_id, idempotency_key, request) -> RunOutcome | None:
    run = db.session.execute(
        select(OperationRun).where(
            OperationRun.account_id == account_id, OperationRun.idempotency_key == idempotency_key
        )
    ).scalar_one_or_none()
    if run is None:
        return None
    if request is not None and run.request is not None and run.request != request:
        raise IdempotencyConflict("this Idempotency-Key was already used for a different request")
    return RunOutcome(run, run.results or [], replayed=True)


def run_operation(
    account_id: int,
    operation_key: str,
    items: list,
    *,
    site_id=None,
    idempotency_key: str | None = None,
    request: dict | None = None,
    progress=None,
) -> RunOutcome:
    """Run ``operation_key`` for each item now, metered and billed to the account (the CLI
    and no-AI routes; the API queues runs with ``submit`` instead). ``progress(done,
    total)`` is called as items finish."""
    outcome = submit(
        account_id,
        operation_key,
        items,
        site_id=site_id,
        idempotency_key=idempotency_key,
        request=request,
        status="running",  # this process runs it now: no worker is to claim it
    )
    if outcome.replayed:
        return outcome
    return execute_run(outcome.run.id, progress=progress, claimed=True)


def submit(
    account_id: int,
    operation_key: str,
    items: list,
    *,
    site_id=None,
    idempotency_key: str | None = None,
    request: dict | None = None,
    status: str = "queued",
) -> RunOutcome:
    """Record a queued run of ``operation_key`` over ``items`` (committed), or refuse it
    (unknown operation, switched-off module); a seen Idempotency-Key gives its run back,
    whatever its state, with ``replayed`` set. ``execute_run`` does the work."""
    operation = registry.operations(current_plugins().pm).get(operation_key)
    if operation is None or operation.handler is None:
        raise OperationRefused("not_found", f"no operation {operation_key!r}", status=404)
    if idempotency_key:
        replay = _replay(account_id, idempotency_key, request)
        if replay is not None:
            return replay
    _refuse_if_switched_off(operation, _cost_config(operation_key))
    work = operation.prepare(items) if operation.prepare is not None else list(items)
    run = OperationRun(
        account_id=account_id,
        site_id=site_id,
        operation=operation_key,
        status=status,
        started_at=utcnow() if status == "running" else None,
        heartbeat_at=utcnow() if status == "running" else None,
        items=len(work),
        idempotency_key=idempotency_key,
        request=request,
        work=work,
    )
    db.session.add(run)
    try:
        commit_keeping_loaded()  # the answer shows the run: no reload of what was just written
    except IntegrityError:  # the same key raced us: theirs is the run
        db.session.rollback()
        return _replay(account_id, idempotency_key, request)
    return RunOutcome(run)


def _cost_config(operation_key: str) -> CreditCostConfig | None:
    return db.session.execute(
        select(CreditCostConfig).where(CreditCostConfig.operation == operation_key)
    ).scalar_one_or_none()


def execute_run(
    run_id: int, progress=None, claimed: bool = False, stale_after: float | None = None
) -> RunOutcome:
    """Do a queued run's work, item by item; a finished run is left alone. A running run
    is this caller's only if it ``claimed`` it when recording it (run_operation); else it
    is another worker's and left alone, unless that worker has shown no sign of life for
    ``stale_after`` seconds: then this one takes the run over and resumes it after its
    last finished item (a redelivery after a crash)."""
    run = db.session.get(OperationRun, run_id)
    resumed = False
    if run.status == "running" and not claimed:
        if stale_after is None or not _take_over(run, stale_after):
            return RunOutcome(run, run.results or [])
        resumed = claimed = True
    elif run.status != ("running" if claimed else "queued"):
        return RunOutcome(run, run.results or [])
    config = current_app.config
    meter = Meter(
        account_id=run.account_id,
        operation=run.operation,
        site_id=run.site_id,
        run_id=run.id,
        pm=current_plugins().pm,
        policy=RetryPolicy.from_config(config),
        timeout=float(config.get("PROVIDER_TIMEOUT", 120)),
    )
    try:
        operation = registry.operations(current_plugins().pm).get(run.operation)
        ctx, choice, refusal = None, None, None
        if operation is None:
            refusal = f"operation {run.operation!r} is no longer loaded"
        else:
            ctx = OperationContext(
                account=db.session.get(Account, run.account_id),
                site_id=run.site_id,
                run_id=run.id,
                operation=operation,
                cost_config=_cost_config(run.operation),
                meter=meter,
            )
            if operation.model_type is not None:
                try:
                    choice = ctx.choice()
                except (NoModelAvailable, ProviderError) as exc:
                    refusal = str(exc)
        model = {
            "model_name": choice.model_name if choice else None,
            "resolved_by": choice.resolved_by if choice else None,
        }
        if claimed:
            run.model_name, run.resolved_by = model["model_name"], model["resolved_by"]
        elif not _claim(run_id, model):  # another worker got the same run (a redelivery)
            db.session.refresh(run)
            return RunOutcome(run, run.results or [])
        done = list(run.results or []) if resumed else []
        if refusal is not None:
            return _finish(run, meter, done, error=refusal)
        if resumed:
            _settle_the_lost_attempt(run, meter, len(done))
        try:
            return _run_items(run, operation, ctx, meter, run.work or [], progress, done)
        except Exception:
            # Whatever escaped a handler: the run is not left "running", and keeps its cost.
            run = read_run(meter.run_id)
            done = list(run.results or [])  # the items committed before it
            _finish(run, meter, done, error="the run stopped on an internal error")
            raise
    finally:
        meter.close()


def _claim(run_id: int, model: dict) -> bool:
    """Mark a queued run running (with the model it resolved); False if it was not queued."""
    claimed = db.session.execute(
        update(OperationRun)
        .where(OperationRun.id == run_id, OperationRun.status == "queued")
        .values(status="running", started_at=utcnow(), heartbeat_at=utcnow(), **model)
    ).rowcount
    db.session.commit()
    return bool(claimed)


def _take_over(run: OperationRun, stale_after: float) -> bool:
    """Claim a running run whose worker has been silent for ``stale_after`` seconds (it
    died); False if it is alive, or another worker took it over first."""
    last_sign = run.heartbeat_at or run.started_at or run.created_at
    if (utcnow() - last_sign).total_seconds() < stale_after:
        db.session.rollback()
        return False
    taken = db.session.execute(
        update(OperationRun)
        .where(
            OperationRun.id == run.id,
            OperationRun.status == "running",
            OperationRun.heartbeat_at == run.heartbeat_at,  # nobody signed in meanwhile
        )
        .values(heartbeat_at=utcnow())
    ).rowcount
    db.session.commit()
    if taken:
        log.warning("run %s: its worker stopped; another resumes it", run.id)
    return bool(taken)


def _settle_the_lost_attempt(run: OperationRun, meter: Meter, item: int) -> None:
    """Before resuming at ``item``: give back what the lost worker held for calls that
    never settled, and let the item it was doing be redone without charging again for
    the calls it had already paid for (each item is charged at most once)."""
    audit.release_open_holds(call_reference_prefix(run.id))
    meter.earlier_credits, meter.earlier_cost = audit.run_usage(run.id)
    paid, _cost = audit.run_usage(run.id, call_reference_prefix(run.id, item))
    meter.prepay(item, paid)


def stale_runs(stale_after: float) -> list[int]:
    """Runs nobody is working on: queued for ``stale_after`` seconds (their message was
    lost) or running with a worker silent that long (it died). Sending them to a worker
    again is safe: execute_run claims or takes over a run once."""
    cutoff = utcnow() - timedelta(seconds=stale_after)
    return list(
        db.session.execute(select(OperationRun.id).where(abandoned_since(cutoff))).scalars()
    )


def call_reference_prefix(run_id: int, item: int | None = None) -> str:
    """How the request ids of a run's calls begin (``<run>.<item>.``): the ledger finds a
    run's holds, and an item's charges, by it."""
    return f"{run_id}." if item is None else f"{run_id}.{item}."


def cancel(run: OperationRun) -> bool:
    """Ask a run to stop before its next item (a queued one ends at once); False when it
    has already finished."""
    if run.status in FINISHED:
        return False
    run.cancel_requested = True
    db.session.execute(
        update(OperationRun)
        .where(OperationRun.id == run.id, OperationRun.status == "queued")
        .values(status="cancelled", finished_at=utcnow(), error="cancelled before it started")
    )
    db.session.commit()
    return True


def _run_items(run, operation, ctx, meter, items, progress, results) -> RunOutcome:
    """Each item after the ``results`` already recorded (none, unless resuming)."""
    stopped, cancel = None, False
    for done, item in enumerate(items, 1):
        if done <= len(results):
            continue
        if progress is not None and done > 1:
            progress(done - 1, len(items))
        if stopped:
            results.append({"item": item, "status": "failed", "error": stopped})
            continue
        if cancel:  # asked for while the last item ran (read back with its progress)
            results += [{"item": i, "status": "cancelled"} for i in items[done - 1 :]]
            return _finish(run, meter, results, error="cancelled", status="cancelled")
        meter.item = done - 1
        try:
            result = operation.handler(ctx, item) or {}
            results.append({"item": item, "status": "succeeded", **result})
            cancel = _count(run, results, meter)
            db.session.commit()  # the item's writes and the run's progress, together
            continue
        except ledger.InsufficientCredits as exc:
            error = stopped = {
                "code": "insufficient_credits",
                "message": f"the balance does not cover this call (needs {exc.needed})",
            }
        except prompts.PromptError as exc:  # the template, not the item: stop here
            error = stopped = {"code": "prompt_error", "message": exc.message, **exc.details}
        except (ProviderError, ItemError) as exc:
            error = {"code": exc.code, "message": exc.message}
        except OutputError as exc:
            error = {"code": "bad_response", "message": str(exc)}
        except Exception:
            db.session.rollback()
            failure = {"code": "internal_error", "message": "internal error"}
            _record_failure(operation, ctx, item, failure, run, results, meter)
            raise
        db.session.rollback()
        results.append({"item": item, "status": "failed", "error": error})
        cancel = _record_failure(operation, ctx, item, error, run, results, meter)
    if progress is not None and items:
        progress(len(items), len(items))
    return _finish(run, meter, results)


def _progress(results, meter) -> dict:
    """The run's progress so far: what GET /runs/{id} and its event stream show, and
    where a worker taking over the run resumes."""
    return {
        "heartbeat_at": utcnow(),
        "results": list(results),
        "items_succeeded": sum(1 for r in results if r["status"] == "succeeded"),
        "items_failed": sum(1 for r in results if r["status"] == "failed"),
        "credits_used": meter.earlier_credits + meter.credits_used,
        "cost_usd": meter.earlier_cost + meter.cost_usd,
    }


def _count(run, results, meter) -> bool:
    """Record the run's progress in one UPDATE, which also reads back whether a cancel
    was asked for meanwhile. The caller commits it."""
    progress = _progress(results, meter)
    cancel = db.session.execute(
        update(OperationRun)
        .where(OperationRun.id == meter.run_id)  # (run.id would reload the expired row)
        .values(**progress)
        .returning(OperationRun.cancel_requested)
    ).scalar()
    for name, value in progress.items():  # the loaded run agrees, without another write
        set_committed_value(run, name, value)
    return bool(cancel)


def _record_failure(operation, ctx, item, error: dict, run, results, meter) -> bool:
    """After the item's writes were rolled back: the operation's own record of the failure
    and the run's progress, committed together. A failure of on_failure itself is logged
    and never hides the item's error."""
    if operation.on_failure is not None:
        try:
            operation.on_failure(ctx, item, error)
            db.session.flush()
        except Exception:
            db.session.rollback()
            log.exception("on_failure of %s failed for item %r", operation.key, item)
    cancel = _count(run, results, meter)
    db.session.commit()
    return cancel


def _finish(run, meter, results, error=None, status=None) -> RunOutcome:
    for name, value in _progress(results, meter).items():
        setattr(run, name, value)
    if status is None:
        if error or not run.items_succeeded:
            status = "failed"
        else:
            status = "succeeded" if not run.items_failed else "partial"
    run.status = status
    run.error = error or next(
        (r["error"]["message"] for r in results if r["status"] == "failed"), None
    )
    run.finished_at = utcnow()
    db.session.commit()
    return RunOutcome(run, results)
