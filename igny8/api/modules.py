"""Module routes: a switched-off module answers 403 module_disabled on all its endpoints."""

from functools import wraps

from .. import modules
from .errors import ApiError


def require_module(key: str):
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not modules.is_enabled(key):
                raise ApiError(403, f"module {key!r} is switched off", code="module_disabled")
            return view(*args, **kwargs)

        return wrapper

    return decorate
