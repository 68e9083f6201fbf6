"""Monitoring: API Monitor, Debug Console, System Health."""

from datetime import timedelta

from flask import current_app, flash, redirect, request
from flask_admin import BaseView, expose
from sqlalchemy import func, literal, select

from .. import accounts, analytics, prompts, registry, reports
from ..ai.engine import OperationContext
from ..ai.meter import Meter
from ..ai.provider import ProviderError
from ..ai.resolve import PARAMETERS, NoModelAvailable
from ..billing import ledger
from ..billing.plausibility import Plausible
from ..extensions import db
from ..limits import current_limits
from ..models import Account, AIModelConfig, CreditCostConfig, CreditUsageLog
from ..plugins import current_plugins
from ..runs.context import model_limits
from ..timeutil import utcnow
from . import security
from .base import BulkForm

# Latencies are ranked over the newest calls of the window only (a bounded sample, along
# the time index), so a busy day or month costs no more than a quiet one: percentile_cont
# on PostgreSQL, the same linear interpolation on SQLite (which has no percentile function).
# Per provider, the providers share one sample.
SAMPLE = 10_000


def latency_percentiles(since, provider=None, quantiles=(50, 95)) -> dict[int, float | None]:
    """Latency percentiles (ms) of the newest SAMPLE calls since ``since`` (of one provider
    when given)."""
    found = _ranked(since, quantiles, provider=provider)
    return found.get(provider) or dict.fromkeys(quantiles)


def latency_by_provider(since, quantiles=(50, 95)) -> dict[str, dict[int, float | None]]:
    """Latency percentiles per provider over the window's newest SAMPLE calls (one read for
    every provider; a quiet provider is ranked over its calls among them)."""
    return _ranked(since, quantiles, by_provider=True)


def _ranked(since, quantiles, provider=None, by_provider=False, by_model=False) -> dict:
    """{provider, or model id (None when not grouped): {q: ms}}: ranked by the database on
    PostgreSQL, the sorted sample ranked by ``analytics.percentile`` on SQLite."""
    log = CreditUsageLog
    window = [log.created_at >= since, log.latency_ms.is_not(None)]
    if provider is not None:
        window.append(log.provider == provider)
    sample = (
        select(
            log.provider.label("provider"),
            log.model_config_id.label("model"),
            log.latency_ms.label("ms"),
        )
        .where(*window)
        .order_by(log.created_at.desc())
        .limit(SAMPLE)
    ).subquery()
    grouped = by_provider or by_model
    key = sample.c.model if by_model else sample.c.provider if by_provider else literal(provider)
    if db.engine.dialect.name == "postgresql":
        ranks = [func.percentile_cont(q / 100).within_group(sample.c.ms.asc()) for q in quantiles]
        query = select(key, *ranks).having(func.count() > 0)
        rows = db.session.execute(query.group_by(key) if grouped else query)
        return {
            name: {q: float(v) for q, v in zip(quantiles, values, strict=True)}
            for name, *values in rows
        }
    ordered: dict = {}
    for name, ms in db.session.execute(select(key, sample.c.ms).order_by(sample.c.ms)):
        ordered.setdefault(name, []).append(ms)
    return {
        name: {q: analytics.percentile(values, q) for q in quantiles}
        for name, values in ordered.items()
    }


def provider_stats(since) -> list[dict]:
    latency = latency_by_provider(since)
    stats = []
    for found in reports.provider_calls(since):
        p = latency.get(found["provider"]) or {50: None, 95: None}
        stats.append(
            {**found, "p50_ms": p[50], "p95_ms": p[95], "retrying": reports.retrying(found)}
        )
    return stats


def latency_by_model(since, quantiles=(50, 95)) -> list[dict]:
    """Calls and latency percentiles per model over the window's newest SAMPLE calls,
    busiest model first."""
    ranked = _ranked(since, quantiles, by_model=True)
    names = dict(
        db.session.execute(
            select(AIModelConfig.id, AIModelConfig.model_name).where(
                AIModelConfig.id.in_([k for k in ranked if k is not None])
            )
        ).all()
    )
    calls = dict(
        db.session.execute(
            select(CreditUsageLog.model_config_id, func.count(CreditUsageLog.id))
            .where(CreditUsageLog.created_at >= since)
            .group_by(CreditUsageLog.model_config_id)
        ).all()
    )
    rows = [
        {"model": names.get(k, "—"), "calls": calls.get(k, 0), **{f"p{q}_ms": v[q] for q in v}}
        for k, v in ranked.items()
    ]
    return sorted(rows, key=lambda r: (-r["calls"], r["model"]))


class ApiMonitorView(security.SecuredView, BaseView):
    @expose("/")
    def index(self):
        now = utcnow()
        recent = db.session.execute(
            select(CreditUsageLog, AIModelConfig.model_name, Account.name)
            .outerjoin(AIModelConfig, AIModelConfig.id == CreditUsageLog.model_config_id)
            .outerjoin(Account, Account.id == CreditUsageLog.account_id)
            .order_by(CreditUsageLog.id.desc())
            .limit(100)
        ).all()
        return self.render(
            "admin/monitoring/api.html",
            recent=recent,
            windows={
                "last hour": provider_stats(now - timedelta(hours=1)),
                "last 24 hours": provider_stats(now - timedelta(hours=24)),
            },
            models=latency_by_model(now - timedelta(hours=24)),
            attempts_amber=reports.ATTEMPTS_AMBER,
        )


class _Sample:
    """Stands in for a prompt variable in the Debug Console: prints as <name>, iterates as two items."""

    def __init__(self, name):
        self.name = name

    def __str__(self):
        return f"<{self.name}>"

    def __iter__(self):
        return iter([_Sample(f"{self.name} 1"), _Sample(f"{self.name} 2")])

    def __getattr__(self, attr):
        return _Sample(f"{self.name}.{attr}")

    def __bool__(self):
        return True


class DebugConsoleView(security.SecuredView, BaseView):
    """For an account and an operation: the whole cascade, the parameters, the rendered prompt."""

    @expose("/", methods=["GET", "POST"])
    def index(self):
        accounts = db.session.execute(select(Account).order_by(Account.name)).scalars().all()
        operations = registry.operations(current_plugins().pm)
        account = db.session.get(Account, request.values.get("account_id", type=int) or 0)
        operation = operations.get(request.values.get("operation", ""))
        report, form = None, BulkForm(request.form)
        if account and operation:
            report = self._explain(account, operation)
            if request.method == "POST" and form.validate():
                self._test_call(account, operation, report)
                return redirect(
                    self.get_url(".index", account_id=account.id, operation=operation.key)
                )
        return self.render(
            "admin/monitoring/debug.html",
            accounts=accounts,
            operations=operations,
            account=account,
            operation=operation,
            report=report,
            form=form,
        )

    def _context(self, account, operation, meter=None):
        cost = db.session.execute(
            select(CreditCostConfig).where(CreditCostConfig.operation == operation.key)
        ).scalar_one_or_none()
        return OperationContext(
            account=account,
            site_id=None,
            run_id=None,
            operation=operation,
            cost_config=cost,
            meter=meter,
        )

    def _explain(self, account, operation):
        report = {
            "steps": [],
            "model": None,
            "provider": None,
            "error": None,
            "parameters": [],
            "prompt": None,
            "billed_to": accounts.ADMIN_TESTS_ACCOUNT,  # a test call never costs the tenant
        }
        if operation.model_type is None:
            report["error"] = "this operation calls no model"
            return report
        ctx = self._context(account, operation)
        try:
            choice = ctx.choice()
            report["model"], report["resolved_by"] = choice.model_name, choice.resolved_by
            report["provider"] = choice.provider.name
            report["steps"] = ctx.resolution().steps
        except (NoModelAvailable, ProviderError) as exc:
            report["error"] = str(exc)
        p = ctx.parameters
        report["parameters"] = [(name, getattr(p, name), p.source(name)) for name in PARAMETERS]
        default = prompts.defaults().get(operation.prompt_key)
        if default is not None:
            template, source = prompts.template_for(operation.prompt_key, account.id)
            report["prompt_source"] = source
            report["prompt"] = prompts.render(
                operation.prompt_key, account.id, **{v: _Sample(v) for v in default.variables}
            )
        return report

    def _test_call(self, account, operation, report):
        """A real call through the model this account's cascade picks (its real provider when
        a key is configured), with its parameters, billed to the internal admin-tests
        account: an admin test never costs a tenant anything."""
        internal = accounts.admin_tests_account()
        db.session.commit()
        meter = Meter(
            account_id=internal.id,
            operation=operation.key,
            pm=current_plugins().pm,
            plausible=Plausible.from_config(current_app.config),
        )
        ctx = self._context(account, operation, meter)
        try:
            choice = ctx.choice()
            if operation.model_type == "image":
                result = ctx.images("a test image from the Debug Console")
            else:
                result = ctx.text([{"role": "user", "content": report["prompt"] or "Say hello."}])
            flash(
                f"admin test {result.request_id} on {choice.model_name} "
                f"(resolved by {choice.resolved_by}): {result.usage.input_tokens} in, "
                f"{result.usage.output_tokens} out, cost {format(result.cost.total, 'f')} USD, "
                f"billed to {internal.name}, not to {account.name}",
                "success",
            )
        except (NoModelAvailable, ProviderError) as exc:
            flash(f"test call failed: {exc}", "error")
        except ledger.InsufficientCredits:
            flash("the internal admin-tests account could not hold credits", "error")
        finally:
            meter.close()


class SystemHealthView(security.SecuredView, BaseView):
    @expose("/")
    def index(self):
        checks = registry.health_checks(current_plugins().pm)
        results = [(name, check.run()) for name, check in sorted(checks.items())]
        limits = current_limits()
        return self.render(
            "admin/monitoring/health.html",
            results=results,
            level=registry.overall_level(r for _, r in results),
            queues=provider_queues(limits),
            counted_in=limits.backend,
        )


def provider_queues(limits) -> list[dict]:
    """Each active model's calls now: in flight and waiting (across every process when
    the limits are kept in Redis), a pause a 429 asked for, the last minute's requests,
    and its limits."""
    models = db.session.execute(
        select(AIModelConfig)
        .where(AIModelConfig.is_active)
        .order_by(AIModelConfig.provider, AIModelConfig.model_name)
    ).scalars()
    rows = []
    for model in models:
        key = model_limits(model).key
        rows.append(
            {
                "model": key,
                **limits.snapshot(key),
                "requests_last_minute": limits.snapshot(key + "#requests")["last_minute"],
                "max_concurrency": model.max_concurrency,
                "requests_per_minute": model.requests_per_minute,
                "tokens_per_minute": model.tokens_per_minute,
            }
        )
    return rows
