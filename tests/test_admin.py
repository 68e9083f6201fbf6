"""Admin: only active superusers, CSRF everywhere, bulk actions on exactly the selected rows,
API keys never shown."""

import json
import re

import pytest
from sqlalchemy import select

from igny8 import accounts
from igny8.extensions import db
from igny8.models import Account, CreditTransaction, Keyword, Plan, ProviderCredential

PASSWORD = "admin-password-1"
SECRET = "sk-live-ADMIN-NEVER-SHOWS-0123456789"


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def sign_in(client, email="root@igny8.test", password=PASSWORD):
    token = csrf_from(client.get("/admin/login").get_data(as_text=True))
    return client.post(
        "/admin/login", data={"email": email, "password": password, "csrf_token": token}
    )


@pytest.fixture
def admin_user(app):
    with app.app_context():
        accounts.create_user("root@igny8.test", PASSWORD, is_superuser=True)
        accounts.create_user("plain@igny8.test", PASSWORD)
        db.session.commit()


@pytest.fixture
def admin(app, admin_user):
    client = app.test_client()
    assert sign_in(client).status_code == 302
    return client


def list_csrf(client, url):
    return csrf_from(client.get(url).get_data(as_text=True))


def run_action(client, base, name, ids):
    token = list_csrf(client, base)
    return client.post(
        f"{base}action/", data={"action": name, "rowid": [str(i) for i in ids], "csrf_token": token}
    )


ADMIN_URLS = [
    "/admin/",
    "/admin/account/",
    "/admin/user/",
    "/admin/apitoken/",
    "/admin/plan/",
    "/admin/site/",
    "/admin/aimodelconfig/",
    "/admin/modelprice/",
    "/admin/providercredential/",
    "/admin/creditcostconfig/",
    "/admin/credittransaction/",
    "/admin/creditusagelog/",
    "/admin/usagecostrevision/",
    "/admin/adminauditlog/",
    "/admin/alertlog/",
    "/admin/operationrun/",
    "/admin/global_settings/",
    "/admin/module_switches/",
    "/admin/integrationsettings/",
    "/admin/prompt/",
    "/admin/keyword/",
    "/admin/cluster/",
    "/admin/contentidea/",
    "/admin/task/",
    "/admin/content/",
    "/admin/contentrevision/",
    "/admin/image/",
    "/admin/contentlink/",
    "/admin/publication/",
]


def test_every_admin_url_refuses_anonymous_and_non_superusers(app, admin_user):
    anonymous = app.test_client()
    plain = app.test_client()
    assert sign_in(plain, "plain@igny8.test").status_code == 401  # not an admin: no session
    for url in ADMIN_URLS:
        response = anonymous.get(url)
        assert response.status_code == 302 and "/admin/login" in response.headers["Location"], url
    with app.app_context():
        user = accounts.find_user("plain@igny8.test")
    with plain.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    for url in ADMIN_URLS:
        assert plain.get(url).status_code == 403, url


def test_every_admin_url_opens_for_a_superuser(admin):
    for url in ADMIN_URLS:
        response = admin.get(url, follow_redirects=True)
        assert response.status_code == 200, url


def test_login_needs_csrf_and_the_right_password(app, admin_user):
    client = app.test_client()
    no_token = client.post("/admin/login", data={"email": "root@igny8.test", "password": PASSWORD})
    assert no_token.status_code == 401 and client.get("/admin/").status_code == 302
    assert sign_in(client, password="wrong").status_code == 401
    response = sign_in(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/")
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_session_cookies_are_secure_outside_local_development(tmp_path):
    from igny8 import create_app

    assert create_app({"INSTANCE_PATH": str(tmp_path)}).config["SESSION_COOKIE_SECURE"] is True


def test_logout_needs_csrf(admin):
    assert admin.post("/admin/logout").status_code == 400
    token = csrf_from(admin.get("/admin/").get_data(as_text=True))
    assert admin.post("/admin/logout", data={"csrf_token": token}).status_code == 302
    assert admin.get("/admin/").status_code == 302


def test_signing_out_ends_the_session_on_the_server(app, admin):
    session_cookie = admin.get_cookie("session").value
    copy = app.test_client()  # the same cookie, copied before signing out
    copy.set_cookie("session", session_cookie)
    assert copy.get("/admin/").status_code == 200
    token = csrf_from(admin.get("/admin/").get_data(as_text=True))
    admin.post("/admin/logout", data={"csrf_token": token})
    assert copy.get("/admin/").status_code == 302  # back to the login page


def test_a_new_password_ends_the_other_sessions(app, admin):
    with app.app_context():
        user = accounts.find_user("root@igny8.test")
        accounts.set_password(user, "another-password-1")
        db.session.commit()
    assert admin.get("/admin/").status_code == 302


def test_admin_email_is_case_insensitive(app, admin_user):
    client = app.test_client()
    assert sign_in(client, email="  Root@IGNY8.test ").status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_post_without_csrf_is_refused(app, admin, make_tenant):
    tenant = make_tenant()
    response = admin.post(
        "/admin/account/action/", data={"action": "deactivate", "rowid": [str(tenant.account_id)]}
    )
    assert response.status_code in (302, 400)
    with app.app_context():
        assert db.session.get(Account, tenant.account_id).is_active is True


def test_activate_and_deactivate_change_exactly_the_selected_rows(app, admin, make_tenant):
    a, b, c = make_tenant(), make_tenant(), make_tenant()
    run_action(admin, "/admin/account/", "deactivate", [a.account_id, c.account_id])
    with app.app_context():
        states = {t.account_id: db.session.get(Account, t.account_id).is_active for t in (a, b, c)}
    assert states == {a.account_id: False, b.account_id: True, c.account_id: False}
    run_action(admin, "/admin/account/", "activate", [c.account_id])
    with app.app_context():
        assert db.session.get(Account, c.account_id).is_active is True
        assert db.session.get(Account, a.account_id).is_active is False


def test_set_status_uses_a_form_of_the_models_statuses(app, admin, tenant):
    with app.app_context():
        rows = [
            Keyword(account_id=tenant.account_id, site_id=tenant.site_id, keyword=f"k{i}")
            for i in range(3)
        ]
        db.session.add_all(rows)
        db.session.commit()
        ids = [r.id for r in rows]
    response = run_action(admin, "/admin/keyword/", "set_status", ids[:2])
    form_url = response.headers["Location"]
    page = admin.get(form_url).get_data(as_text=True)
    assert all(f'value="{s}"' in page for s in ("new", "clustered", "archived"))
    admin.post(form_url, data={"status": "archived", "csrf_token": csrf_from(page)})
    with app.app_context():
        statuses = [db.session.get(Keyword, i).status for i in ids]
    assert statuses == ["archived", "archived", "new"]


def test_clone_makes_unique_copies(app, admin):
    with app.app_context():
        plan_id = db.session.execute(select(Plan.id).where(Plan.slug == "growth")).scalar_one()
    run_action(admin, "/admin/plan/", "clone", [plan_id])
    run_action(admin, "/admin/plan/", "clone", [plan_id])
    with app.app_context():
        slugs = sorted(db.session.execute(select(Plan.slug)).scalars())
    assert slugs == ["free", "growth", "growth (copy 2)", "growth (copy)", "scale", "starter"]


def test_export_selected_as_csv_and_json(app, admin, make_tenant):
    a, b = make_tenant(), make_tenant()
    csv_response = run_action(admin, "/admin/account/", "export_csv", [b.account_id])
    lines = csv_response.get_data(as_text=True).strip().splitlines()
    assert (
        lines[0].startswith("Id,Name")
        and len(lines) == 2
        and lines[1].startswith(f"{b.account_id},")
    )
    json_rows = run_action(
        admin, "/admin/account/", "export_json", [a.account_id, b.account_id]
    ).json
    assert sorted(r["id"] for r in json_rows) == sorted([a.account_id, b.account_id])
    whole = admin.get("/admin/account/export/csv/")
    whole_lines = whole.get_data(as_text=True).strip().splitlines()
    # one path: the whole list has the selection's columns, id first
    assert whole.status_code == 200 and len(whole_lines) == 3 and whole_lines[0] == lines[0]


def test_exports_open_in_a_spreadsheet_json_as_json_and_no_formulas(app, admin):
    import csv
    import io

    from metering_support import add_model

    with app.app_context():
        model = add_model(
            name='=HYPERLINK("http://evil.test","x")',
            pricing={"tool_fees": {"web_search": "10"}},
        )
        db.session.commit()
        model_id = model.id
    for body in (
        admin.get("/admin/aimodelconfig/export/csv/").get_data(as_text=True),
        run_action(admin, "/admin/aimodelconfig/", "export_csv", [model_id]).get_data(as_text=True),
    ):
        rows = list(csv.DictReader(io.StringIO(body)))
        row = next(r for r in rows if r["Id"] == str(model_id))
        assert row["Model Name"].startswith("'=HYPERLINK(")  # neutralised, still readable
        assert json.loads(row["Pricing"]) == {"tool_fees": {"web_search": "10"}}  # not repr
        assert row["Cost Per 1K Input"] == "0.0020000000"  # a number stays a number


def test_delete_removes_exactly_the_selected_rows(app, admin, tenant):
    with app.app_context():
        rows = [
            Keyword(account_id=tenant.account_id, site_id=tenant.site_id, keyword=f"d{i}")
            for i in range(3)
        ]
        db.session.add_all(rows)
        db.session.commit()
        ids = [r.id for r in rows]
    run_action(admin, "/admin/keyword/", "delete", ids[1:])
    with app.app_context():
        assert db.session.execute(select(Keyword.id)).scalars().all() == ids[:1]


def test_credits_through_the_ledger_never_below_zero(app, admin, make_tenant):
    rich, poor = make_tenant(credits=100), make_tenant(credits=5)
    form_url = run_action(
        admin, "/admin/account/", "adjust_credits", [rich.account_id, poor.account_id]
    ).headers["Location"]
    page = admin.get(form_url).get_data(as_text=True)
    admin.post(form_url, data={"amount": "-10", "reason": "refund", "csrf_token": csrf_from(page)})
    with app.app_context():
        assert db.session.get(Account, rich.account_id).credits == 90
        assert db.session.get(Account, poor.account_id).credits == 5
        rows = (
            db.session.execute(
                select(CreditTransaction)
                .where(CreditTransaction.account_id == rich.account_id)
                .order_by(CreditTransaction.id)
            )
            .scalars()
            .all()
        )
        assert [(r.amount, r.type, r.description) for r in rows][-1] == (
            -10,
            "adjustment",
            "admin: refund",
        )
    assert app.test_cli_runner().invoke(args=["igny8", "audit-ledger"]).exit_code == 0


def test_provider_keys_are_write_only(app, admin):
    with app.app_context():
        db.session.add(
            ProviderCredential(provider="openai", api_key=SECRET, base_url="http://127.0.0.1:1/v1")
        )
        db.session.commit()
        cred_id = db.session.execute(select(ProviderCredential.id)).scalar_one()
    pages = []
    for fetch in (
        lambda: admin.get("/admin/providercredential/"),
        lambda: admin.get(f"/admin/providercredential/details/?id={cred_id}"),
        lambda: admin.get(f"/admin/providercredential/edit/?id={cred_id}"),
        lambda: admin.get("/admin/providercredential/export/csv/"),
        lambda: admin.get("/admin/providercredential/export/json/"),
        lambda: run_action(admin, "/admin/providercredential/", "export_json", [cred_id]),
    ):
        page = fetch()
        page.get_data()  # a streamed export is read before the next request
        pages.append(page)
    for page in pages:
        assert page.status_code == 200 and SECRET not in page.get_data(as_text=True)
    assert "••••••••" in pages[0].get_data(as_text=True)
    # A blank key on edit keeps the stored key; a new one replaces it.
    edit = pages[2].get_data(as_text=True)
    admin.post(
        f"/admin/providercredential/edit/?id={cred_id}",
        data={
            "provider": "openai",
            "new_api_key": "",
            "base_url": "http://127.0.0.1:2/v1",
            "is_active": "y",
            "csrf_token": csrf_from(edit),
        },
    )
    with app.app_context():
        cred = db.session.get(ProviderCredential, cred_id)
        assert (cred.api_key, cred.base_url) == (SECRET, "http://127.0.0.1:2/v1")


def test_user_passwords_are_set_never_shown(app, admin):
    page = admin.get("/admin/user/").get_data(as_text=True)
    assert "scrypt" not in page and "pbkdf2" not in page
    with app.app_context():
        user = accounts.find_user("plain@igny8.test")
    edit = admin.get(f"/admin/user/edit/?id={user.id}").get_data(as_text=True)
    admin.post(
        f"/admin/user/edit/?id={user.id}",
        data={
            "email": "plain@igny8.test",
            "password": "new-password-9",
            "is_active": "y",
            "csrf_token": csrf_from(edit),
        },
    )
    with app.app_context():
        assert accounts.check_password(accounts.find_user("plain@igny8.test"), "new-password-9")


def test_singletons_edit_in_place(admin):
    response = admin.get("/admin/global_settings/")
    assert (
        response.status_code == 302
        and "/admin/global_settings/edit/?id=1" in response.headers["Location"]
    )
    assert admin.get("/admin/global_settings/new/").status_code in (302, 403, 404)


def test_module_switches_page(app, admin):
    page = admin.get("/admin/module_switches/").get_data(as_text=True)
    assert page.count('name="module"') == 7
    admin.post(
        "/admin/module_switches/",
        data={"module": "linker", "enabled": "0", "csrf_token": csrf_from(page)},
    )
    from igny8 import modules

    with app.app_context():
        assert modules.is_enabled("linker") is False
    admin.post(
        "/admin/module_switches/", data={"module": "linker", "enabled": "1"}
    )  # no CSRF: ignored
    with app.app_context():
        assert modules.is_enabled("linker") is False


def test_editing_a_price_in_admin_writes_history_and_keeps_one_default(app, admin):
    from decimal import Decimal

    from metering_support import model_named

    from igny8.models import AIModelConfig, ModelPrice

    with app.app_context():
        model = model_named("gpt-4o")
        model_id, before = model.id, len(model.prices)
    edit_url = f"/admin/aimodelconfig/edit/?id={model_id}"
    page = admin.get(edit_url).get_data(as_text=True)
    form = {
        "model_name": "gpt-4o",
        "provider": "openai",
        "model_type": "text",
        "display_name": "GPT-4o",
        "cost_per_1k_input": "0.003",
        "cost_per_1k_cached_input": "0.00125",
        "cost_per_1k_output": "0.01",
        "cost_per_image": "0",
        "tokens_per_credit": "1000",
        "credits_per_image": "1",
        "context_window": "128000",
        "max_output_tokens": "16384",
        "is_default": "y",
        "is_active": "y",
        "sort_order": "1",
        "csrf_token": csrf_from(page),
    }
    response = admin.post(edit_url, data=form)
    assert response.status_code == 302, re.findall(
        r"(?:help-block|invalid-feedback)[^>]*>([^<]+)<", response.get_data(as_text=True)
    )
    with app.app_context():
        model = db.session.get(AIModelConfig, model_id)
        prices = (
            db.session.execute(
                select(ModelPrice).where(ModelPrice.model_id == model_id).order_by(ModelPrice.id)
            )
            .scalars()
            .all()
        )
        assert len(prices) == before + 1 and prices[-1].cost_per_1k_input == Decimal("0.003")
        defaults = (
            db.session.execute(
                select(AIModelConfig.model_name).where(
                    AIModelConfig.model_type == "text", AIModelConfig.is_default
                )
            )
            .scalars()
            .all()
        )
        assert defaults == ["gpt-4o"]  # gpt-4o-mini gave the default up


def test_global_settings_offer_only_active_models_of_the_right_type(app, admin):
    from metering_support import model_named

    with app.app_context():
        model_named("gpt-4o").is_active = False
        db.session.commit()
    page = admin.get("/admin/global_settings/edit/?id=1").get_data(as_text=True)
    text_select = page[
        page.index('id="default_text_model"') : page.index(
            "</select>", page.index('id="default_text_model"')
        )
    ]
    assert (
        "GPT-4o mini" in text_select
        and "GPT-4o<" not in text_select
        and "DALL-E 3" not in text_select
    )


def test_admin_edits_the_pricing_structure_and_bad_prices_write_nothing(app, admin):
    from metering_support import model_named

    from igny8.models import AIModelConfig, ModelPrice

    with app.app_context():
        model = model_named("o4-mini")
        model_id, before, pricing = model.id, len(model.prices), model.pricing
    edit_url = f"/admin/aimodelconfig/edit/?id={model_id}"
    page = admin.get(edit_url).get_data(as_text=True)
    assert "flex" in page  # the structure is on the form, to edit in place
    form = {
        "model_name": "o4-mini",
        "provider": "openai",
        "model_type": "text",
        "display_name": "o4-mini",
        "cost_per_1k_input": "0.0011",
        "cost_per_1k_cached_input": "0.000275",
        "cost_per_1k_output": "0.0044",
        "cost_per_image": "0",
        "tokens_per_credit": "1000",
        "credits_per_image": "1",
        "is_active": "y",
        "sort_order": "7",
        "csrf_token": csrf_from(page),
    }
    bad = [
        ('{"tiers": [{"above_input_tokens": 5, "rates": {"input": "-2"}}]}', "non-negative"),
        (
            '{"tiers": [{"above_input_tokens": 9, "rates": {"input": "2"}}, '
            '{"above_input_tokens": 5, "rates": {"input": "3"}}]}',
            "increasing order",
        ),
        ('{"service_tiers": {"turbo": {"rates": {}}}}', "turbo"),
    ]
    for structure, message in bad:
        response = admin.post(edit_url, data={**form, "pricing": structure})
        assert message in response.get_data(as_text=True), structure
    negative = admin.post(edit_url, data={**form, "cost_per_1k_output": "-1", "pricing": "{}"})
    assert "cost_per_1k_output must not be negative" in negative.get_data(as_text=True)
    with app.app_context():
        model = db.session.get(AIModelConfig, model_id)
        assert (len(model.prices), model.pricing) == (before, pricing)
    good = '{"service_tiers": {"flex": {"rates": {"input": "0.5", "output": "2"}}}}'
    assert admin.post(edit_url, data={**form, "pricing": good}).status_code == 302
    with app.app_context():
        newest = (
            db.session.execute(
                select(ModelPrice).where(ModelPrice.model_id == model_id).order_by(ModelPrice.id)
            )
            .scalars()
            .all()[-1]
        )
        assert newest.source == "admin"
        assert newest.pricing["service_tiers"]["flex"]["rates"]["input"] == "0.5"


@pytest.mark.parametrize(
    "next_url, lands_on",
    [
        ("/admin/\r\nSet-Cookie: x=1", "/admin/"),  # a header split: refused
        ("/admin\\evil.test", "/admin/"),  # browsers read "\\" as "/"
        ("//evil.test/admin", "/admin/"),
        ("https://evil.test/admin", "/admin/"),
        ("/admin/account/?page=2", "/admin/account/?page=2"),  # a real one is kept
    ],
)
def test_login_next_only_leads_inside_the_admin(app, admin_user, next_url, lands_on):
    client = app.test_client()
    token = csrf_from(client.get("/admin/login").get_data(as_text=True))
    response = client.post(
        "/admin/login",
        query_string={"next": next_url},
        data={"email": "root@igny8.test", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302 and response.headers["Location"] == lands_on


def test_a_switched_off_modules_admin_views_are_hidden_and_refused(app, admin, runner):
    assert admin.get("/admin/cluster/").status_code == 200
    assert 'href="/admin/cluster/"' in admin.get("/admin/").get_data(as_text=True)
    assert runner.invoke(args=["igny8", "module", "disable", "clustering"]).exit_code == 0
    assert admin.get("/admin/cluster/").status_code == 403
    menu = admin.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/cluster/"' not in menu
    assert 'href="/admin/contentidea/"' in menu  # another module's views stay
    assert runner.invoke(args=["igny8", "module", "enable", "clustering"]).exit_code == 0
    assert admin.get("/admin/cluster/").status_code == 200


def test_a_model_without_prices_cannot_be_made_active_or_default(app, admin):
    from metering_support import add_model, model_named

    from igny8.models import AIModelConfig

    with app.app_context():
        model = model_named("o4-mini")
        model_id, prices_before = model.id, len(model.prices)
        unpriced = add_model(name="unpriced-1", price_in="0", price_out="0", is_active=False)
        db.session.commit()
        unpriced_id = unpriced.id
    edit_url = f"/admin/aimodelconfig/edit/?id={model_id}"
    form = {
        "model_name": "o4-mini",
        "provider": "openai",
        "model_type": "text",
        "display_name": "o4-mini",
        "cost_per_1k_input": "0.0011",
        "cost_per_1k_output": "0",  # forgotten
        "cost_per_image": "0",
        "tokens_per_credit": "1000",
        "credits_per_image": "1",
        "is_active": "y",
        "sort_order": "7",
        "pricing": "",
        "csrf_token": csrf_from(admin.get(edit_url).get_data(as_text=True)),
    }
    page = admin.post(edit_url, data=form, follow_redirects=True).get_data(as_text=True)
    assert "o4-mini has no output price, so it cannot be active or default" in page
    with app.app_context():
        model = db.session.get(AIModelConfig, model_id)
        assert model.cost_per_1k_output > 0 and len(model.prices) == prices_before
    # the bulk action says the same and changes nothing
    run_action(admin, "/admin/aimodelconfig/", "activate", [unpriced_id])
    page = admin.get("/admin/aimodelconfig/").get_data(as_text=True)  # the flashed message
    assert "unpriced-1 has no input or output price" in page
    with app.app_context():
        assert db.session.get(AIModelConfig, unpriced_id).is_active is False
    # free, said on purpose: then it may be active
    free = {**form, "cost_per_1k_output": "0", "pricing": '{"free": true}'}
    assert admin.post(edit_url, data=free).status_code == 302


def test_the_model_list_shows_prices_exactly_never_as_0e_10(app, admin):
    listing = admin.get("/admin/aimodelconfig/?page_size=100").get_data(as_text=True)
    assert "0E-10" not in listing and "0.0001500000" not in listing
    assert "$0.00015" in listing  # gpt-4o-mini's input per 1k, as entered
    assert "$0.000275" in listing  # o4-mini's cached input, exact (money's 2 digits: $0.00028)
    assert "$0.04" in listing  # dall-e-3 per image
    assert re.search(r">\s*\$0\s*<", listing)  # a free model's zero, as $0


def test_a_models_provider_and_type_are_chosen_from_what_is_registered(app, admin):
    from metering_support import model_named

    page = admin.get("/admin/aimodelconfig/new/").get_data(as_text=True)
    provider = page[
        page.index('id="provider"') : page.index("</select>", page.index('id="provider"'))
    ]
    offered = re.findall(r'<option[^>]*value="([^"]+)"', provider)
    assert {"offline", "openai", "anthropic"} <= set(offered) and offered == sorted(offered)
    kind = page[
        page.index('id="model_type"') : page.index("</select>", page.index('id="model_type"'))
    ]
    assert re.findall(r'<option[^>]*value="([^"]+)"', kind) == ["text", "image"]
    with app.app_context():
        model_id = model_named("gpt-4o-mini").id
    edit_url = f"/admin/aimodelconfig/edit/?id={model_id}"
    page = admin.get(edit_url).get_data(as_text=True)
    assert '<option selected value="openai">' in page
    response = admin.post(
        edit_url,
        data={
            "model_name": "gpt-4o-mini",
            "provider": "opnai",
            "model_type": "text",
            "csrf_token": csrf_from(page),
        },
    )
    assert response.status_code == 200 and "Not a valid choice" in response.get_data(as_text=True)
    with app.app_context():
        assert model_named("gpt-4o-mini").provider == "openai"
