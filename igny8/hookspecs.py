"""Every hook a plugin can implement. Data flows core -> plugin through these only.

Each hook is documented, with its exact signature, in docs/plugins.md and has a
test named ``test_hook_<name without the igny8_ prefix>``.
"""

import pluggy

hookspec = pluggy.HookspecMarker("igny8")


@hookspec
def igny8_register_providers(register):
    """Call ``register(provider)`` for each AI provider (text and/or image) the plugin brings."""


@hookspec(firstresult=True)
def igny8_report_usage(provider, model, response):
    """Turn a provider's raw response into a normalised ``Usage``; return None for another provider's response."""


@hookspec
def igny8_register_modules(register):
    """Call ``register(Module(...))`` for each switchable content module, with its operations, routes and admin views."""


@hookspec
def igny8_register_operations(register):
    """Call ``register(Operation(..., module=key))`` for an operation added to a registered module."""


@hookspec
def igny8_default_prompts():
    """Return ``{prompt_key: DefaultPrompt | str}`` for prompts not declared on an Operation."""


@hookspec
def igny8_register_blueprints(app):
    """Register the plugin's JSON routes (blueprints under /api/v1) on ``app``."""


@hookspec
def igny8_register_admin_views(admin, db):
    """Add the plugin's Flask-Admin views to ``admin``."""


@hookspec
def igny8_register_health_checks(register):
    """Call ``register(HealthCheck(name, check))`` for checks shown on System Health and /api/v1/health."""


@hookspec
def igny8_usage_recorded(usage_log):
    """Called after a metered call's ``CreditUsageLog`` row is committed (exporters, alerts)."""
