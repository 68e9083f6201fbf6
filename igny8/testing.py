"""The conformance kit provider plugin authors run in their own test suites.

    from igny8.testing import ProviderConformance

    def test_my_provider_conforms(my_local_server):
        kit = ProviderConformance(my_plugin_module)
        kit.check_registration()
        result = kit.call_text("my-model", base_url=my_local_server.url)
        kit.check_usage("my-model", result.raw, expected=Usage(input_tokens=12, output_tokens=3))
        kit.check_error("rate_limited", lambda: kit.call_text("my-model", base_url=...))

Each check raises AssertionError with a message saying what is wrong; none needs an
app or a database. The kit builds its own plugin manager with igny8's hookspecs.

For a plugin's tests that need the whole app (a content module's routes, its table),
``make_test_app(folder)`` builds one on SQLite in a temporary folder and ``make_tenant(app)``
adds an account with a site and an API token.
"""

import os
import uuid
from dataclasses import dataclass
from types import SimpleNamespace

import pluggy

from . import hookspecs, registry
from .ai.provider import (
    ERROR_CODES,
    Credential,
    ImageRequest,
    ModelSpec,
    Provider,
    ProviderError,
    TextRequest,
)
from .ai.usage import Usage
from .billing.credits import CREDIT_RULES
from .billing.pricing import PriceCard

# A key the kit hands to providers, so it can prove no error message ever shows it.
CONFORMANCE_SECRET = "sk-igny8-conformance-DO-NOT-SHOW-0123456789"


def _fail(message: str):
    raise AssertionError(message)


class ProviderConformance:
    def __init__(self, plugin, secret: str = CONFORMANCE_SECRET):
        self.pm = pluggy.PluginManager("igny8")
        self.pm.add_hookspecs(hookspecs)
        self.pm.register(plugin, name=getattr(plugin, "__name__", "plugin-under-test"))
        self.secret = secret

    @property
    def providers(self) -> dict[str, Provider]:
        return registry.providers(self.pm)

    def provider(self, name: str | None = None) -> Provider:
        providers = self.providers
        if name is None:
            if len(providers) != 1:
                _fail(f"name the provider: the plugin registers {sorted(providers)}")
            return next(iter(providers.values()))
        if name not in providers:
            _fail(f"the plugin registers no provider {name!r}")
        return providers[name]

    def check_registration(self) -> list[Provider]:
        """The plugin registers at least one well-formed Provider through igny8_register_providers."""
        providers = self.providers
        if not providers:
            _fail("igny8_register_providers registered no provider")
        for name, provider in providers.items():
            if not isinstance(provider, Provider):
                _fail(f"{name!r}: providers subclass igny8.ai.provider.Provider")
            if not registry.KEY_PATTERN.match(name):
                _fail(f"{name!r}: a provider name is lowercase letters, digits and underscores")
            if not provider.model_types or not set(provider.model_types) <= set(
                registry.MODEL_TYPES
            ):
                _fail(f"{name!r}: model_types must be a non-empty subset of {registry.MODEL_TYPES}")
            if provider.key_env_var is not None and not (
                isinstance(provider.key_env_var, str) and provider.key_env_var.isupper()
            ):
                _fail(f"{name!r}: key_env_var is an upper-case environment variable name or None")
            for kind, method in (("text", "complete"), ("image", "generate_images")):
                overridden = getattr(type(provider), method) is not getattr(Provider, method)
                if kind in provider.model_types and not overridden:
                    _fail(f"{name!r} declares {kind} models but does not implement {method}()")
            self.check_catalog(provider)
        return list(providers.values())

    def check_catalog(self, provider: Provider) -> None:
        """Every model the provider declares can be seeded and priced."""
        for spec in provider.models:
            where = f"{provider.name!r} model {getattr(spec, 'model_name', spec)!r}"
            if not isinstance(spec, ModelSpec):
                _fail(f"{where}: models are igny8.ai.provider.ModelSpec")
            if spec.model_type not in provider.model_types:
                _fail(
                    f"{where}: model_type {spec.model_type!r} is not one of {provider.model_types}"
                )
            try:
                PriceCard.of(SimpleNamespace(**spec.columns()))
            except (ValueError, ArithmeticError) as exc:
                _fail(f"{where}: its price does not validate: {exc}")
            if spec.credit_rule not in (None, *CREDIT_RULES):
                _fail(f"{where}: credit_rule is one of {CREDIT_RULES} or None")
            if spec.credit_rule == "cost" and not spec.credits_per_usd:
                _fail(f"{where}: the cost rule needs credits_per_usd")

    def credential(self, base_url: str | None = None) -> Credential:
        return Credential(self.secret, base_url, "admin")

    def call_text(self, model: str, *, base_url=None, provider=None, json=False, timeout=10.0):
        request = TextRequest(
            model, [{"role": "user", "content": "Say hello."}], 0.2, 64, json=json, timeout=timeout
        )
        return self.provider(provider).complete(request, self.credential(base_url))

    def call_images(self, model: str, *, base_url=None, provider=None, n=1, timeout=10.0):
        request = ImageRequest(model, "a lighthouse at dusk", n=n, timeout=timeout)
        return self.provider(provider).generate_images(request, self.credential(base_url))

    def check_usage(
        self, model: str, response, expected: Usage | None = None, provider: str | None = None
    ) -> Usage:
        """igny8_report_usage turns the provider's own response into a valid Usage (asked as
        the meter asks it: of the plugin that registered the provider only)."""
        name = self.provider(provider).name
        report = registry.usage_reporter(self.pm, name)
        usage = report(provider=name, model=model, response=response)
        if not isinstance(usage, Usage):
            _fail(f"igny8_report_usage returned {usage!r} for a {name} response, not a Usage")
        if expected is not None and usage != expected:
            _fail(f"igny8_report_usage returned {usage}, expected {expected}")
        return usage

    def check_error(self, code: str, call) -> ProviderError:
        """``call()`` raises ProviderError with ``code``, and no secret shows in it."""
        if code not in ERROR_CODES:
            _fail(f"{code!r} is not one of {ERROR_CODES}")
        try:
            call()
        except ProviderError as error:
            if error.code != code:
                _fail(f"expected ProviderError {code!r}, got {error.code!r}: {error.message}")
            self.check_no_secret(error)
            return error
        except Exception as error:  # noqa: BLE001 - reporting exactly what escaped
            _fail(f"expected ProviderError {code!r}, got {type(error).__name__}: {error}")
        _fail(f"expected ProviderError {code!r}, but the call succeeded")

    def check_no_secret(self, error: BaseException) -> None:
        texts = [
            str(error),
            repr(error),
            *map(str, error.args),
            str(getattr(error, "message", "")),
            str(error.__cause__ or ""),
            str(error.__context__ or "") if not error.__suppress_context__ else "",
        ]
        for text in texts:
            if self.secret in text:
                _fail(f"the API key appears in an error: {text[:200]}")


# -- an app for a plugin's own tests --------------------------------------------------------


@dataclass(frozen=True)
class TestTenant:
    account_id: int
    user_id: int
    site_id: int
    token: str

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}


def make_test_app(folder, **config):
    """A throw-away app for a plugin's tests: SQLite in ``folder``, every migration branch
    applied (the core's and each installed plugin's), the catalog seeded as `flask igny8
    init` seeds it. ``config`` adds settings (``EXTRA_PLUGINS=[...]`` for a plugin that is
    not installed)."""
    from . import create_app, prompts, schema, seed
    from .crypto import generate_key
    from .extensions import db

    folder = os.path.abspath(folder)
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{os.path.join(folder, 'igny8.db')}",
            "INSTANCE_PATH": os.path.join(folder, "instance"),
            "SECRET_KEY": "test",
            "ENCRYPTION_KEY": generate_key(),
            "SESSION_COOKIE_SECURE": False,
            **config,
        }
    )
    with app.app_context():
        schema.upgrade_all(app.config["MIGRATIONS_DIR"])
        seed.seed_catalog()
        prompts.populate()
        db.session.commit()
    return app


def make_tenant(app, plan: str = "starter", credits: int = 1000, name=None) -> TestTenant:
    """An account with a user (no password), an API token and a site."""
    from . import accounts
    from .extensions import db
    from .models import Site

    n = uuid.uuid4().hex[:8]
    with app.app_context():
        account = accounts.create_account(name or f"Tenant {n}", accounts.find_plan(plan), credits)
        user = accounts.create_user(f"user-{n}@example.test", None, account)
        token = accounts.issue_token(user)
        site = Site(account=account, name=f"Site {n}", url=f"https://{n}.example.test")
        db.session.add(site)
        db.session.commit()
        return TestTenant(account.id, user.id, site.id, token)
