"""Everything a plugin needs, in one import: ``from igny8.plugin import ...``.

This is the plugin API. A plugin imports nothing else from igny8 (the built-in plugins
under plugins/ are held to that by tests/test_plugin_api.py); what is not here is the
core's own business and may change. The conformance kit for provider plugins is
``igny8.testing``. docs/plugins.md is the tutorial and the reference.
"""

from . import models
from .admin.base import SecuredModelView
from .ai.engine import ItemError, OperationContext, run_operation
from .ai.meter import CallResult, OutputError
from .ai.output import parse_json
from .ai.provider import (
    Credential,
    GeneratedImage,
    ImageRequest,
    ImageResult,
    ModelSpec,
    Provider,
    ProviderError,
    TextRequest,
    TextResult,
    redact,
)
from .ai.sdk import ClientCache, retry_after, sdk_errors
from .ai.tokens import count_message_tokens, count_tokens
from .ai.usage import Usage, normalise_service_tier
from .api.auth import current_account
from .api.errors import ApiError
from .api.pagination import filtered, paginate
from .api.resources import item_routes, refuse_if_in_use
from .api.runs import execute, execute_on
from .api.schemas import (
    ContentIdsIn,
    KeywordIdsIn,
    PageQuery,
    Strict,
    id_field,
    ids_schema,
    list_query,
)
from .api.scoping import get_owned, on_site, owned, owned_ids, owned_site
from .api.serialize import content as content_json
from .api.serialize import image as image_json
from .api.serialize import keyword as keyword_json
from .api.serialize import money, timestamp
from .api.shapes import ContentOut, ImageOut, KeywordOut, RunBodyOut, page_of
from .api.validation import documented
from .extensions import db
from .media import image_url
from .models import (
    Account,
    Cluster,
    Content,
    ContentIdea,
    ContentLink,
    ContentRevision,
    GlobalIntegrationSettings,
    Image,
    Keyword,
    Publication,
    Site,
    Task,
)
from .modules import is_enabled as module_enabled
from .outbound import BlockedAddress
from .outbound import client as outbound_client
from .plugins import hookimpl
from .registry import (
    AdminView,
    DefaultPrompt,
    HealthCheck,
    HealthResult,
    Module,
    Operation,
    RegistrationError,
    Stage,
    provider_hooks,
)
from .revisions import keep_revision
from .routing import module_blueprint
from .text import clean_html, keyword_score, plain_text, word_count
from .timeutil import utcnow

__all__ = [
    # hooks and registration
    "hookimpl",
    "Module",
    "Operation",
    "Stage",
    "AdminView",
    "SecuredModelView",
    "image_url",
    "DefaultPrompt",
    "HealthCheck",
    "HealthResult",
    "RegistrationError",
    "provider_hooks",
    # providers
    "Provider",
    "ProviderError",
    "redact",
    "refuse_if_in_use",
    "Credential",
    "TextRequest",
    "TextResult",
    "ImageRequest",
    "ImageResult",
    "GeneratedImage",
    "ModelSpec",
    "Usage",
    "normalise_service_tier",
    "ClientCache",
    "sdk_errors",
    "retry_after",
    "count_tokens",
    "count_message_tokens",
    # operations
    "OperationContext",
    "CallResult",
    "ItemError",
    "OutputError",
    "parse_json",
    "run_operation",
    # data
    "db",
    "models",
    "Account",
    "Site",
    "Keyword",
    "Cluster",
    "ContentIdea",
    "Task",
    "Content",
    "ContentRevision",
    "Image",
    "ContentLink",
    "Publication",
    "GlobalIntegrationSettings",
    "keep_revision",
    "utcnow",
    # JSON routes
    "module_blueprint",
    "module_enabled",
    "documented",
    "execute",
    "execute_on",
    "on_site",
    "ApiError",
    "paginate",
    "filtered",
    "list_query",
    "id_field",
    "owned",
    "owned_ids",
    "get_owned",
    "owned_site",
    "current_account",
    "Strict",
    "ids_schema",
    "item_routes",
    "ContentOut",
    "ImageOut",
    "KeywordOut",
    "page_of",
    "RunBodyOut",
    "PageQuery",
    "KeywordIdsIn",
    "ContentIdsIn",
    "content_json",
    "image_json",
    "keyword_json",
    "money",
    "timestamp",
    # text and the network
    "plain_text",
    "clean_html",
    "word_count",
    "keyword_score",
    "outbound_client",
    "BlockedAddress",
]
