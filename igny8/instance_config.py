"""Writes the instance's secrets once: instance/config.py is appended to, never overwritten."""

import os
import secrets

from flask import Config

from .crypto import generate_key

GENERATED = {
    "SECRET_KEY": lambda: secrets.token_hex(32),
    "ENCRYPTION_KEY": generate_key,
}


def config_path(app) -> str:
    return os.path.join(app.instance_path, "config.py")


def ensure_secrets(app) -> list[str]:
    """Add any missing generated secret to instance/config.py; returns the keys written."""
    path = config_path(app)
    existing = Config(app.instance_path)
    existing.from_pyfile(path, silent=True)
    lines = []
    for key, generate in GENERATED.items():
        if existing.get(key) or os.environ.get(f"IGNY8_{key}"):
            continue
        value = generate()
        lines.append(f"{key} = {value!r}\n")
        # The running app takes the new value unless something stronger set one.
        if not app.config.get(key) or app.config.get(f"{key}_IS_EPHEMERAL"):
            app.config[key] = value
            app.config.pop(f"{key}_IS_EPHEMERAL", None)
    if lines:
        is_new = not os.path.exists(path)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a") as f:
            if is_new:
                f.write(
                    "# igny8 instance configuration, written by `flask igny8 init`.\n"
                    "# Keep it secret: it holds the session and encryption keys.\n"
                )
            f.writelines(lines)
        os.chmod(path, 0o600)  # it now holds secrets, whoever created it
    return [line.split(" ", 1)[0] for line in lines]
