"""GET/PUT /settings/integration and the prompts."""

from flask import jsonify
from sqlalchemy import select

from .. import prompts
from ..ai.credentials import usable_providers
from ..ai.resolve import PARAMETERS, resolve_parameters
from ..extensions import db
from ..models import AIModelConfig, GlobalIntegrationSettings, IntegrationSettings, Prompt
from ..plugins import current_plugins
from .auth import current_account, role
from .errors import ApiError
from .schemas import IntegrationSettingsIn, PromptIn, PromptPreviewIn
from .shapes import IntegrationOut, PromptOut, PromptPreviewOut, page_of
from .validation import documented

MODEL_FIELDS = {"text_model": "text", "image_model": "image"}


def _system_default(model_type):
    return db.session.execute(
        select(AIModelConfig).where(
            AIModelConfig.model_type == model_type,
            AIModelConfig.is_default,
            AIModelConfig.is_active,
        )
    ).scalar_one_or_none()


def effective_settings(account) -> dict:
    """What the account's operations use, and which values are the global ones."""
    settings = GlobalIntegrationSettings.get()
    own = db.session.execute(
        select(IntegrationSettings).where(IntegrationSettings.account_id == account.id)
    ).scalar_one_or_none()
    can_override = account.plan.allows_overrides
    body, using_global = {}, {}
    for field, model_type in MODEL_FIELDS.items():
        mine = getattr(own, field) if own and can_override else None
        if mine is not None and mine.is_active:
            body[field], using_global[field] = mine.model_name, False
        else:
            fallback = getattr(settings, f"default_{model_type}_model") or _system_default(
                model_type
            )
            body[field] = fallback.model_name if fallback else None
            using_global[field] = True
    params = resolve_parameters(settings, own.config if own else None, can_override)
    for name in PARAMETERS:
        body[name] = getattr(params, name)
        using_global[name] = params.source(name) == "global"
    return {**body, "using_global": using_global, "can_override": can_override}


def _model(name: str, model_type: str, field: str) -> AIModelConfig:
    model = db.session.execute(
        select(AIModelConfig).where(AIModelConfig.model_name == name)
    ).scalar_one_or_none()
    if model is None or not model.is_active:
        raise ApiError(
            422,
            f"{field}: no active model {name!r}",
            details={"fields": {field: ["unknown or inactive model"]}},
        )
    if model.model_type != model_type:
        raise ApiError(
            422,
            f"{field}: {name!r} is a {model.model_type} model, not a {model_type} model",
            details={"fields": {field: [f"not a {model_type} model"]}},
        )
    if model.provider not in usable_providers(current_plugins().pm):
        # Saved, the next run would fail at the provider (502): refused here instead.
        raise ApiError(
            422,
            f"{field}: {name!r} cannot be used now (provider {model.provider} has no API key "
            "or is not installed)",
            details={"fields": {field: [f"provider {model.provider} is not available"]}},
        )
    return model


def prompt_json(key: str, account_id: int) -> dict:
    template, source = prompts.template_for(key, account_id)
    default = prompts.defaults()[key]
    return {
        "key": key,
        "template": template,
        "source": source,
        "is_overridden": source == "account",
        # What the account's runs use without its override (what DELETE goes back to).
        "global_template": template if source != "account" else prompts.template_for(key, None)[0],
        "variables": list(default.variables),
    }


def register(bp):
    @bp.get("/settings/integration")
    @documented(
        "Effective AI settings, which are global, and whether the plan allows overrides",
        tags=["settings"],
        response=IntegrationOut,
    )
    def get_integration():
        return jsonify(effective_settings(current_account()))

    @bp.put("/settings/integration")
    @role("owner")
    @documented(
        "Override AI settings (null resets one to the global value)",
        tags=["settings"],
        body=IntegrationSettingsIn,
        response=IntegrationOut,
    )
    def put_integration(data):
        account = current_account()
        if not account.plan.allows_overrides:
            raise ApiError(
                403,
                f"the {account.plan.name} plan does not allow overriding AI settings",
                code="plan_forbids_override",
            )
        if not data:  # nothing to change
            return jsonify(effective_settings(account))
        own = db.session.execute(
            select(IntegrationSettings).where(IntegrationSettings.account_id == account.id)
        ).scalar_one_or_none()
        if own is None:
            own = IntegrationSettings(account_id=account.id, config={})
            db.session.add(own)
        config = dict(own.config or {})
        for field, model_type in MODEL_FIELDS.items():
            if field in data:
                setattr(own, field, _model(data[field], model_type, field) if data[field] else None)
        for name in PARAMETERS:
            if name in data:
                if data[name] is None:
                    config.pop(name, None)
                else:
                    config[name] = data[name]
        own.config = config
        db.session.commit()
        return jsonify(effective_settings(account))

    @bp.get("/prompts")
    @documented(
        "Every prompt: the template the account's runs use and the global one",
        tags=["prompts"],
        response=page_of(PromptOut),
    )
    def list_prompts():
        account = current_account()
        items = [prompt_json(key, account.id) for key in sorted(prompts.defaults())]
        # One page: there are as many prompts as operations.
        return jsonify(
            {"items": items, "page": 1, "per_page": len(items), "total": len(items), "next": None}
        )

    @bp.post("/prompts/<key>/preview")
    @documented(
        "Render a prompt (the account's, or the template sent) with the values sent; a "
        "variable not sent renders as <name>. Nothing is saved, no AI is called",
        tags=["prompts"],
        body=PromptPreviewIn,
        response=PromptPreviewOut,
    )
    def preview_prompt(key, data):
        account = current_account()
        _known(key)
        try:
            rendered, used = prompts.preview(
                key, account.id, data.get("template"), data.get("variables") or {}
            )
        except prompts.PromptError as exc:
            raise ApiError(
                422, exc.message, details=exc.details, code="prompt_error", field="template"
            ) from None
        return jsonify({"key": key, "rendered": rendered, "variables": used})

    @bp.put("/prompts/<key>")
    @documented(
        "Override a prompt for the account (validated: variables and syntax)",
        tags=["prompts"],
        body=PromptIn,
        response=PromptOut,
    )
    def put_prompt(key, data):
        account = current_account()
        _known(key)
        try:
            prompts.validate(key, data["template"])
        except prompts.PromptError as exc:
            raise ApiError(422, exc.message, details=exc.details, field="template") from None
        row = db.session.execute(
            select(Prompt).where(Prompt.key == key, Prompt.account_id == account.id)
        ).scalar_one_or_none()
        if row is None:
            db.session.add(Prompt(key=key, template=data["template"], account_id=account.id))
        else:
            row.template = data["template"]
        db.session.commit()
        return jsonify(prompt_json(key, account.id))

    @bp.delete("/prompts/<key>")
    @documented("Reset a prompt to the global one", tags=["prompts"], response=PromptOut)
    def reset_prompt(key):
        account = current_account()
        _known(key)
        db.session.execute(
            db.delete(Prompt).where(Prompt.key == key, Prompt.account_id == account.id)
        )
        db.session.commit()
        return jsonify(prompt_json(key, account.id))


def _known(key):
    if key not in prompts.defaults():
        raise ApiError(404, f"no prompt {key!r}")
