"""Secrets are encrypted at rest; a missing or wrong key is a clear error, never an empty value."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import StatementError

from igny8.crypto import EncryptionKeyError, decrypt, encrypt, generate_key
from igny8.extensions import db
from igny8.models import ProviderCredential, Site

SECRET = "sk-live-THIS-IS-SECRET-123"


def test_provider_key_is_not_stored_in_plaintext(app):
    with app.app_context():
        db.session.add(ProviderCredential(provider="openai", api_key=SECRET))
        db.session.commit()
        raw = db.session.execute(text("SELECT api_key FROM provider_credentials")).scalar_one()
        assert SECRET not in raw and raw.startswith("gAAAA")
        db.session.expire_all()
        assert db.session.execute(db.select(ProviderCredential)).scalar_one().api_key == SECRET
        assert SECRET not in repr(db.session.execute(db.select(ProviderCredential)).scalar_one())


def test_wordpress_password_is_not_stored_in_plaintext(app, tenant):
    with app.app_context():
        db.session.get(Site, tenant.site_id).wp_app_password = SECRET
        db.session.commit()
        raw = db.session.execute(text("SELECT wp_app_password FROM sites")).scalar_one()
        assert SECRET not in raw


def test_missing_key_is_a_clear_error(make_app):
    app = make_app(ENCRYPTION_KEY=None)
    with app.app_context():
        db.session.add(ProviderCredential(provider="openai", api_key=SECRET))
        with pytest.raises(StatementError) as caught:
            db.session.flush()
        db.session.rollback()
    assert isinstance(caught.value.orig, EncryptionKeyError)
    assert "IGNY8_ENCRYPTION_KEY is not set" in str(caught.value)
    assert SECRET not in str(caught.value)  # SQLAlchemy must not echo the bound value


def test_wrong_key_is_a_clear_error_not_an_empty_value(make_app):
    writer = make_app()
    with writer.app_context():
        db.session.add(ProviderCredential(provider="openai", api_key=SECRET))
        db.session.commit()
    reader = make_app(ENCRYPTION_KEY=generate_key(), seeded=False)
    with reader.app_context():
        with pytest.raises(EncryptionKeyError, match="cannot be decrypted"):
            db.session.execute(db.select(ProviderCredential)).scalar_one()


def test_malformed_key_is_a_clear_error():
    with pytest.raises(EncryptionKeyError, match="malformed"):
        encrypt("x", "not-a-fernet-key")


def test_key_rotation_keeps_old_secrets_readable():
    old, new = generate_key(), generate_key()
    token = encrypt(SECRET, old)
    assert decrypt(token, f"{new},{old}") == SECRET
    assert decrypt(encrypt(SECRET, f"{new},{old}"), new) == SECRET
