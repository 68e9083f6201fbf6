"""The core's admin views: accounts, AI and billing, settings, content."""

from flask import flash, redirect, request
from flask_admin import BaseView, expose
from flask_admin.actions import action
from markupsafe import Markup
from sqlalchemy import func, select, update
from wtforms import FloatField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, NumberRange, Optional

from .. import accounts, modules, prompts, registry
from ..ai.resolve import PARAMETERS
from ..api.schemas import IMAGE_QUALITIES, IMAGE_SIZES, IMAGE_STYLES, IntegrationSettingsIn
from ..billing import ledger
from ..extensions import db
from ..models import (
    Account,
    AIModelConfig,
    CreditTransaction,
    CreditUsageLog,
    IntegrationSettings,
    OperationRun,
)
from ..models.catalog import MODEL_TYPES
from ..plugins import current_plugins
from ..retirement import retirement
from ..timeutil import utcnow
from . import account_page, audit_trail, security
from .base import BulkForm, ReadOnlyModelView, SecuredModelView

MASK = "••••••••"


def billing_history(account_id: int) -> dict[str, int]:
    """How many money records an account has, by kind."""
    return {
        kind: db.session.execute(
            select(func.count()).select_from(model).where(model.account_id == account_id)
        ).scalar()
        for kind, model in (
            ("usage rows", CreditUsageLog),
            ("ledger entries", CreditTransaction),
            ("operation runs", OperationRun),
        )
    }


class AccountView(SecuredModelView):
    column_list = ("id", "name", "plan", "credits", "is_active", "archived_at", "created_at")
    # Credits change only through the ledger (the "Add / subtract credits" action).
    form_excluded_columns = ("credits", "users", "created_at", "archived_at")
    # A clone is a new, empty account: no balance (the ledger would not add up), no history.
    clone_resets = {"credits": 0, "archived_at": None}
    list_template = "admin/model/account_list.html"
    # The account page: balance, spend and margin, ledger, sites, people, settings, runs.
    details_template = "admin/model/account_details.html"

    def render(self, template, **kwargs):
        if template == self.details_template and kwargs.get("model") is not None:
            kwargs["overview"] = account_page.overview(kwargs["model"])
        return super().render(template, **kwargs)

    def on_model_change(self, form, model, is_created):
        if is_created:
            model.credits = 0

    # Archived accounts are hidden unless asked for (?archived=1).
    def get_query(self):
        return self._visible(super().get_query())

    def get_count_query(self):
        return self._visible(super().get_count_query())

    def _visible(self, query):
        if request.args.get("archived"):
            return query
        return query.filter(Account.archived_at.is_(None))

    def refuse_delete(self, row) -> str | None:
        history = billing_history(row.id)
        if not any(history.values()):
            return None
        found = ", ".join(f"{n} {kind}" for kind, n in history.items() if n)
        return (
            f"account {row.name!r} has billing history ({found}) and cannot be deleted: "
            "archive it instead (it is deactivated and hidden; its records stay)"
        )

    @action(
        "archive", "Archive", "Archive the selected accounts? They stop working and are hidden."
    )
    def action_archive(self, ids):
        audit_trail.watch(db.session(), "archive")
        rows = self._rows_by_id(ids)
        for row in rows:
            row.is_active, row.archived_at = False, row.archived_at or utcnow()
        db.session.commit()
        flash(f"{len(rows)} account(s) archived", "success")

    @action("unarchive", "Restore from archive")
    def action_unarchive(self, ids):
        audit_trail.watch(db.session(), "restore")
        rows = self._rows_by_id(ids)
        for row in rows:
            row.is_active, row.archived_at = True, None
        db.session.commit()
        flash(f"{len(rows)} account(s) restored", "success")

    @action("adjust_credits", "Add / subtract credits")
    def action_adjust_credits(self, ids):
        return redirect(self.get_url(".adjust_credits_view", ids=",".join(ids)))

    @expose("/adjust-credits/", methods=["GET", "POST"])
    def adjust_credits_view(self):
        ids = [int(i) for i in request.args.get("ids", "").split(",") if i.isdigit()]

        class CreditsForm(BulkForm):
            amount = IntegerField("Credits (negative to subtract)", validators=[DataRequired()])
            reason = StringField("Reason", validators=[DataRequired()])

        form = CreditsForm(request.form)
        if request.method == "POST" and form.validate():
            done, refused = 0, []
            for account_id in ids:
                try:
                    entry = ledger.apply(
                        account_id,
                        form.amount.data,
                        "grant" if form.amount.data > 0 else "adjustment",
                        description=f"admin: {form.reason.data}",
                    )
                    audit_trail.record(
                        "adjust credits",
                        Account.__tablename__,
                        account_id,
                        f"adjust credits of account {account_id} by {form.amount.data:+d}: "
                        f"{form.reason.data}",
                        {"credits": entry.balance_after - form.amount.data},
                        {"credits": entry.balance_after},
                    )
                    done += 1
                except ledger.InsufficientCredits:
                    refused.append(account_id)
            db.session.commit()
            flash(f"{done} account(s) adjusted by {form.amount.data:+d} credits", "success")
            if refused:
                flash(
                    f"not below zero: accounts {', '.join(map(str, refused))} were left unchanged",
                    "error",
                )
            return redirect(self.get_url(".index_view"))
        return self.render(
            "admin/bulk_form.html",
            form=form,
            title="Add / subtract credits",
            count=len(ids),
            return_url=self.get_url(".index_view"),
        )


class UserView(SecuredModelView):
    column_list = ("id", "email", "account", "is_superuser", "is_active", "created_at")
    form_columns = ("email", "account", "is_superuser", "is_active", "password")
    form_extra_fields = {"password": PasswordField("Password (leave blank to keep)")}

    def on_model_change(self, form, model, is_created):
        model.email = accounts.normal_email(model.email)
        if form.password.data:
            accounts.set_password(model, form.password.data)
        elif not model.is_active:
            accounts.end_sessions(model)


class ApiTokenView(SecuredModelView):
    can_create = False  # the token is shown once, by `flask igny8 create-token`
    can_edit = False
    column_list = ("id", "name", "user", "is_active", "last_used_at", "created_at")
    column_labels = {"is_active": "Active (deactivate to revoke)"}


def _end_of_life(day):
    """The date, flagged when it is near or past (igny8.retirement)."""
    status = retirement(day, utcnow().date())
    if status is None:
        return day.isoformat() if day else ""
    kind = "danger" if status.startswith("past") else "warning"
    return Markup('<span class="badge badge-{}" title="{}">{}</span>').format(kind, status, status)


class PriceHistoryView(ReadOnlyModelView):
    """Each model's prices over time (written when an admin or `prices sync` changes them)."""

    column_list = (
        "model",
        "effective_from",
        "cost_per_1k_input",
        "cost_per_1k_cached_input",
        "cost_per_1k_output",
        "cost_per_image",
        "source",
    )


class ModelConfigView(SecuredModelView):
    column_list = (
        "model_name",
        "provider",
        "model_type",
        "cost_per_1k_input",
        "cost_per_1k_cached_input",
        "cost_per_1k_output",
        "cost_per_image",
        "end_of_life",
        "is_default",
        "is_active",
    )
    form_excluded_columns = ("prices",)
    # Chosen from what is registered, never typed: a misspelt provider would be a model
    # no call can reach. The choices are filled per request (create_form, edit_form).
    form_overrides = {"provider": SelectField, "model_type": SelectField}
    form_args = {
        "provider": {"choices": [], "validators": [DataRequired()]},
        "model_type": {"choices": [(t, t) for t in MODEL_TYPES]},
    }
    # Unit prices are shown exactly by the base view (never 0E-10); the pricing JSON,
    # credit rule and rates are on the model's page.
    column_formatters = {
        "end_of_life": lambda view, context, model, name: _end_of_life(model.end_of_life),
    }
    column_descriptions = {
        "pricing": "Everything beyond the per-1k prices, as JSON: cache writes by TTL, "
        "reasoning and image token rates, tiers by prompt size, service tiers, per-image "
        "prices by size and quality, provider-reported cost (docs/metering.md). "
        "Rates in it are per 1M tokens unless per_tokens says 1000.",
        "credit_rule": "cost, images or tokens (empty: cost, following the bill, for text and "
        "token-priced image models; images for per-image models). docs/metering.md",
        "credits_per_usd": "With the cost rule: credits = ceil(cost in USD x this)",
        "image_credits": 'Credits per image by "SIZE/QUALITY" or "SIZE", e.g. {"1024x1792/hd": 15}',
        "request_options": 'What the provider needs for this model, e.g. {"max_tokens_param": '
        '"max_completion_tokens", "temperature": false} for reasoning models',
        "max_output_tokens": "For an image model priced by tokens: the most one image takes",
        "end_of_life": "The provider's end of life; past it the model stays for history",
    }

    def create_form(self, obj=None):
        return self._with_providers(super().create_form(obj), None)

    def edit_form(self, obj=None):
        return self._with_providers(super().edit_form(obj), obj)

    def _with_providers(self, form, model):
        """The registered providers; the model's own stays a choice when its plugin is
        not loaded now, so editing the model does not change it (what was submitted is
        never added: that is what is being checked)."""
        names = sorted(registry.providers(current_plugins().pm))
        if model is not None and model.provider and model.provider not in names:
            names.append(model.provider)
        form.provider.choices = [(n, n) for n in names]
        return form

    def on_model_change(self, form, model, is_created):
        # One default per type: choosing a new default clears the previous one, before the
        # new default is flushed (the unique index would refuse two).
        if model.is_default:
            with db.session.no_autoflush:
                db.session.execute(
                    update(AIModelConfig)
                    .where(
                        AIModelConfig.model_type == model.model_type,
                        AIModelConfig.is_default,
                        AIModelConfig.id != (model.id or 0),
                    )
                    .values(is_default=False)
                    .execution_options(synchronize_session=False)
                )


LIMIT_DESCRIPTIONS = {
    "max_concurrency": "Calls in flight at once, across every process (empty: no limit)",
    "requests_per_minute": "Requests per minute (empty: no limit)",
    "tokens_per_minute": "Tokens per minute, prompt and output (empty: no limit)",
}


class AccountModelLimitView(SecuredModelView):
    """One tenant's own limits on a model, enforced besides the model's (igny8.limits)."""

    column_list = ("account", "model", *LIMIT_DESCRIPTIONS, "created_at")
    form_columns = ("account", "model", *LIMIT_DESCRIPTIONS)
    column_descriptions = LIMIT_DESCRIPTIONS


class CredentialView(SecuredModelView):
    """API keys are write-only: never in a list, a page, a form or an export."""

    column_list = ("provider", "key", "base_url", "is_active", "updated_at")
    column_formatters = {"key": lambda v, c, m, n: MASK if m.api_key else "—"}
    form_columns = ("provider", "new_api_key", "base_url", "is_active")
    form_extra_fields = {
        "new_api_key": PasswordField(
            "API key (leave blank to keep the stored key)", validators=[Optional()]
        )
    }
    column_details_list = ("provider", "key", "base_url", "is_active", "updated_at")
    column_details_exclude_list = ("api_key",)

    def on_model_change(self, form, model, is_created):
        if form.new_api_key.data:
            model.api_key = form.new_api_key.data


class SingletonView(SecuredModelView):
    """Edited in place: no list to browse, no create, no delete."""

    can_create = False
    can_delete = False
    can_export = False

    @expose("/")
    def index_view(self):
        return redirect(self.get_url(".edit_view", id=1))


def _models_of(model_type):
    def query():
        return (
            db.session.execute(
                select(AIModelConfig)
                .where(AIModelConfig.model_type == model_type, AIModelConfig.is_active)
                .order_by(AIModelConfig.sort_order)
            )
            .scalars()
            .all()
        )

    return query


NOT_OVERRIDDEN = "(not overridden)"


def _choices(values, blank="(the provider's default)"):
    return [("", blank)] + [(v, v) for v in values]


def image_sizes_of(model) -> tuple[str, ...]:
    """The sizes an image model takes: those its prices or credits name, else all known."""
    named = {k.split("/", 1)[0] for k in (model.image_credits or {})} | {
        k.split("/", 1)[0] for k in ((model.pricing or {}).get("image_prices") or {})
    }
    return tuple(s for s in IMAGE_SIZES if s in named) or IMAGE_SIZES


def readable_errors(errors: dict) -> str:
    """A form's validation errors as a person reads them: "max tokens: ...", and errors
    of the whole value (marshmallow's ``_schema``) with no field name."""
    parts = []
    for field, messages in sorted(errors.items()):
        text = " ".join(messages) if isinstance(messages, list) else str(messages)
        parts.append(text if field == "_schema" else f"{field.replace('_', ' ')}: {text}")
    return "; ".join(parts)


class IntegrationSettingsView(SecuredModelView):
    """An account's overrides: the account chosen, models of the right type, parameters
    checked as the API checks them (image sizes from the image model's own list)."""

    # The parameters are fields of their own (choices where the API takes a fixed set),
    # kept together in the row's config; an empty field is no override.
    form_columns = ("account", "text_model", "image_model", *PARAMETERS)
    form_extra_fields = {
        "temperature": FloatField("Temperature", validators=[Optional(), NumberRange(0, 2)]),
        "max_tokens": IntegerField("Max tokens", validators=[Optional()]),
        "image_size": SelectField("Image size", choices=_choices(IMAGE_SIZES, NOT_OVERRIDDEN)),
        "image_quality": SelectField(
            "Image quality", choices=_choices(IMAGE_QUALITIES, NOT_OVERRIDDEN)
        ),
        "image_style": SelectField("Image style", choices=_choices(IMAGE_STYLES, NOT_OVERRIDDEN)),
    }
    form_args = {
        "account": {"validators": [DataRequired()]},
        "text_model": {"query_factory": _models_of("text")},
        "image_model": {"query_factory": _models_of("image")},
    }
    column_descriptions = {
        "image_size": "Must be one the image model takes (checked when saved)",
    }

    def on_form_prefill(self, form, id):
        config = self.get_one(id).config or {}
        for name in PARAMETERS:
            getattr(form, name).data = config.get(name)

    def on_model_change(self, form, model, is_created):
        with db.session.no_autoflush:  # the row being saved must not find itself
            taken = db.session.execute(
                select(IntegrationSettings.id).where(
                    IntegrationSettings.account_id == model.account.id,
                    IntegrationSettings.id != (model.id or 0),
                )
            ).scalar()
        if taken:
            raise ValueError(
                f"account {model.account.name!r} already has override settings (#{taken}): "
                "edit those"
            )
        plan = model.account.plan
        if plan is not None and not plan.allows_overrides:
            # Saved, they would be ignored by every call (the plan decides), silently.
            raise ValueError(
                f"account {model.account.name!r} is on the {plan.name} plan, which does not "
                "allow overrides: they would be ignored. Move the account to a plan that "
                "allows them first"
            )
        config = {
            name: getattr(form, name).data
            for name in PARAMETERS
            if getattr(form, name).data not in (None, "")
        }
        errors = IntegrationSettingsIn().validate(config)  # as the API checks them
        if errors:
            raise ValueError(readable_errors(errors))
        size = config.get("image_size")
        image_model = model.image_model
        if size and image_model is not None and size not in image_sizes_of(image_model):
            raise ValueError(
                f"image size: {image_model.model_name} takes "
                f"{', '.join(image_sizes_of(image_model))}, not {size}"
            )
        model.config = config or None


class PromptView(SecuredModelView):
    """Prompt templates, global and per account: checked as the API checks a tenant's."""

    column_list = ("key", "account_id", "template", "updated_at")
    # A prompt's key names the operation that uses it: a copy needs another key (or the
    # same key for another account), so a clone would be a row no operation ever reads.
    # An account's own prompt is made with Create (that account, the operation's key).
    can_clone = False
    column_descriptions = {
        "template": "Jinja; only the variables the prompt declares (Debug Console shows them)",
        "account_id": "Empty: the global template every account without its own uses",
    }

    def on_model_change(self, form, model, is_created):
        try:
            prompts.validate(model.key, model.template)
        except prompts.PromptError as exc:
            raise ValueError(f"template: {exc.message}") from None


class GlobalSettingsView(SingletonView):
    form_excluded_columns = ("updated_at",)
    # Flask-Admin's form builder skips Float columns: without this, no temperature field.
    # Image settings are chosen from what the API accepts, never free text.
    form_overrides = {
        "default_temperature": FloatField,
        "default_image_size": SelectField,
        "default_image_quality": SelectField,
        "default_image_style": SelectField,
    }
    form_args = {
        "default_text_model": {"query_factory": _models_of("text")},
        "default_image_model": {"query_factory": _models_of("image")},
        "default_temperature": {"validators": [NumberRange(0, 2)]},
        "default_image_size": {"choices": [(s, s) for s in IMAGE_SIZES]},
        "default_image_quality": {"choices": _choices(IMAGE_QUALITIES)},
        "default_image_style": {"choices": _choices(IMAGE_STYLES)},
        "default_max_tokens": {"validators": [NumberRange(1, 200_000)]},
        "max_in_article_images": {"validators": [NumberRange(0, 10)]},
    }

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        from ..models import GlobalIntegrationSettings

        GlobalIntegrationSettings.get()  # the singleton exists before it is edited
        db.session.commit()
        return super().edit_view()


class ModuleSwitchesView(security.SecuredView, BaseView):
    """One page, a switch per registered module."""

    @expose("/", methods=["GET", "POST"])
    def index(self):
        form = BulkForm(request.form)
        if request.method == "POST" and form.validate():
            key = request.form.get("module", "")
            try:
                modules.set_enabled(key, request.form.get("enabled") == "1")
                db.session.commit()
                flash(
                    f"module {key} {'enabled' if request.form.get('enabled') == '1' else 'disabled'}",
                    "success",
                )
            except modules.UnknownModule as exc:
                flash(str(exc), "error")
            return redirect(self.get_url(".index"))
        return self.render("admin/module_switches.html", states=modules.states(), form=form)
