"""Configuration: defaults -> instance/config.py -> IGNY8_* environment -> test_config."""

import os
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from .paths import bundled

DEFAULTS = {
    "SECRET_KEY": None,
    "ENCRYPTION_KEY": None,
    "DATABASE_URL": None,  # default: SQLite file in the instance folder
    "LOAD_PLUGINS": None,  # None: all installed; "": none; "a,b": only these
    "DISABLE_PLUGINS": "",
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "MIGRATIONS_DIR": None,
    "MEDIA_DIR": None,  # default: <instance>/media
    # How long the signed URL of an image (igny8.media) lasts: to the end of the window
    # after the one it was made in.
    "MEDIA_URL_SECONDS": 3600,
    # The app's address as the outside world reaches it (e.g. "https://api.example.com"),
    # for URLs made outside a request: the image URLs in a webhook's payload. Empty: those
    # are paths on the app, and a request's own URLs use its Host as always.
    "PUBLIC_URL": "",
    "API_PER_PAGE_DEFAULT": 20,
    "API_PER_PAGE_MAX": 100,
    # The largest request body (bytes); larger ones are refused with 413 before parsing.
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    # Credit revenue in the cost reports: USD a customer pays per credit.
    "REPORT_USD_PER_CREDIT": "0.10",
    # The most one provider call can plausibly use (any one token count, images) and cost
    # (USD); a usage report beyond them is settled at the call's hold and flagged
    # implausible_usage (igny8.billing.plausibility, docs/metering.md).
    "PLAUSIBLE_CALL_TOKENS": 20_000_000,
    "PLAUSIBLE_CALL_IMAGES": 1_000,
    "PLAUSIBLE_CALL_USD": "10000",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # Sent over HTTPS only; `make run` (local development over http) turns it off.
    "SESSION_COOKIE_SECURE": True,
    # Hosts, addresses or networks publishing may reach although they are not public
    # (comma-separated in IGNY8_OUTBOUND_ALLOW_HOSTS), e.g. "127.0.0.1" for a local demo.
    "OUTBOUND_ALLOW_HOSTS": (),
    # Bounds on rendering a prompt template: its length, and the steps it may take (loop
    # turns, calls, lookups, operators, output pieces). docs/security.md.
    "PROMPT_MAX_CHARS": 200_000,
    "PROMPT_MAX_STEPS": 100_000,
    # How long a request waits for a duplicate (same Idempotency-Key) that is still running.
    "IDEMPOTENCY_WAIT_SECONDS": 60.0,
    # Rate limits (Flask-Limiter notation): every API token across the whole API, and
    # sign-in attempts per address. Counts live in memory unless a storage URI is given
    # (redis://127.0.0.1:6379/0 shares them between processes).
    "API_RATE_LIMIT": "300 per minute",
    # Browser origins allowed to call /api/v1 (CORS), comma-separated, e.g.
    # "https://app.example.com,http://localhost:5173"; empty: none (same origin only).
    "CORS_ORIGINS": (),
    "LOGIN_RATE_LIMIT": "10 per minute; 50 per hour",
    # Sign-in through the API (igny8.api.session): how long a browser session lasts, and
    # how long a password-reset or invitation link works. The session cookie follows
    # SESSION_COOKIE_SECURE and SESSION_COOKIE_SAMESITE, like the admin's.
    "API_SESSION_HOURS": 168,
    "PASSWORD_LINK_MINUTES": 60,
    # Where the links in reset and invitation e-mails point: the frontend's page, with
    # {token} in it (e.g. "https://app.example.com/set-password?token={token}"); empty:
    # the e-mail gives the token alone.
    "PASSWORD_LINK_URL": "",
    # Notifications (GET /notifications): a balance under this many credits, told at most
    # once per NOTIFY_REPEAT_HOURS.
    "NOTIFY_LOW_BALANCE_CREDITS": 100,
    "NOTIFY_REPEAT_HOURS": 24.0,
    # The mail server for account e-mail (password resets, invitations) and alerts.
    "MAIL_SMTP_HOST": "localhost",
    "MAIL_SMTP_PORT": 25,
    "MAIL_FROM": "igny8@localhost",
    # Bad API tokens per address: past it, the address gets 429 whatever token it sends.
    "AUTH_FAILURE_RATE_LIMIT": "30 per minute",
    "RATELIMIT_STORAGE_URI": "memory://",
    # How admin passwords are hashed (werkzeug.security methods). The test suite uses a
    # cheap one; a stored hash names its method, so changing this never locks anyone out.
    "PASSWORD_HASH_METHOD": "scrypt",
    # Background runs: runs the embedded runner executes at once per process; how long a request that
    # sends no `Prefer: wait=N` waits for its run (0: answer 202 at once); the longest wait.
    "RUN_WORKERS": 32,
    # Requests one web process serves at once under `make serve` (asgi.py: the app's
    # threads behind gunicorn's asyncio worker); a request waiting for its run holds one.
    "WEB_THREADS": 32,
    # A run's items in parallel (igny8.runs.parallel): at most this many of one run at
    # once, and of one account across all its runs (an account's max_concurrency
    # overrides it); this process's item threads, i.e. the most provider calls it has in
    # flight. docs/deploy.md sizes them for a provider's latency and rate limits.
    "RUN_ITEM_CONCURRENCY": 16,
    "ACCOUNT_CONCURRENCY": 32,
    # Runs of one account a Celery deployment executes at once; its further runs wait in
    # the queue while other accounts' runs start (fair share of the workers' run slots).
    "ACCOUNT_RUNS": 8,
    "ITEM_WORKERS": 256,
    # Connections this process keeps open to a server database (PostgreSQL), and how many
    # more it may open at a peak (closed again when returned). Items hold one only while
    # they read or write, never over a provider call; a pool smaller than the items that
    # write at once opens and closes a connection every few items (docs/deploy.md).
    "DATABASE_POOL_SIZE": 16,
    "DATABASE_MAX_OVERFLOW": 48,
    # Where limit counts live (igny8.limits): a Redis URL shares them between processes;
    # empty: this process only. Unset (None): the Celery broker, if any.
    "LIMITS_STORAGE_URL": None,
    # Run event streams (GET /runs/{id}/events) open at once, per account and per API
    # token (429 past them); a stream ends after EVENT_STREAM_MAX_SECONDS (EventSource
    # reconnects by itself).
    "EVENT_STREAMS_PER_ACCOUNT": 20,
    "EVENT_STREAMS_PER_TOKEN": 10,
    "EVENT_STREAM_MAX_SECONDS": 600.0,
    # How often the account's event stream (GET /events) looks for changes.
    "ACCOUNT_STREAM_POLL_SECONDS": 2.0,
    "RUN_DEFAULT_WAIT": 0.0,
    "RUN_MAX_WAIT": 60.0,
    # With Celery: a run of at most this many items whose request waits for it is
    # executed by the web process that took the request (no broker round trip; the
    # waiting process does the work). 0: every run goes to the workers.
    "RUN_INLINE_MAX_ITEMS": 16,
    # A running run whose worker has shown no sign of life (a finished item) for this many
    # seconds is taken over and resumed by another worker; longer than any one item takes.
    "RUN_STALE_AFTER": 600.0,
    # Celery on Redis instead of the embedded runner (docs/deploy.md): the broker, the
    # queue (its name also namespaces the broker's keys), and how long a message taken by
    # a worker that vanished waits before it is delivered again.
    "CELERY_BROKER_URL": "",
    "CELERY_QUEUE": "igny8",
    "CELERY_VISIBILITY_TIMEOUT": 3600.0,
    # Celery beat: how often stale runs are resumed or re-sent, and how old a hold is
    # before it is given back and the run failed (release-stale-holds).
    "RUN_SWEEP_SECONDS": 60.0,
    "STALE_HOLD_MINUTES": 30,
}

ENV_PREFIX = "IGNY8_"
# Read before the app exists (it decides where the instance folder is) or by tests only.
ENV_NOT_CONFIG = {"INSTANCE_PATH", "TEST_DATABASE_URL"}
# What an environment variable's text becomes: the type of the key's default above, or
# the type given here for keys whose default lives with the code that reads them.
TYPES = {
    "LIMITS_STORAGE_URL": str,
    "PROVIDER_TIMEOUT": float,
    "PROVIDER_MAX_ATTEMPTS": int,
    "PROVIDER_RETRY_BASE_DELAY": float,
    "PROVIDER_RETRY_MAX_DELAY": float,
    "PROVIDER_MAX_RETRY_AFTER": float,
    "ALERT_LOW_BALANCE_CREDITS": int,
    "ALERT_ERROR_SPIKE_RATE": float,
    "ALERT_ERROR_SPIKE_MINUTES": int,
    "ALERT_ERROR_SPIKE_MIN_CALLS": int,
    "ALERT_REPEAT_MINUTES": int,
    "ALERT_SMTP_PORT": int,
}
# Counts of things at once: zero would stop all work, so it is refused where it is set.
POSITIVE = (
    "RUN_WORKERS",
    "RUN_ITEM_CONCURRENCY",
    "ACCOUNT_CONCURRENCY",
    "ITEM_WORKERS",
    "DATABASE_POOL_SIZE",
    "WEB_THREADS",
    "ACCOUNT_RUNS",
    "EVENT_STREAMS_PER_ACCOUNT",
    "EVENT_STREAMS_PER_TOKEN",
    "PLAUSIBLE_CALL_TOKENS",
    "PLAUSIBLE_CALL_IMAGES",
)
BOOLEANS = {"1": True, "true": True, "yes": True, "on": True}
BOOLEANS.update({"0": False, "false": False, "no": False, "off": False})


class ConfigError(ValueError):
    """A setting that cannot be read as its type; the message names the variable."""


def _typed(name: str, text: str):
    kind = TYPES.get(name) or type(DEFAULTS.get(name))
    try:
        if kind is bool:
            return BOOLEANS[text.strip().lower()]
        if kind is int:
            return int(text.strip())
        if kind is float:
            return float(text.strip())
        if kind in (tuple, list):
            return tuple(part.strip() for part in text.split(",") if part.strip())
    except (KeyError, ValueError):
        expected = {bool: "true or false", int: "a whole number", float: "a number"}[kind]
        raise ConfigError(f"{ENV_PREFIX}{name} must be {expected}, not {text!r}") from None
    return text


def from_environment(environ=os.environ) -> dict:
    """Every IGNY8_X variable as config key X, read as the key's type (a number, a flag
    "true"/"false", a comma-separated list); ConfigError when it cannot be."""
    return {
        key[len(ENV_PREFIX) :]: _typed(key[len(ENV_PREFIX) :], value)
        for key, value in environ.items()
        if key.startswith(ENV_PREFIX) and key[len(ENV_PREFIX) :] not in ENV_NOT_CONFIG
    }


def load(app, test_config=None) -> None:
    app.config.update(DEFAULTS)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    app.config.update(from_environment())
    if test_config:
        app.config.update(test_config)

    for name in POSITIVE:
        value = app.config[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(
                f"{ENV_PREFIX}{name} must be a whole number of at least 1, not {value!r}"
            )
    try:
        if not Decimal(str(app.config["PLAUSIBLE_CALL_USD"])) > 0:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        raise ConfigError(
            f"{ENV_PREFIX}PLAUSIBLE_CALL_USD must be an amount of USD above 0, "
            f"not {app.config['PLAUSIBLE_CALL_USD']!r}"
        ) from None
    public = urlsplit(app.config["PUBLIC_URL"] or "")
    if app.config["PUBLIC_URL"] and (public.scheme not in ("http", "https") or not public.netloc):
        raise ConfigError(
            f"{ENV_PREFIX}PUBLIC_URL must be an http(s) address such as "
            f"https://api.example.com, not {app.config['PUBLIC_URL']!r}"
        )
    app.config["MIGRATIONS_DIR"] = app.config["MIGRATIONS_DIR"] or bundled("migrations")
    app.config["MEDIA_DIR"] = app.config["MEDIA_DIR"] or os.path.join(app.instance_path, "media")
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"] or (
        "sqlite:///" + os.path.join(app.instance_path, "igny8.db")
    )
    # Bound parameters can be secrets (API keys before encryption): keep them out of errors and logs.
    # A pooled connection the server dropped (a restart, a failover) is found out when it
    # is taken from the pool (igny8.database.ping_when_needed: its socket is looked at, and it
    # is pinged only if the server spoke or it lay idle), not pinged on every checkout:
    # under load that ping was one round trip in five.
    server_pool = (
        {
            "pool_size": app.config["DATABASE_POOL_SIZE"],
            "max_overflow": app.config["DATABASE_MAX_OVERFLOW"],
        }
        if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
        else {}
    )
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        "hide_parameters": True,
        **server_pool,
        **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
    }
    if not app.config["SECRET_KEY"]:
        # Without a configured key, sessions last only as long as this process.
        app.config["SECRET_KEY"] = os.urandom(32).hex()
        app.config["SECRET_KEY_IS_EPHEMERAL"] = True
