"""Constraints that protect the data hold on SQLite and PostgreSQL alike."""

from decimal import Decimal

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from igny8.extensions import db
from igny8.models import (
    Account,
    AIModelConfig,
    CreditUsageLog,
    GlobalIntegrationSettings,
    Keyword,
    OperationRun,
    Prompt,
    Site,
)


def refused(statement_or_rows):
    """Adding the rows (or running the statement) is refused by the database."""
    with pytest.raises(IntegrityError):
        if isinstance(statement_or_rows, list):
            db.session.add_all(statement_or_rows)
            db.session.flush()
        else:
            db.session.execute(statement_or_rows)
    db.session.rollback()


def test_one_default_model_per_type(app):
    with app.app_context():
        defaults = db.session.execute(
            select(AIModelConfig.model_type, AIModelConfig.model_name).where(
                AIModelConfig.is_default
            )
        ).all()
        assert sorted(defaults) == [("image", "dall-e-3"), ("text", "gpt-4o-mini")]
        refused(
            update(AIModelConfig)
            .where(AIModelConfig.model_name == "gpt-4o")
            .values(is_default=True)
        )
        # Moving the default is fine: clear the old one first.
        db.session.execute(update(AIModelConfig).values(is_default=False))
        db.session.execute(
            update(AIModelConfig)
            .where(AIModelConfig.model_name == "gpt-4o")
            .values(is_default=True)
        )
        db.session.commit()


def test_credits_never_negative(app, tenant):
    with app.app_context():
        refused(update(Account).where(Account.id == tenant.account_id).values(credits=-1))


def test_request_id_is_unique(app, tenant):
    with app.app_context():
        rows = [
            CreditUsageLog(
                account_id=tenant.account_id,
                operation="clustering",
                provider="offline",
                request_id="req-1",
            )
            for _ in range(2)
        ]
        refused(rows)


def test_idempotency_key_unique_per_account_only(app, make_tenant):
    a, b = make_tenant(), make_tenant()
    with app.app_context():
        refused(
            [
                OperationRun(account_id=a.account_id, operation="clustering", idempotency_key="k")
                for _ in range(2)
            ]
        )
        db.session.add_all(
            [
                OperationRun(account_id=t.account_id, operation="clustering", idempotency_key="k")
                for t in (a, b)
            ]
        )
        db.session.commit()
        # Runs without a key are never in conflict.
        db.session.add_all(
            [OperationRun(account_id=a.account_id, operation="clustering") for _ in range(2)]
        )
        db.session.commit()


def test_tenant_rows_must_point_at_a_site_of_their_own_account(app, make_tenant):
    a, b = make_tenant(), make_tenant()
    with app.app_context():
        refused([Keyword(account_id=a.account_id, site_id=b.site_id, keyword="leak")])
        db.session.add(Keyword(account_id=a.account_id, site_id=a.site_id, keyword="fine"))
        db.session.commit()


def test_keyword_unique_per_site(app, tenant):
    with app.app_context():
        refused(
            [
                Keyword(account_id=tenant.account_id, site_id=tenant.site_id, keyword="same")
                for _ in range(2)
            ]
        )


def test_global_prompt_unique_and_account_override_allowed(app, tenant):
    with app.app_context():
        db.session.add(Prompt(key="clustering", template="global"))
        db.session.commit()
        refused([Prompt(key="clustering", template="second global")])
        db.session.add(Prompt(key="clustering", template="mine", account_id=tenant.account_id))
        db.session.commit()
        refused([Prompt(key="clustering", template="again", account_id=tenant.account_id)])


def test_global_settings_is_a_singleton_with_design_defaults(app):
    with app.app_context():
        settings = GlobalIntegrationSettings.get()
        assert (
            settings.default_temperature,
            settings.default_max_tokens,
            settings.default_image_size,
            settings.max_in_article_images,
        ) == (0.7, 8192, "1024x1024", 2)
        refused([GlobalIntegrationSettings(id=2)])


def test_money_is_decimal_and_exact(app):
    with app.app_context():
        model = db.session.execute(
            select(AIModelConfig).where(AIModelConfig.model_name == "gpt-4o-mini")
        ).scalar_one()
        assert model.cost_per_1k_cached_input == Decimal("0.000075")
        assert isinstance(model.cost_per_1k_input, Decimal)
        assert model.prices[0].cost_per_1k_output == Decimal("0.0006")


def test_deleting_an_account_removes_its_sites(app, make_tenant):
    tenant = make_tenant(credits=0)  # no billing history
    with app.app_context():
        db.session.delete(db.session.get(Account, tenant.account_id))
        db.session.commit()
        assert db.session.get(Site, tenant.site_id) is None


def test_the_database_keeps_an_account_that_has_billing_history(app, tenant):
    with app.app_context():
        db.session.delete(db.session.get(Account, tenant.account_id))  # it has a grant
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        assert db.session.get(Account, tenant.account_id) is not None
