"""What a handler gets: the account and site, resolved parameters, metered calls.

One context serves a whole run; each item gets a copy carrying that item's meter
(``for_item``), since a run's items run in parallel threads, each on its own database
session. What the context caches for the run (the model choice, prompt templates) is
plain values, safe to share between those threads.
"""

import copy
import threading
from dataclasses import dataclass

from sqlalchemy import select

from .. import prompts, registry
from ..ai.meter import CallResult, ModelChoice
from ..ai.output import parse_json
from ..ai.provider import ProviderError
from ..ai.resolve import (
    NoModelAvailable,
    Parameters,
    Resolution,
    resolve_model,
    resolve_parameters,
)
from ..billing.credits import model_rate
from ..billing.pricing import PriceCard, unpriced
from ..database import commit_keeping_loaded, holds_writes
from ..extensions import db
from ..limits import ModelLimits
from ..models import (
    Account,
    AccountModelLimit,
    AIModelConfig,
    GlobalIntegrationSettings,
    IntegrationSettings,
    Site,
)
from ..plugins import current_plugins


@dataclass(frozen=True)
class SiteInfo:
    """The run's site as a handler's prompt needs it, read once per run (plain values,
    shared by the run's item threads)."""

    id: int
    name: str
    url: str


class ItemError(Exception):
    """A handler's refusal of one item (e.g. it does not exist); the run goes on."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class OperationContext:
    def __init__(self, *, account: Account, site_id, run_id, operation, cost_config, meter):
        self.account_id = account.id
        self.site_id = site_id
        self.run_id = run_id
        self.operation = operation
        self.meter = meter
        self._allows_overrides = account.plan.allows_overrides
        self._min_credits = cost_config.min_credits if cost_config else operation.min_credits
        self._operation_default_id = cost_config.default_model_id if cost_config else None
        account_settings, settings = _account_settings(account.id), GlobalIntegrationSettings.get()
        self.parameters: Parameters = resolve_parameters(
            settings,
            account_settings.config if account_settings else None,
            self._allows_overrides,
        )
        # The run's model is resolved next in this thread: from these rows, not read again.
        self._read_here = (threading.get_ident(), account_settings, settings)
        self._choices: dict = {}
        self._templates: dict = {}
        self._site: list = []  # [SiteInfo] once read, shared with the items' copies
        self._lock = threading.Lock()

    def for_item(self, meter) -> "OperationContext":
        """This context for one item of the run, with that item's meter."""
        item = copy.copy(self)
        item.meter = meter
        item._read_here = (None, None, None)  # an item reads in its own thread's session
        return item

    def choice(self, model_override: AIModelConfig | None = None) -> ModelChoice:
        """The model for this operation (a task's override first), resolved once per run."""
        key = model_override.id if model_override is not None else None
        found = self._choices.get(key)
        if found is None:
            found = self._resolve(model_override)
            with self._lock:
                found = self._choices.setdefault(key, found)
        return found

    def resolution(self, override: AIModelConfig | None = None) -> Resolution:
        """The whole cascade for this operation and account (the Debug Console shows it),
        read in the calling thread's session."""
        model_type = self.operation.model_type
        thread, account, settings = self._read_here
        if thread != threading.get_ident():  # rows of another thread's session: read anew
            account, settings = _account_settings(self.account_id), GlobalIntegrationSettings.get()
        candidates = {
            "task": override,
            "account": (account.text_model if model_type == "text" else account.image_model)
            if account
            else None,
            "operation": db.session.get(AIModelConfig, self._operation_default_id)
            if self._operation_default_id
            else None,
            "global": settings.default_text_model
            if model_type == "text"
            else settings.default_image_model,
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
        card = PriceCard.of(model)
        missing = unpriced(card, model.model_type)
        if missing:  # refused before the provider is called: it would be billed $0
            raise NoModelAvailable(
                f"{model.model_name} has no {' or '.join(missing)} price: an admin must "
                "price it (or mark it free) before it is used"
            )
        return ModelChoice(
            model_id=model.id,
            model_name=model.model_name,
            model_type=model.model_type,
            provider=provider,
            card=card,
            rate=model_rate(model, self._min_credits, card),
            max_output_tokens=model.max_output_tokens if model.model_type == "text" else None,
            resolved_by=resolution.resolved_by,
            request_options=model.request_options,
            report_usage=report_usage,
            limits=call_limits(model, self.account_id),
        )

    @property
    def site(self) -> SiteInfo | None:
        """The run's site (its id, name and url), read once per run; None for a run
        without a site."""
        if self.site_id is None:
            return None
        if not self._site:
            with self._lock:  # the run's first items wait for one read, not one each
                if not self._site:
                    row = db.session.execute(
                        select(Site.id, Site.name, Site.url).where(Site.id == self.site_id)
                    ).one()
                    self._site.append(SiteInfo(*row))
        return self._site[0]

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
        found = self._templates.get(key)
        if found is None:
            with self._lock:  # the run's first items wait for one look-up, not one each
                found = self._templates.get(key)
                if found is None:
                    found = self._templates[key] = prompts.template_for(key, self.account_id)
        return prompts.render(key, self.account_id, found=found, **variables)

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


def _account_settings(account_id: int) -> IntegrationSettings | None:
    return db.session.execute(
        select(IntegrationSettings).where(IntegrationSettings.account_id == account_id)
    ).scalar_one_or_none()


def model_limits(model: AIModelConfig) -> ModelLimits:
    """The model's limits as the admin left them (seeded from its plugin's ModelSpec)."""
    return ModelLimits(
        f"{model.provider}/{model.model_name}",
        model.max_concurrency,
        model.requests_per_minute,
        model.tokens_per_minute,
    )


def call_limits(model: AIModelConfig, account_id: int) -> tuple[ModelLimits, ...]:
    """What a call of this account to the model waits for: the account's own limits on
    the model first, if an admin set any (AccountModelLimit), then the model's."""
    own = model_limits(model)
    mine = db.session.execute(
        select(AccountModelLimit).where(
            AccountModelLimit.account_id == account_id, AccountModelLimit.model_id == model.id
        )
    ).scalar_one_or_none()
    if mine is None:
        return (own,)
    account = ModelLimits(
        f"{own.key}@account:{account_id}",
        mine.max_concurrency,
        mine.requests_per_minute,
        mine.tokens_per_minute,
    )
    return (account, own)
