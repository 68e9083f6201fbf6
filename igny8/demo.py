"""The demo set-up of `flask igny8 init --demo`: an account, a user, a token and a site,
served by the offline provider so that everything works with no key and no network."""

import json
import os
import secrets

from sqlalchemy import select

from . import accounts
from .extensions import db
from .models import AIModelConfig, GlobalIntegrationSettings, ProviderCredential, Site

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


def _openai_key_configured() -> bool:
    if os.environ.get("OPENAI_API_KEY"):
        return True
    row = db.session.execute(
        select(ProviderCredential).where(
            ProviderCredential.provider == "openai", ProviderCredential.is_active
        )
    ).scalar_one_or_none()
    return bool(row and row.api_key)


def _use_offline_models() -> None:
    """With no OpenAI key the demo runs on the offline provider; with one, the real
    default models (gpt-4o-mini, dall-e-3) serve."""
    if _openai_key_configured():
        return
    settings = GlobalIntegrationSettings.get()
    by_name = {
        m.model_name: m
        for m in db.session.execute(
            select(AIModelConfig).where(AIModelConfig.provider == "offline")
        ).scalars()
    }
    settings.default_text_model = by_name.get("offline-text")
    settings.default_image_model = by_name.get("offline-image")


def ensure_demo(app) -> tuple[dict | None, bool]:
    """Create the demo once. Returns (credentials, created_now); the caller commits, then saves them."""
    if accounts.find_account(ACCOUNT_NAME) is not None:
        return read_credentials(app), False
    account = accounts.create_account(ACCOUNT_NAME, accounts.find_plan(PLAN), CREDITS)
    credentials = {"api_url": "http://127.0.0.1:5000/api/v1", "account": ACCOUNT_NAME}
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
    _use_offline_models()
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
