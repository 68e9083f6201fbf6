"""The demo set-up of `flask igny8 init --demo`: an account, a user, a token and a site,
served by a provider that needs no key (the offline one, as shipped) unless the real
defaults can be called, so that everything works with no key and no network."""

import json
import os
import secrets

from sqlalchemy import select

from . import accounts, registry
from .ai.credentials import is_configured
from .extensions import db
from .models import AIModelConfig, GlobalIntegrationSettings, Site
from .plugins import current_plugins

ACCOUNT_NAME = "Demo"
USER_EMAIL = "demo@igny8.local"
ADMIN_EMAIL = "admin@igny8.local"
PLAN = "starter"
CREDITS = 1000
SITE_NAME = "Demo Site"

# What `make run` feeds the demo pipeline: a small running-gear site.
KEYWORDS = [
    "best running shoes",
    "trail running shoes",
    "running shoes for flat feet",
    "cushioned running shoes",
    "marathon training plan",
    "half marathon training plan",
    "couch to 5k",
    "beginner running schedule",
    "running socks",
    "compression socks for running",
    "running watch",
    "gps running watch",
    "heart rate monitor for running",
    "running nutrition",
    "energy gels for running",
    "hydration vest",
    "running injuries",
    "shin splints treatment",
    "runners knee exercises",
    "stretching after running",
]


def credentials_path(app) -> str:
    return os.path.join(app.instance_path, "demo-credentials.json")


def save_credentials(app, credentials: dict) -> None:
    path = credentials_path(app)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(credentials, f, indent=2)


def read_credentials(app) -> dict | None:
    try:
        with open(credentials_path(app)) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def _use_callable_models() -> None:
    """For each model type: the system default serves when its provider can be called
    (a key is configured, or none is needed); otherwise the demo's global default is the
    first active model of a provider that needs no key (the offline one, as shipped)."""
    settings = GlobalIntegrationSettings.get()
    providers = registry.providers(current_plugins().pm)
    models = db.session.execute(
        select(AIModelConfig).where(AIModelConfig.is_active).order_by(AIModelConfig.sort_order)
    ).scalars()
    by_type: dict[str, list] = {}
    for model in models:
        by_type.setdefault(model.model_type, []).append(model)
    for model_type, candidates in by_type.items():
        default = next((m for m in candidates if m.is_default), None)
        provider = providers.get(default.provider) if default else None
        if provider is not None and is_configured(provider):
            continue
        keyless = next(
            (
                m
                for m in candidates
                if m.provider in providers and providers[m.provider].key_env_var is None
            ),
            None,
        )
        setattr(settings, f"default_{model_type}_model", keyless)


def public_url(app) -> str:
    """Where the app is served: IGNY8_PUBLIC_URL (`make run` sets it from its PORT), else
    the development default."""
    return (app.config.get("PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/")


def ensure_demo(app) -> tuple[dict | None, bool]:
    """Create the demo once. Returns (credentials, created_now); the caller commits, then saves them."""
    if accounts.find_account(ACCOUNT_NAME) is not None:
        return read_credentials(app), False
    account = accounts.create_account(ACCOUNT_NAME, accounts.find_plan(PLAN), CREDITS)
    credentials = {"api_url": f"{public_url(app)}/api/v1", "account": ACCOUNT_NAME}
    user = accounts.find_user(USER_EMAIL)
    if user is None:
        credentials["user_password"] = secrets.token_urlsafe(12)
        user = accounts.create_user(USER_EMAIL, credentials["user_password"], account)
    credentials["user_email"] = user.email
    credentials["api_token"] = accounts.issue_token(user, name="demo")
    if accounts.find_user(ADMIN_EMAIL) is None:
        credentials["admin_password"] = secrets.token_urlsafe(12)
        accounts.create_user(ADMIN_EMAIL, credentials["admin_password"], is_superuser=True)
        credentials["admin_email"] = ADMIN_EMAIL
    db.session.add(Site(account=account, name=SITE_NAME, url="https://demo.example.com"))
    _use_callable_models()
    return credentials, True


def demo_site() -> Site | None:
    account = accounts.find_account(ACCOUNT_NAME)
    if account is None:
        return None
    return (
        db.session.execute(select(Site).where(Site.account_id == account.id).order_by(Site.id))
        .scalars()
        .first()
    )
