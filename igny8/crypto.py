"""Encryption at rest for secrets (provider API keys, WordPress application passwords).

Values are encrypted with Fernet keyed by the app's ``ENCRYPTION_KEY``
(``IGNY8_ENCRYPTION_KEY``). Several comma-separated keys may be given to rotate:
the first encrypts, all decrypt. A missing or wrong key raises
``EncryptionKeyError``; a secret is never silently read back as empty.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy.types import Text, TypeDecorator


class EncryptionKeyError(RuntimeError):
    """The encryption key is missing, malformed, or does not decrypt the stored value."""


def generate_key() -> str:
    return Fernet.generate_key().decode()


@lru_cache(maxsize=8)
def _fernet_for(keys: str) -> MultiFernet:
    try:
        return MultiFernet([Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()])
    except (ValueError, TypeError) as exc:
        raise EncryptionKeyError(
            "IGNY8_ENCRYPTION_KEY is malformed: it must be a url-safe base64 Fernet key "
            "(generate one with `flask igny8 init`)"
        ) from exc


def fernet(keys: str | None = None) -> MultiFernet:
    keys = keys if keys is not None else current_app.config.get("ENCRYPTION_KEY")
    if not keys or not str(keys).strip():
        raise EncryptionKeyError(
            "IGNY8_ENCRYPTION_KEY is not set: secrets cannot be stored or read "
            "(run `flask igny8 init` or set the key in instance/config.py)"
        )
    return _fernet_for(str(keys))


def encrypt(plaintext: str, keys: str | None = None) -> str:
    return fernet(keys).encrypt(plaintext.encode()).decode()


def decrypt(token: str, keys: str | None = None) -> str:
    try:
        return fernet(keys).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise EncryptionKeyError(
            "a stored secret cannot be decrypted with IGNY8_ENCRYPTION_KEY "
            "(wrong key, or the key was rotated without keeping the old one)"
        ) from exc


class EncryptedString(TypeDecorator):
    """A text column whose value is Fernet-encrypted in the database."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return encrypt(str(value))

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return decrypt(value)
