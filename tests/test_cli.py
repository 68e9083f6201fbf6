"""`flask igny8 ...`: idempotent set-up, clear errors with exit code 2, nothing half-written."""

import json
import os
import stat

import pytest
from sqlalchemy import func, select, text

from igny8 import accounts
from igny8.extensions import db
from igny8.models import (
    Account,
    AIModelConfig,
    CreditCostConfig,
    CreditTransaction,
    GlobalIntegrationSettings,
    ModelPrice,
    ModuleSetting,
    Plan,
    Site,
    User,
)


def snapshot(app):
    """Every row of every table, to compare before and after a command."""
    with app.app_context():
        return {
            t.name: sorted(map(repr, db.session.execute(t.select()).all()))
            for t in db.metadata.sorted_tables
        }


def invoke(app, *args):
    return app.test_cli_runner().invoke(args=["igny8", *args])


@pytest.fixture
def fresh(make_app):
    """An app on a migrated but empty database, with no keys configured."""
    return make_app(seeded=False, SECRET_KEY=None, ENCRYPTION_KEY=None)


def test_init_seeds_the_catalog(fresh):
    result = invoke(fresh, "init")
    assert result.exit_code == 0, result.output
    assert (
        "seeded: 4 plans, 40 models, 7 operation costs, 1 global settings, 7 module settings"
        in result.output
    )
    with fresh.app_context():
        plans = {
            p.slug: (p.monthly_credits, p.allows_overrides)
            for p in db.session.execute(select(Plan)).scalars()
        }
        assert plans == {
            "free": (100, False),
            "starter": (1000, True),
            "growth": (2000, True),
            "scale": (5000, True),
        }
        models = {m.model_name: m for m in db.session.execute(select(AIModelConfig)).scalars()}
        mini = models["gpt-4o-mini"]
        assert (
            str(mini.cost_per_1k_input),
            str(mini.cost_per_1k_cached_input),
            str(mini.cost_per_1k_output),
            mini.tokens_per_credit,
            mini.is_default,
        ) == ("0.0001500000", "0.0000750000", "0.0006000000", 10000, True)
        assert (
            models["claude-haiku-4-5"].tokens_per_credit,
            models["claude-haiku-4-5"].provider,
        ) == (5000, "anthropic")
        assert (
            str(models["dall-e-3"].cost_per_image),
            models["dall-e-3"].credits_per_image,
            models["dall-e-3"].is_default,
        ) == ("0.0400000000", 5, True)
        assert (models["runware:97@1"].provider, models["runware:97@1"].credits_per_image) == (
            "runware",
            1,
        )
        assert (
            models["offline-text"].cost_per_1k_output == 0
            and models["offline-image"].credits_per_image == 1
        )
        # every model starts with its price history, written as the plugin's
        assert db.session.execute(select(func.count(ModelPrice.id))).scalar() == 40
        assert set(db.session.execute(select(ModelPrice.source)).scalars()) == {"plugin"}
        # past its end of life: kept for history, priced, not offered
        retired = models["claude-sonnet-4-5"]
        assert (str(retired.end_of_life), retired.is_active) == ("2026-11-30", False)
        assert retired.pricing["tiers"][0]["above_input_tokens"] == 200_000
        # declared per model: reasoning models take max_completion_tokens, no temperature
        assert models["o4-mini"].request_options == {
            "max_tokens_param": "max_completion_tokens",
            "temperature": False,
        }
        assert models["gpt-4o"].request_options is None
        costs = dict(
            db.session.execute(
                select(CreditCostConfig.operation, CreditCostConfig.min_credits)
            ).all()
        )
        assert costs == {
            "clustering": 2,
            "idea_generation": 1,
            "content_generation": 3,
            "image_prompt_extraction": 1,
            "image_generation": 1,
            "optimization": 1,
            "linking": 1,
        }
        assert (
            db.session.execute(
                select(func.count(ModuleSetting.id)).where(ModuleSetting.enabled)
            ).scalar()
            == 7
        )


def test_init_twice_changes_nothing(fresh):
    assert invoke(fresh, "init", "--demo").exit_code == 0
    before = snapshot(fresh)
    config_before = (
        fresh.instance_path + "/config.py",
        open(fresh.instance_path + "/config.py").read(),
    )
    result = invoke(fresh, "init", "--demo")
    assert result.exit_code == 0, result.output
    assert (
        "catalog: already up to date" in result.output and "demo: already set up" in result.output
    )
    assert snapshot(fresh) == before
    assert open(config_before[0]).read() == config_before[1]


def test_init_writes_secrets_once_and_never_overwrites(fresh):
    path = os.path.join(fresh.instance_path, "config.py")
    with open(path, "w") as f:
        f.write("SECRET_KEY = 'mine'\n")
    assert invoke(fresh, "init").exit_code == 0
    content = open(path).read()
    assert content.startswith("SECRET_KEY = 'mine'\n")
    assert content.count("ENCRYPTION_KEY = ") == 1 and content.count("SECRET_KEY") == 1
    assert stat.S_IMODE(os.stat(path).st_mode) & 0o077 == 0
    invoke(fresh, "init")
    assert open(path).read() == content


def test_init_keeps_admin_edits(fresh):
    invoke(fresh, "init")
    with fresh.app_context():
        model = db.session.execute(
            select(AIModelConfig).where(AIModelConfig.model_name == "gpt-4o")
        ).scalar_one()
        model.tokens_per_credit = 1234
        db.session.delete(db.session.execute(select(Plan).where(Plan.slug == "scale")).scalar_one())
        db.session.commit()
    invoke(fresh, "init")
    with fresh.app_context():
        assert (
            db.session.execute(
                select(AIModelConfig.tokens_per_credit).where(AIModelConfig.model_name == "gpt-4o")
            ).scalar_one()
            == 1234
        )
        # a deleted catalog row is re-seeded; an edited one is left alone
        assert db.session.execute(select(Plan).where(Plan.slug == "scale")).scalar_one()


def test_init_demo_creates_a_working_account_and_token(fresh):
    result = invoke(fresh, "init", "--demo")
    assert result.exit_code == 0, result.output
    token = result.output.split("demo token:")[1].split()[0]
    admin_line = next(
        line for line in result.output.splitlines() if line.startswith("admin login:")
    )
    email, password = admin_line.split(":", 1)[1].split()[0], admin_line.split("/")[1].split()[0]
    with fresh.app_context():
        account = db.session.execute(select(Account).where(Account.name == "Demo")).scalar_one()
        assert (account.plan.slug, account.credits) == ("starter", 1000)
        assert db.session.execute(select(Site).where(Site.account_id == account.id)).scalar_one()
        settings = GlobalIntegrationSettings.get()
        assert (
            settings.default_text_model.model_name,
            settings.default_image_model.model_name,
        ) == ("offline-text", "offline-image")
        admin = accounts.find_user(email)
        assert admin.is_superuser and accounts.check_password(admin, password)
    response = fresh.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.json["account"]["name"] == "Demo"
    creds = os.path.join(fresh.instance_path, "demo-credentials.json")
    assert stat.S_IMODE(os.stat(creds).st_mode) == 0o600
    assert json.load(open(creds))["api_token"] == token


def test_init_demo_keeps_real_models_when_an_openai_key_is_set(fresh, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-demo")
    assert invoke(fresh, "init", "--demo").exit_code == 0
    with fresh.app_context():
        settings = GlobalIntegrationSettings.get()
        assert settings.default_text_model is None and settings.default_image_model is None


def test_create_admin_and_update(app):
    assert (
        invoke(
            app, "create-admin", "--email", "Boss@Example.com", "--password", "longenough"
        ).exit_code
        == 0
    )
    result = invoke(app, "create-admin", "--email", "boss@example.com", "--password", "different1")
    assert result.exit_code == 0 and "updated admin" in result.output
    with app.app_context():
        user = accounts.find_user("boss@example.com")
        assert user.is_superuser and accounts.check_password(user, "different1")
        assert db.session.execute(select(func.count(User.id))).scalar() == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["--email", "not-an-email", "--password", "longenough"], "is not an email address"),
        (["--email", "a@b.c", "--password", "short"], "at least 8 characters"),
        (["--email", "a@b.c"], "Missing option '--password'"),
    ],
)
def test_create_admin_bad_arguments(app, args, message):
    result = invoke(app, "create-admin", *args)
    assert result.exit_code == 2 and message in result.output
    with app.app_context():
        assert db.session.execute(select(func.count(User.id))).scalar() == 0


def test_create_account_through_the_ledger(app):
    result = invoke(
        app,
        "create-account",
        "--name",
        "Acme",
        "--plan",
        "growth",
        "--credits",
        "250",
        "--email",
        "owner@acme.test",
        "--password",
        "password1",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        account = accounts.find_account("Acme")
        assert (account.plan.slug, account.credits) == ("growth", 250)
        assert [
            (t.amount, t.type) for t in db.session.execute(select(CreditTransaction)).scalars()
        ] == [(250, "grant")]
        assert accounts.find_user("owner@acme.test").account_id == account.id
    again = invoke(
        app,
        "create-account",
        "--name",
        "Acme",
        "--plan",
        "growth",
        "--credits",
        "250",
        "--email",
        "owner@acme.test",
    )
    assert again.exit_code == 0 and "nothing changed" in again.output
    with app.app_context():
        assert accounts.find_account("Acme").credits == 250


@pytest.mark.parametrize(
    "args, message",
    [
        (["--plan", "platinum"], "no plan 'platinum'"),
        (["--credits", "-5"], "-5 is not in the range x>=0"),
        (["--email", "x"], "is not an email address"),
    ],
)
def test_create_account_bad_arguments_write_nothing(app, args, message):
    base = {"--name": "Acme", "--plan": "starter", "--credits": "10", "--email": "o@acme.test"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    result = invoke(app, "create-account", *[x for kv in base.items() for x in kv])
    assert result.exit_code == 2, result.output
    assert message in result.output
    with app.app_context():
        assert db.session.execute(select(func.count(Account.id))).scalar() == 0
        assert db.session.execute(select(func.count(User.id))).scalar() == 0


def test_create_account_with_an_email_of_another_account(app, tenant):
    with app.app_context():
        email = db.session.get(User, tenant.user_id).email
    result = invoke(app, "create-account", "--name", "Other", "--plan", "free", "--email", email)
    assert result.exit_code == 2 and "already exists" in result.output
    with app.app_context():
        assert accounts.find_account("Other") is None


def test_create_token_prints_the_token_alone_on_the_last_line(app, tenant):
    with app.app_context():
        email = db.session.get(User, tenant.user_id).email
    result = invoke(app, "create-token", "--email", email)
    assert result.exit_code == 0
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("igny8_") and " " not in token
    assert (
        app.test_client()
        .get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        .status_code
        == 200
    )
    with app.app_context():
        raw = db.session.execute(text("SELECT token_hash FROM api_tokens")).scalars().all()
        assert token not in raw and accounts.hash_token(token) in raw
    assert invoke(app, "create-token", "--email", "nobody@x.test").exit_code == 2


def test_grant_credits(app, tenant):
    ref = str(tenant.account_id)
    result = invoke(
        app,
        "grant-credits",
        "--account",
        ref,
        "--amount",
        "40",
        "--reason",
        "promo",
        "--reference",
        "promo-1",
    )
    assert result.exit_code == 0 and "balance 1040" in result.output
    again = invoke(
        app,
        "grant-credits",
        "--account",
        ref,
        "--amount",
        "40",
        "--reason",
        "promo",
        "--reference",
        "promo-1",
    )
    assert again.exit_code == 0 and "nothing changed" in again.output
    assert (
        invoke(
            app, "grant-credits", "--account", ref, "--amount", "-40", "--reason", "fix"
        ).exit_code
        == 0
    )
    too_much = invoke(app, "grant-credits", "--account", ref, "--amount", "-5000", "--reason", "x")
    assert too_much.exit_code == 2 and "cannot take away 5000" in too_much.output
    with app.app_context():
        account = db.session.get(Account, tenant.account_id)
        amounts = [
            t.amount
            for t in db.session.execute(
                select(CreditTransaction)
                .where(CreditTransaction.account_id == account.id)
                .order_by(CreditTransaction.id)
            ).scalars()
        ]
        assert amounts == [1000, 40, -40] and account.credits == sum(amounts)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--account", "nope", "--amount", "5", "--reason", "x"], "no account 'nope'"),
        (["--account", "1", "--amount", "0", "--reason", "x"], "must not be 0"),
        (["--account", "1", "--amount", "five", "--reason", "x"], "'five' is not a valid integer"),
    ],
)
def test_grant_credits_bad_arguments(app, tenant, args, message):
    result = invoke(app, "grant-credits", *args)
    assert result.exit_code == 2 and message in result.output


def test_module_enable_disable(app, tenant, client):
    result = invoke(app, "module", "disable", "writer")
    assert result.exit_code == 0 and "module writer disabled" in result.output
    assert "already disabled" in invoke(app, "module", "disable", "writer").output
    modules = {
        m["key"]: m["enabled"]
        for m in client.get("/api/v1/modules", headers=tenant.headers).json["items"]
    }
    assert modules["writer"] is False and modules["clustering"] is True
    assert invoke(app, "module", "enable", "writer").exit_code == 0
    bad = invoke(app, "module", "disable", "teleporter")
    assert bad.exit_code == 2 and "no module 'teleporter'" in bad.output
    assert invoke(app, "module", "toggle", "writer").exit_code == 2


def test_init_demo_prints_the_address_the_app_is_served_on(make_app):
    # `make run` sets IGNY8_PUBLIC_URL from its HOST and PORT (PORT=5077 make run)
    app = make_app(seeded=False, PUBLIC_URL="http://127.0.0.1:5077")
    result = invoke(app, "init", "--demo")
    assert result.exit_code == 0, result.output
    assert "(http://127.0.0.1:5077/admin/)" in result.output and ":5000" not in result.output
    creds = json.load(open(os.path.join(app.instance_path, "demo-credentials.json")))
    assert creds["api_url"] == "http://127.0.0.1:5077/api/v1"
