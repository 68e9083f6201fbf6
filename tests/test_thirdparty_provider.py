"""The tutorial's provider plugin (examples/igny8_echo), found through its
entry point as pip would install it, declares one model: after `flask igny8 init` a
tenant can choose it and be billed for it, with no admin step."""

from decimal import Decimal

import pytest
from conftest import create_tenant
from metering_support import OperationsPlugin
from sqlalchemy import select

from igny8.ai.engine import run_operation
from igny8.extensions import db
from igny8.models import AIModelConfig, CreditUsageLog


@pytest.fixture
def installed(install_example):
    install_example("igny8_echo")


def test_installed_provider_is_callable_right_after_init(installed, make_app):
    app = make_app(seeded=False)
    assert "echo" in {name for name, _ in app.extensions["igny8"].pm.list_name_plugin()}
    result = app.test_cli_runner().invoke(args=["igny8", "init"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        model = db.session.execute(
            select(AIModelConfig).where(AIModelConfig.model_name == "echo-1")
        ).scalar_one()
        assert (model.provider, model.is_active, model.cost_per_1k_input) == (
            "echo",
            True,
            Decimal("0.001"),
        )
    tenant = create_tenant(app)
    client = app.test_client()
    chosen = client.put(
        "/api/v1/settings/integration", json={"text_model": "echo-1"}, headers=tenant.headers
    )
    assert chosen.status_code == 200, chosen.json
    app.extensions["igny8"].register(OperationsPlugin(), "say")
    with app.app_context():
        outcome = run_operation(tenant.account_id, "say", ["hello there world"])
        assert (
            outcome.run.status == "succeeded" and outcome.results[0]["text"] == "hello there world"
        )
        row = db.session.execute(select(CreditUsageLog)).scalar_one()
        # 3 words in, 3 out: 3 x $1/1M + 3 x $2/1M
        assert (row.provider, row.input_tokens, row.output_tokens) == ("echo", 3, 3)
        assert row.cost_usd_total == Decimal("0.000009") and row.credits_used == 1
