"""Flask-Admin, built per app inside create_app: every model, grouped, behind one gate."""

from flask import request
from flask_admin import Admin, AdminIndexView, expose
from flask_admin.theme import Bootstrap4Theme
from flask_wtf import FlaskForm

from .. import formatting, modules, registry
from .. import models as m
from ..extensions import db
from ..plugins import current_plugins
from . import audit_trail, auth, dashboard, monitoring, reports, security, views
from .base import ReadOnlyModelView, RunView, SecuredModelView, UsageLogView, add


class IndexView(security.SecuredView, AdminIndexView):
    @expose("/")
    def index(self):
        return self.render(self._template, dashboard=dashboard.summary())


def _register_core_views(admin) -> None:
    add(admin, m.Account, "Accounts", views.AccountView)
    add(admin, m.User, "Accounts", views.UserView)
    add(admin, m.ApiToken, "Accounts", views.ApiTokenView, name="API Tokens")
    add(
        admin,
        m.AccountModelLimit,
        "Accounts",
        views.AccountModelLimitView,
        name="Model Limits per Account",
    )
    add(admin, m.Plan, "Accounts")
    add(admin, m.Site, "Accounts")
    add(admin, m.AIModelConfig, "AI & Billing", views.ModelConfigView, name="AI Models")
    add(admin, m.ModelPrice, "AI & Billing", views.PriceHistoryView, name="Price History")
    add(
        admin,
        m.ProviderCredential,
        "AI & Billing",
        views.CredentialView,
        name="Provider Credentials",
    )
    add(admin, m.CreditCostConfig, "AI & Billing", name="Operation Costs")
    # Money and history: read-only (written by the meter, the ledger, the CLI).
    add(admin, m.CreditUsageLog, "AI & Billing", UsageLogView, name="Usage Log")
    for model, name in (
        (m.CreditTransaction, "Credit Ledger"),
        (m.UsageCostRevision, "Cost Revisions"),
        (m.AdminAuditLog, "Admin Audit Log"),
        (m.AlertLog, "Alerts Sent"),
    ):
        add(admin, model, "AI & Billing", ReadOnlyModelView, name=name)
    add(admin, m.OperationRun, "AI & Billing", RunView, name="Operation Runs")
    add(
        admin,
        m.GlobalIntegrationSettings,
        "Settings",
        views.GlobalSettingsView,
        name="Global Integration Settings",
        endpoint="global_settings",
    )
    admin.add_view(
        views.ModuleSwitchesView(
            name="Module Switches", category="Settings", endpoint="module_switches"
        )
    )
    add(
        admin,
        m.IntegrationSettings,
        "Settings",
        views.IntegrationSettingsView,
        name="Account Integration Settings",
    )
    add(admin, m.Prompt, "Settings", views.PromptView)
    for view, name, endpoint, url in (
        (monitoring.ApiMonitorView, "API Monitor", "api_monitor", "/admin/monitoring/api"),
        (monitoring.DebugConsoleView, "Debug Console", "debug_console", "/admin/monitoring/debug"),
        (monitoring.SystemHealthView, "System Health", "system_health", "/admin/monitoring/health"),
    ):
        admin.add_view(view(name=name, category="Monitoring", endpoint=endpoint, url=url))
    admin.add_view(
        reports.TokenUsageView(
            name="Token Usage",
            category="Reports",
            endpoint="token_usage",
            url="/admin/reports/token-usage",
        )
    )
    admin.add_view(
        reports.CostAnalysisView(
            name="AI Cost Analysis",
            category="Reports",
            endpoint="cost_analysis",
            url="/admin/reports/ai-cost-analysis",
        )
    )
    # The core's content tables; each module adds the views of its own.
    add(admin, m.Keyword, "Content")
    add(admin, m.Content, "Content")


def _module_gated(view_class, module_key: str):
    """``view_class`` shown, and opened, only while the module is switched on."""

    def is_visible(self):
        return modules.is_enabled(module_key)

    def is_accessible(self):
        return view_class.is_accessible(self) and modules.is_enabled(module_key)

    return type(
        view_class.__name__,
        (view_class,),
        {"is_visible": is_visible, "is_accessible": is_accessible},
    )


def _register_module_views(admin, pm) -> None:
    for module in registry.modules(pm).values():
        for view in module.admin_views:
            gated = _module_gated(view.view or SecuredModelView, module.key)
            kwargs = {"name": view.name} if view.name else {}
            add(admin, view.model, view.category, gated, **kwargs)


def _with_language(response):
    """Admin pages say they are in English (Flask-Admin's base template writes a bare
    ``<html>``, with no block to change it): screen readers and translators need it."""
    if (
        request.path.startswith("/admin")
        and response.mimetype == "text/html"
        and not response.direct_passthrough
        and not response.is_streamed
    ):
        body = response.get_data()
        head = body[:200]
        if b"<html>" in head:
            response.set_data(head.replace(b"<html>", b'<html lang="en">', 1) + body[200:])
    return response


def init_app(app) -> Admin:
    app.register_blueprint(auth.blueprint(app.extensions["igny8_limiter"]))
    admin = Admin(
        app,
        name="igny8",
        # The whole window's width: a fixed 1,140 px container clipped wide lists at 1440.
        theme=Bootstrap4Theme(swatch="default", fluid=True),
        index_view=IndexView(url="/admin"),
    )
    app.before_request(security.gate)
    app.before_request(audit_trail.watch_admin_requests)
    app.teardown_request(audit_trail.unwatch)
    app.after_request(_with_language)
    app.context_processor(lambda: {"logout_form": FlaskForm()})
    app.add_template_filter(reports.plain, "plain")
    app.add_template_filter(formatting.cell, "cell")
    app.add_template_filter(formatting.label, "label")
    app.add_template_filter(formatting.money, "money")
    _register_core_views(admin)
    pm = current_plugins(app).pm
    _register_module_views(admin, pm)
    pm.hook.igny8_register_admin_views(admin=admin, db=db)
    return admin


__all__ = ["SecuredModelView", "init_app"]
