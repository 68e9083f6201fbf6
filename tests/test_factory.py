"""The app factory: configuration order, instance folder, database defaults, isolation."""

import os

import pytest
from sqlalchemy import text

from igny8 import create_app
from igny8.config import ConfigError
from igny8.extensions import db


def test_default_database_is_sqlite_in_the_instance_folder_in_wal_mode(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'igny8.db'}"
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        db.engine.dispose()


def test_config_order_defaults_instance_file_environment_test_config(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text(
        "SECRET_KEY = 'from-file'\nDATABASE_URL = 'sqlite:///file.db'\nMEDIA_DIR = '/from/file'\n"
    )
    monkeypatch.setenv("IGNY8_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("IGNY8_DATABASE_URL", "sqlite:///env.db")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-file"  # file over defaults
    assert app.config["DATABASE_URL"] == "sqlite:///env.db"  # environment over file
    assert app.config["MEDIA_DIR"] == "/from/file"
    assert app.config["API_PER_PAGE_DEFAULT"] == 20  # defaults
    app = create_app({"DATABASE_URL": "sqlite://", "INSTANCE_PATH": str(tmp_path)})
    assert app.config["DATABASE_URL"] == "sqlite://"  # test_config over all
    assert app.instance_path == str(tmp_path)


def test_encryption_and_secret_keys_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("IGNY8_SECRET_KEY", "s3")
    monkeypatch.setenv("IGNY8_ENCRYPTION_KEY", "k3")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert (app.config["SECRET_KEY"], app.config["ENCRYPTION_KEY"]) == ("s3", "k3")


def test_missing_secret_key_is_ephemeral_not_empty(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert len(app.config["SECRET_KEY"]) == 64
    assert app.config["SECRET_KEY_IS_EPHEMERAL"]


def test_two_apps_use_their_own_databases(tmp_path):
    a = create_app({"INSTANCE_PATH": str(tmp_path / "a")})
    b = create_app({"INSTANCE_PATH": str(tmp_path / "b")})
    with a.app_context():
        db.session.execute(text("CREATE TABLE marker (x integer)"))
        db.session.commit()
    with b.app_context():
        tables = db.session.execute(text("SELECT name FROM sqlite_master")).scalars().all()
        assert "marker" not in tables
        db.engine.dispose()
    with a.app_context():
        db.engine.dispose()
    assert os.path.exists(tmp_path / "a" / "igny8.db")


def test_session_cookie_is_httponly_and_samesite(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_environment_settings_are_read_as_their_types(tmp_path, monkeypatch):
    monkeypatch.setenv("IGNY8_API_PER_PAGE_MAX", "50")
    monkeypatch.setenv("IGNY8_SESSION_COOKIE_HTTPONLY", "false")
    monkeypatch.setenv("IGNY8_PROMPT_MAX_CHARS", " 5000 ")
    monkeypatch.setenv("IGNY8_PROVIDER_TIMEOUT", "7.5")
    monkeypatch.setenv("IGNY8_OUTBOUND_ALLOW_HOSTS", "127.0.0.1, wp.internal")
    monkeypatch.setenv("IGNY8_REPORT_USD_PER_CREDIT", "0.12")
    config = create_app({"INSTANCE_PATH": str(tmp_path)}).config
    assert config["API_PER_PAGE_MAX"] == 50
    assert config["SESSION_COOKIE_HTTPONLY"] is False  # "false" is no longer a true string
    assert (config["PROMPT_MAX_CHARS"], config["PROVIDER_TIMEOUT"]) == (5000, 7.5)
    assert config["OUTBOUND_ALLOW_HOSTS"] == ("127.0.0.1", "wp.internal")
    assert config["REPORT_USD_PER_CREDIT"] == "0.12"  # read as a Decimal where it is used


def test_a_list_endpoint_honours_a_per_page_limit_from_the_environment(
    monkeypatch, make_app, tenant_factory_for
):
    monkeypatch.setenv("IGNY8_API_PER_PAGE_MAX", "50")
    app = make_app()
    tenant = tenant_factory_for(app)
    client = app.test_client()
    answer = client.get("/api/v1/sites?per_page=50", headers=tenant.headers)
    assert answer.status_code == 200 and answer.json["per_page"] == 50
    too_many = client.get("/api/v1/sites?per_page=51", headers=tenant.headers)
    assert too_many.status_code == 422 and "50" in too_many.json["error"]["message"]


@pytest.mark.parametrize(
    "name, value, expected",
    [
        ("IGNY8_API_PER_PAGE_MAX", "fifty", "must be a whole number, not 'fifty'"),
        ("IGNY8_SESSION_COOKIE_HTTPONLY", "maybe", "must be true or false, not 'maybe'"),
        ("IGNY8_PROVIDER_TIMEOUT", "soon", "must be a number, not 'soon'"),
        ("IGNY8_PUBLIC_URL", "api.example.com", "must be an http\\(s\\) address"),
        ("IGNY8_PLAUSIBLE_CALL_USD", "lots", "must be an amount of USD above 0, not 'lots'"),
        ("IGNY8_PLAUSIBLE_CALL_USD", "0", "must be an amount of USD above 0"),
        ("IGNY8_PLAUSIBLE_CALL_TOKENS", "0", "must be a whole number of at least 1"),
    ],
)
def test_a_setting_that_is_not_its_type_stops_the_app_with_its_name(
    tmp_path, monkeypatch, name, value, expected
):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=f"{name} {expected}"):
        create_app({"INSTANCE_PATH": str(tmp_path)})
