"""Where a provider's key comes from: the admin's ProviderCredential first, then the environment."""

import os

from sqlalchemy import select

from ..extensions import db
from ..models import ProviderCredential
from .provider import Credential, Provider, ProviderError


def credential_for(provider: Provider) -> Credential:
    row = db.session.execute(
        select(ProviderCredential).where(
            ProviderCredential.provider == provider.name, ProviderCredential.is_active
        )
    ).scalar_one_or_none()
    env_key = os.environ.get(provider.key_env_var) if provider.key_env_var else None
    env_url = os.environ.get(provider.base_url_env_var) if provider.base_url_env_var else None
    if row is not None and row.api_key:
        return Credential(row.api_key, row.base_url or env_url, "admin")
    if env_key:
        return Credential(env_key, (row.base_url if row else None) or env_url, "environment")
    if provider.key_env_var is None:
        return Credential(None, env_url, "none")
    raise ProviderError(
        "auth_failed",
        f"no API key for provider {provider.name}: add one in admin (Provider credentials) "
        f"or set {provider.key_env_var}",
    )


def is_configured(provider: Provider) -> bool:
    try:
        credential_for(provider)
    except ProviderError:
        return False
    return True


def usable_providers(pm) -> set[str]:
    """The providers a call could go to now: a plugin registers it and it has its key (or
    needs none). What the API offers tenants, and what their settings may choose."""
    from ..registry import providers

    return {name for name, provider in providers(pm).items() if is_configured(provider)}
