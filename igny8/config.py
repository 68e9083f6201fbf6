"""Configuration: defaults -> instance/config.py -> IGNY8_* environment -> test_config."""

import os

DEFAULTS = {
    "SECRET_KEY": None,
    "ENCRYPTION_KEY": None,
    "DATABASE_URL": None,  # default: SQLite file in the instance folder
    "LOAD_PLUGINS": None,  # None: all installed; "": none; "a,b": only these
    "DISABLE_PLUGINS": "",
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "MIGRATIONS_DIR": None,
    "MEDIA_DIR": None,  # default: <instance>/media
    "API_PER_PAGE_DEFAULT": 20,
    "API_PER_PAGE_MAX": 100,
    # Credit revenue in the cost reports: USD a customer pays per credit.
    "REPORT_USD_PER_CREDIT": "0.10",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # Hosts, addresses or networks publishing may reach although they are not public
    # (comma-separated in IGNY8_OUTBOUND_ALLOW_HOSTS), e.g. "127.0.0.1" for a local demo.
    "OUTBOUND_ALLOW_HOSTS": (),
    # Bounds on rendering a prompt template: its length, and the steps it may take (loop
    # turns, calls, lookups, operators, output pieces). docs/security.md.
    "PROMPT_MAX_CHARS": 200_000,
    "PROMPT_MAX_STEPS": 100_000,
}

ENV_PREFIX = "IGNY8_"
# Read before the app exists (it decides where the instance folder is) or by tests only.
ENV_NOT_CONFIG = {"INSTANCE_PATH", "TEST_DATABASE_URL"}


def from_environment(environ=os.environ) -> dict:
    """Every IGNY8_X variable as config key X (values stay strings)."""
    return {
        key[len(ENV_PREFIX) :]: value
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

    root = os.path.dirname(app.root_path)
    app.config["MIGRATIONS_DIR"] = app.config["MIGRATIONS_DIR"] or os.path.join(root, "migrations")
    app.config["MEDIA_DIR"] = app.config["MEDIA_DIR"] or os.path.join(app.instance_path, "media")
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"] or (
        "sqlite:///" + os.path.join(app.instance_path, "igny8.db")
    )
    # Bound parameters can be secrets (API keys before encryption): keep them out of errors and logs.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        "hide_parameters": True,
        **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
    }
    if not app.config["SECRET_KEY"]:
        # Without a configured key, sessions last only as long as this process.
        app.config["SECRET_KEY"] = os.urandom(32).hex()
        app.config["SECRET_KEY_IS_EPHEMERAL"] = True
