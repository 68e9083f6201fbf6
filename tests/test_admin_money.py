"""Money records are append-only in admin; accounts are archived, not deleted; clones
start empty; every admin write is in the admin audit log."""

from decimal import Decimal

import pytest
from metering_support import ScriptedProvider, add_model, scripted_plugin
from sqlalchemy import func, select
from test_admin import admin, admin_user, csrf_from, list_csrf, run_action  # noqa: F401

from igny8.ai.engine import run_operation
from igny8.extensions import db
from igny8.models import (
    Account,
    AdminAuditLog,
    CreditTransaction,
    CreditUsageLog,
    GlobalIntegrationSettings,
    ModelPrice,
    OperationRun,
    ProviderCredential,
    UsageCostRevision,
)

# Every money or history table, at its admin URL.
READ_ONLY = {
    "/admin/credittransaction/": CreditTransaction,
    "/admin/creditusagelog/": CreditUsageLog,
    "/admin/modelprice/": ModelPrice,
    "/admin/operationrun/": OperationRun,
    "/admin/usagecostrevision/": UsageCostRevision,
    "/admin/adminauditlog/": AdminAuditLog,
}


@pytest.fixture
def history(app, plugins, tenant):
    """Real calls: usage rows, ledger rows, a run, price rows; one cost revision; one audit row."""
    scripted = ScriptedProvider()
    plugins.register(scripted_plugin(scripted), "scripted_plugin")
    with app.app_context():
        model = add_model()
        GlobalIntegrationSettings.get().default_text_model = model
        db.session.commit()
        # Items long enough that the run's work JSON is cut short in the list.
        run_operation(tenant.account_id, "echo", ["a" + " item" * 10, "b" + " item" * 10])
        usage = db.session.execute(select(CreditUsageLog)).scalars().first()
        db.session.add(
            UsageCostRevision(
                usage_id=usage.id,
                old_cost_usd_total=Decimal(1),
                new_cost_usd_total=Decimal(2),
                before={},
                after={},
            )
        )
        db.session.add(AdminAuditLog(action="update", target="plans", summary="x"))
        db.session.commit()
    return tenant


def snapshot(app):
    with app.app_context():
        return {
            url: [
                tuple(sorted((c.key, str(getattr(row, c.key))) for c in model.__table__.c))
                for row in db.session.execute(select(model)).scalars()
            ]
            for url, model in READ_ONLY.items()
        }


def test_no_money_row_can_be_written_from_admin(app, admin, history):  # noqa: F811
    before = snapshot(app)
    assert all(before.values()), "every table has a row to attack"
    for url, model in READ_ONLY.items():
        listing = admin.get(url).get_data(as_text=True)
        assert admin.get(url).status_code == 200
        for action in ("clone", "delete", "activate", "deactivate", "set_status"):
            assert f'value="{action}"' not in listing, (url, action)
        assert "/new/" not in listing and "/edit/" not in listing
        with app.app_context():
            row_id = db.session.execute(select(model.id).limit(1)).scalar()
        token = list_csrf(admin, url)
        # Every way in: the create and edit forms, single delete, and each bulk action.
        assert admin.get(f"{url}new/").status_code == 302
        assert admin.get(f"{url}edit/?id={row_id}").status_code == 302
        admin.post(f"{url}new/", data={"csrf_token": token, "amount": "5", "status": "success"})
        admin.post(f"{url}edit/?id={row_id}", data={"csrf_token": token, "amount": "999999"})
        admin.post(f"{url}delete/", data={"id": str(row_id), "csrf_token": token})
        for action in ("clone", "delete", "set_status", "activate", "deactivate"):
            run_action(admin, url, action, [row_id])
        # Reading and exporting stay.
        assert admin.get(f"{url}details/?id={row_id}").status_code == 200
        assert admin.get(f"{url}export/csv/").status_code == 200
    assert snapshot(app) == before
    assert app.test_cli_runner().invoke(args=["igny8", "audit-ledger"]).exit_code == 0


def test_a_cloned_account_starts_empty_and_the_ledger_stays_clean(app, admin, history):  # noqa: F811
    run_action(admin, "/admin/account/", "clone", [history.account_id])
    with app.app_context():
        copy = db.session.execute(select(Account).where(Account.name.like("% (copy)"))).scalar_one()
        assert copy.credits == 0 and copy.archived_at is None
        usage = db.session.execute(
            select(func.count(CreditUsageLog.id)).where(CreditUsageLog.account_id == copy.id)
        ).scalar()
        assert usage == 0
    result = app.test_cli_runner().invoke(args=["igny8", "audit-ledger"])
    assert result.exit_code == 0, result.output


def test_an_account_with_history_is_archived_not_deleted(app, admin, history):  # noqa: F811
    token = list_csrf(admin, "/admin/account/")
    refused = admin.post(
        "/admin/account/delete/",
        data={"id": str(history.account_id), "csrf_token": token},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "has billing history (2 usage rows, " in refused and "archive it instead" in refused
    bulk = run_action(admin, "/admin/account/", "delete", [history.account_id])
    assert bulk.status_code == 302
    with app.app_context():
        assert db.session.get(Account, history.account_id) is not None
    run_action(admin, "/admin/account/", "archive", [history.account_id])
    with app.app_context():
        account = db.session.get(Account, history.account_id)
        assert account.archived_at is not None and not account.is_active
        name = account.name
    assert name not in admin.get("/admin/account/").get_data(as_text=True)
    assert name in admin.get("/admin/account/?archived=1").get_data(as_text=True)
    # Its records stay, and so do the reports built from them.
    assert app.test_cli_runner().invoke(args=["igny8", "audit-ledger"]).exit_code == 0
    with app.app_context():
        assert db.session.execute(select(func.count(CreditUsageLog.id))).scalar() == 2


def test_an_account_without_history_can_be_deleted(app, admin, make_tenant):  # noqa: F811
    empty = make_tenant(credits=0)
    token = list_csrf(admin, "/admin/account/")
    admin.post("/admin/account/delete/", data={"id": str(empty.account_id), "csrf_token": token})
    with app.app_context():
        assert db.session.get(Account, empty.account_id) is None


def entries(app, action=None):
    with app.app_context():
        query = select(AdminAuditLog).order_by(AdminAuditLog.id)
        if action:
            query = query.where(AdminAuditLog.action == action)
        return [
            (e.action, e.target, e.target_id, e.user_email, e.before, e.after)
            for e in db.session.execute(query).scalars()
        ]


def test_every_admin_write_is_in_the_audit_log(app, admin, tenant):  # noqa: F811
    # Settings: before and after of what changed.
    page = admin.get("/admin/global_settings/edit/?id=1").get_data(as_text=True)
    with app.app_context():
        settings = GlobalIntegrationSettings.get()
        form = {
            "default_temperature": "0.3",
            "default_max_tokens": str(settings.default_max_tokens),
            "default_image_size": settings.default_image_size,
            "max_in_article_images": str(settings.max_in_article_images),
            "csrf_token": csrf_from(page),
        }
    admin.post("/admin/global_settings/edit/?id=1", data=form)
    [(action, target, target_id, who, before, after)] = entries(app, "update")
    assert (action, target, target_id, who) == (
        "update",
        "global_integration_settings",
        "1",
        "root@igny8.test",
    )
    assert (before["default_temperature"], after["default_temperature"]) == (0.7, 0.3)
    # Credits through the ledger, named as such.
    token = list_csrf(admin, "/admin/account/")
    admin.post(
        f"/admin/account/adjust-credits/?ids={tenant.account_id}",
        data={"amount": "25", "reason": "goodwill", "csrf_token": token},
    )
    [adjusted] = entries(app, "adjust credits")
    assert adjusted[1:3] == ("accounts", str(tenant.account_id))
    assert (adjusted[4], adjusted[5]) == ({"credits": 1000}, {"credits": 1025})
    # A created row is named by its new id; a secret is never written down.
    page = admin.get("/admin/providercredential/new/").get_data(as_text=True)
    admin.post(
        "/admin/providercredential/new/",
        data={
            "provider": "openai",
            "new_api_key": "sk-live-NEVER-IN-THE-TRAIL",
            "is_active": "y",
            "csrf_token": csrf_from(page),
        },
    )
    [created] = entries(app, "create")
    with app.app_context():
        credential_id = db.session.execute(select(ProviderCredential.id)).scalar_one()
    assert created[1:3] == ("provider_credentials", str(credential_id))
    assert created[5]["api_key"] == "(secret)"
    assert "NEVER-IN-THE-TRAIL" not in admin.get("/admin/adminauditlog/").get_data(as_text=True)
    export = admin.get("/admin/adminauditlog/export/csv/").get_data(as_text=True)
    assert "adjust credits" in export and "NEVER-IN-THE-TRAIL" not in export
    # Module switches.
    page = admin.get("/admin/module_switches/").get_data(as_text=True)
    admin.post(
        "/admin/module_switches/",
        data={"csrf_token": csrf_from(page), "module": "writer", "enabled": "0"},
    )
    switched = [e for e in entries(app) if e[1] == "module_settings"]
    assert switched and switched[0][5] == {"enabled": False}
    # What tenants do through the API is not an admin write.
    before = len(entries(app))
    app.test_client().post(
        "/api/v1/sites", json={"name": "S", "url": "https://s.example"}, headers=tenant.headers
    )
    assert len(entries(app)) == before


def test_account_override_form_and_settings_take_only_valid_values(app, admin, tenant):  # noqa: F811
    from metering_support import model_named

    from igny8.models import IntegrationSettings

    page = admin.get("/admin/integrationsettings/new/").get_data(as_text=True)
    text_select = page[
        page.index('id="text_model"') : page.index("</select>", page.index('id="text_model"'))
    ]
    assert "GPT-4o mini" in text_select and "DALL-E 3" not in text_select
    assert 'id="account"' in page
    with app.app_context():
        dalle = model_named("dall-e-3").id

    # The parameters are fields: a select where the API takes a fixed set of values.
    size_select = page[
        page.index('id="image_size"') : page.index("</select>", page.index('id="image_size"'))
    ]
    assert "(not overridden)" in size_select and ">1024x1792<" in size_select
    assert 'id="config"' not in page

    def create(fields, account=tenant.account_id):
        page = admin.get("/admin/integrationsettings/new/").get_data(as_text=True)
        response = admin.post(
            "/admin/integrationsettings/new/",
            data={
                "account": str(account),
                "image_model": str(dalle),
                "image_size": "",
                "image_quality": "",
                "image_style": "",
                **fields,
                "csrf_token": csrf_from(page),
            },
            follow_redirects=True,
        )
        return response.get_data(as_text=True)

    assert "image size: dall-e-3 takes 1024x1024, 1024x1792, 1792x1024, not 1536x1024" in create(
        {"image_size": "1536x1024"}
    )
    assert "Number must be between 0 and 2" in create({"temperature": "-1"})
    assert "Not a valid choice" in create({"image_style": "neon"})
    with app.app_context():
        assert db.session.execute(select(func.count(IntegrationSettings.id))).scalar() == 0
    create({"image_size": "1024x1792", "temperature": "0.4"})
    assert "already has override settings" in create({})
    with app.app_context():
        saved = db.session.execute(select(IntegrationSettings)).scalar_one()
        assert (saved.account_id, saved.config) == (
            tenant.account_id,
            {"temperature": 0.4, "image_size": "1024x1792"},
        )
        saved_id = saved.id
    # Editing shows what is saved in its fields.
    edit = admin.get(f"/admin/integrationsettings/edit/?id={saved_id}").get_data(as_text=True)
    assert 'value="0.4"' in edit and '<option selected value="1024x1792">' in edit
    # Global settings: image size from the list, not free text.
    page = admin.get("/admin/global_settings/edit/?id=1").get_data(as_text=True)
    assert '<select class="form-control" id="default_image_size"' in page
    response = admin.post(
        "/admin/global_settings/edit/?id=1",
        data={
            "default_temperature": "0.7",
            "default_max_tokens": "8192",
            "default_image_size": "999x999",
            "max_in_article_images": "2",
            "csrf_token": csrf_from(page),
        },
    )
    assert "Not a valid choice" in response.get_data(as_text=True)
    with app.app_context():
        assert GlobalIntegrationSettings.get().default_image_size == "1024x1024"


def test_money_lists_name_the_account_newest_first_and_cut_json_short(app, admin, history):  # noqa: F811
    import re

    with app.app_context():
        account = db.session.get(Account, history.account_id)
        ids = sorted(db.session.execute(select(CreditUsageLog.id)).scalars())
        run_id = db.session.execute(select(OperationRun.id)).scalar()
    link = f'<a href="/admin/account/details/?id={account.id}">{account.name}</a>'
    for url in ("/admin/creditusagelog/", "/admin/credittransaction/", "/admin/operationrun/"):
        page = admin.get(url).get_data(as_text=True)
        assert link in page, url
        assert 'onclick="return false;">Account</a>' in page  # the account filter, by name
    listing = admin.get("/admin/creditusagelog/").get_data(as_text=True)
    shown = [int(i) for i in re.findall(r'name="rowid"[^>]*value="(\d+)"', listing)]
    assert shown == sorted(ids, reverse=True)  # newest first
    runs = admin.get("/admin/operationrun/").get_data(as_text=True)
    assert "&#34;status&#34;" not in runs  # the run's JSON is not in its list at all
    details = admin.get(f"/admin/operationrun/details/?id={run_id}").get_data(as_text=True)
    assert "<pre" in details and '"status": "succeeded"' in details.replace("&#34;", '"')
    # JSON a list does show is cut short there, whole on the row's page.
    from igny8.models import IntegrationSettings

    config = {
        "temperature": 0.4,
        "max_tokens": 1000,
        "image_size": "1024x1792",
        "image_quality": "hd",
        "image_style": "vivid",
    }
    with app.app_context():
        row = IntegrationSettings(account_id=history.account_id, config=config)
        db.session.add(row)
        db.session.commit()
        row_id = row.id
    listed = admin.get("/admin/integrationsettings/").get_data(as_text=True)
    listed = listed.replace("&#34;", '"')
    assert '"max_tokens": 1000, "image_size": "1024x1792", "image_quali…' in listed
    assert '"image_style": "vivid"' not in listed
    whole = admin.get(f"/admin/integrationsettings/details/?id={row_id}").get_data(as_text=True)
    assert '"image_style": "vivid"' in whole.replace("&#34;", '"')


def test_the_account_page_shows_the_account_whole(app, admin, history):  # noqa: F811
    page = admin.get(f"/admin/account/details/?id={history.account_id}").get_data(as_text=True)
    with app.app_context():
        account = db.session.get(Account, history.account_id)
        balance = account.credits
    assert f'<h3 id="account-name">{account.name}' in page
    assert f"{balance:,} credits" in page
    for section in (
        "account-chart",
        "account-ledger",
        "account-sites",
        "account-users",
        "account-tokens",
        "account-settings",
        "account-runs",
        "account-failures",
    ):
        assert f'id="{section}"' in page, section
    assert "opening balance on plan starter" in page  # the ledger
    assert "echo" in page  # the recent run
    assert "No failed calls." in page


def test_whole_list_exports_stream_every_row_and_search_finds_a_request_id(app, admin, history):  # noqa: F811
    import csv
    import io
    import json

    with app.app_context():
        rows = (
            db.session.execute(select(CreditUsageLog).order_by(CreditUsageLog.id.desc()))
            .scalars()
            .all()
        )
        account = db.session.get(Account, history.account_id).name
        wanted = rows[-1].request_id
    response = admin.get("/admin/creditusagelog/export/csv/", buffered=False)
    assert response.is_streamed
    lines = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["Request Id"] for r in lines] == [r.request_id for r in rows]
    assert {r["Account"] for r in lines} == {account}
    data = json.loads(admin.get("/admin/creditusagelog/export/json/").get_data(as_text=True))
    assert [d["request_id"] for d in data] == [r.request_id for r in rows]
    assert data[0]["account"] == account and data[0]["cost_usd_total"] == format(
        rows[0].cost_usd_total, "f"
    )
    # Search is by request id, exactly.
    found = admin.get(f"/admin/creditusagelog/?search={wanted}").get_data(as_text=True)
    import re

    assert re.findall(r'name="rowid"[^>]*value="(\d+)"', found) == [str(rows[-1].id)]
    assert not re.findall(
        r'name="rowid"',
        admin.get(f"/admin/creditusagelog/?search={wanted[:8]}").get_data(as_text=True),
    )


def test_a_streamed_export_leaves_no_transaction_open(app, admin, history):  # noqa: F811
    from sqlalchemy import text

    response = admin.get("/admin/creditusagelog/export/json/", buffered=False)
    assert b"".join(response.response).startswith(b"[")
    response.close()
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            states = (
                db.session.execute(
                    text(
                        "SELECT state || ': ' || left(query, 80) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid() "
                        "AND application_name = current_setting('application_name')"
                    )
                )
                .scalars()
                .all()
            )
            assert not [s for s in states if s.startswith("idle in transaction")], states
        else:  # SQLite: a write goes through at once, so no reader holds the database
            db.session.execute(text("UPDATE accounts SET name = name"))
            db.session.commit()


def test_overrides_for_an_account_whose_plan_forbids_them_are_refused(app, admin, make_tenant):  # noqa: F811
    from igny8.admin.views import readable_errors
    from igny8.models import IntegrationSettings

    free = make_tenant(plan="free")
    page = admin.get("/admin/integrationsettings/new/").get_data(as_text=True)
    response = admin.post(
        "/admin/integrationsettings/new/",
        data={
            "account": str(free.account_id),
            "temperature": "0.4",
            "image_size": "",
            "image_quality": "",
            "image_style": "",
            "csrf_token": csrf_from(page),
        },
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "is on the Free plan, which does not allow overrides: they would be ignored" in html
    with app.app_context():
        assert db.session.execute(select(func.count(IntegrationSettings.id))).scalar() == 0
    # Field names as a person reads them; an error of the whole value names no field.
    assert readable_errors({"max_tokens": ["Too big."], "_schema": ["Not an object."]}) == (
        "Not an object.; max tokens: Too big."
    )


def test_prompts_offer_no_clone_that_no_operation_would_read(app, admin):  # noqa: F811
    from igny8 import prompts
    from igny8.models import Prompt

    with app.app_context():
        prompts.populate()
        db.session.commit()
        first = db.session.execute(select(Prompt).order_by(Prompt.id)).scalars().first().id
        before = db.session.execute(select(func.count(Prompt.id))).scalar()
    listing = admin.get("/admin/prompt/").get_data(as_text=True)
    assert "Export selected (CSV)" in listing and ">Clone<" not in listing
    run_action(admin, "/admin/prompt/", "clone", [first])
    with app.app_context():
        assert db.session.execute(select(func.count(Prompt.id))).scalar() == before
        assert not db.session.execute(select(Prompt).where(Prompt.key.like("%(copy%"))).first()
    # Other lists still clone (the plan list, for one).
    assert ">Clone<" in admin.get("/admin/plan/").get_data(as_text=True)


def test_audit_log_summaries_name_rows_as_people_do(app, admin):  # noqa: F811
    from igny8.models import AdminAuditLog

    page = admin.get("/admin/prompt/new/").get_data(as_text=True)
    response = admin.post(
        "/admin/prompt/new/",
        data={
            "key": "clustering",
            "template": "Cluster these keywords for {{ site_name }}: {{ keywords }}",
            "csrf_token": csrf_from(page),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    with app.app_context():
        summary = db.session.execute(
            select(AdminAuditLog.summary).where(AdminAuditLog.target == "prompts")
        ).scalar_one()
    assert "pending" not in summary and "<Prompt" not in summary
    assert summary.startswith("create prompts ") and summary.endswith("'clustering'")
