"""Response schemas: what the API answers, for /api/v1/openapi.json (generated clients type
their results from them). They document igny8.api.serialize's shapes field by field;
tests/test_openapi_responses.py checks real answers against them, so a field added to a
serializer without its schema fails there. Money is a decimal string, times are
ISO 8601 UTC with a Z; a nullable field says so."""

from marshmallow import Schema, fields, validate

from ..models.billing import COST_PARTS, TOKEN_COUNTS, TRANSACTION_TYPES
from ..models.catalog import CREDIT_RULES, MODEL_TYPES
from ..models.content import (
    CONTENT_STATUSES,
    IMAGE_STATUSES,
    KEYWORD_STATUSES,
)
from ..models.runs import NOTIFICATION_KINDS, RUN_STATUSES
from ..models.tenancy import ROLES


def nullable(field_class, **kwargs):
    return field_class(allow_none=True, required=True, **kwargs)


def required(field_class, **kwargs):
    return field_class(required=True, **kwargs)


def one_of(values, nullable_too=False):
    return fields.String(required=True, allow_none=nullable_too, validate=validate.OneOf(values))


Money = fields.String  # e.g. "0.00123400"; format decimal
Time = fields.String  # ISO 8601, UTC


class PlanOut(Schema):
    slug = required(fields.String)
    name = required(fields.String)
    monthly_credits = required(fields.Integer)
    allows_overrides = required(fields.Boolean)
    max_sites = required(fields.Integer)
    max_keywords = required(fields.Integer)


class AccountOut(Schema):
    id = required(fields.Integer)
    name = required(fields.String)
    plan = required(fields.Nested, nested=PlanOut)
    credits = required(fields.Integer)
    is_active = required(fields.Boolean)


class UserOut(Schema):
    id = required(fields.Integer)
    email = required(fields.String)
    is_superuser = required(fields.Boolean)
    role = one_of(ROLES)


class MeOut(Schema):
    user = required(fields.Nested, nested=UserOut)
    account = fields.Nested(AccountOut, required=True, allow_none=True)


class SessionOut(MeOut):
    csrf_token = nullable(fields.String)
    expires_at = nullable(Time)


class MemberOut(Schema):
    id = required(fields.Integer)
    email = required(fields.String)
    role = one_of(ROLES)
    status = one_of(("active", "invited"))
    created_at = nullable(Time)
    last_sign_in_at = nullable(Time)


class InvitedOut(MemberOut):
    invitation_sent = required(fields.Boolean)


class TokenOut(Schema):
    id = required(fields.Integer)
    name = required(fields.String)
    prefix = nullable(fields.String)
    user = required(fields.String)
    active = required(fields.Boolean)
    created_at = nullable(Time)
    last_used_at = nullable(Time)


class NewTokenOut(TokenOut):
    token = required(fields.String)


class SiteOut(Schema):
    id = required(fields.Integer)
    name = required(fields.String)
    url = required(fields.String)
    wp_url = nullable(fields.String)
    wp_username = nullable(fields.String)
    wp_configured = required(fields.Boolean)
    webhook_url = nullable(fields.String)
    webhook_configured = required(fields.Boolean)
    publish_target = fields.String(
        required=True, allow_none=True, validate=validate.OneOf(("wordpress", "webhook"))
    )
    created_at = nullable(Time)


class KeywordOut(Schema):
    id = required(fields.Integer)
    keyword = required(fields.String)
    volume = nullable(fields.Integer)
    difficulty = nullable(fields.Integer)
    cluster_id = nullable(fields.Integer)
    status = one_of(KEYWORD_STATUSES)


class KeywordsAddedOut(Schema):
    created = required(fields.Integer)
    skipped = required(fields.List, cls_or_instance=fields.String())
    items = required(fields.List, cls_or_instance=fields.Nested(KeywordOut))


class ImageOut(Schema):
    id = required(fields.Integer)
    content_id = required(fields.Integer)
    kind = required(fields.String)
    position = required(fields.Integer)
    prompt = required(fields.String)
    caption = nullable(fields.String)
    alt = nullable(fields.String)
    url = nullable(fields.String)
    status = one_of(IMAGE_STATUSES)
    error = nullable(fields.String)


class ContentSummaryOut(Schema):
    id = required(fields.Integer)
    task_id = nullable(fields.Integer)
    title = required(fields.String)
    word_count = required(fields.Integer)
    meta_description = nullable(fields.String)
    status = one_of(CONTENT_STATUSES)
    images = required(fields.List, cls_or_instance=fields.Nested(ImageOut))
    revisions = required(fields.Integer)
    updated_at = nullable(Time)


class ContentOut(ContentSummaryOut):
    html = required(fields.String)


class RevisionSummaryOut(Schema):
    id = required(fields.Integer)
    content_id = required(fields.Integer)
    title = required(fields.String)
    word_count = required(fields.Integer)
    reason = nullable(fields.String)
    created_at = nullable(Time)


class RevisionOut(RevisionSummaryOut):
    html = required(fields.String)


class RunOut(Schema):
    id = required(fields.Integer)
    operation = required(fields.String)
    status = one_of(RUN_STATUSES)
    items = required(fields.Integer)
    items_succeeded = required(fields.Integer)
    items_failed = required(fields.Integer)
    items_done = required(fields.Integer)
    cancel_requested = required(fields.Boolean)
    credits_used = required(fields.Integer)
    cost_usd = nullable(Money)
    model = nullable(fields.String)
    resolved_by = nullable(fields.String)
    site_id = nullable(fields.Integer)
    error = nullable(fields.String)
    created_at = nullable(Time)
    started_at = nullable(Time)
    finished_at = nullable(Time)


class RunBodyOut(Schema):
    run = required(fields.Nested, nested=RunOut)
    results = required(fields.List, cls_or_instance=fields.Raw())


class NotificationOut(Schema):
    id = required(fields.Integer)
    kind = one_of(NOTIFICATION_KINDS)
    message = required(fields.String)
    run_id = nullable(fields.Integer)
    created_at = nullable(Time)
    read_at = nullable(Time)


class MessageOut(Schema):
    message = required(fields.String)


class HealthCheckOut(Schema):
    name = required(fields.String)
    ok = required(fields.Boolean)
    level = one_of(("green", "amber", "red"))
    detail = nullable(fields.String)


class HealthOut(Schema):
    # ok: all green; degraded: working, with a warning; error: something failing (503).
    status = one_of(("ok", "degraded", "error"))
    checks = required(fields.List, cls_or_instance=fields.Nested(HealthCheckOut))


class ModuleOut(Schema):
    key = required(fields.String)
    title = required(fields.String)
    description = nullable(fields.String)
    enabled = required(fields.Boolean)


class AIModelOut(Schema):
    model_name = required(fields.String)
    display_name = nullable(fields.String)
    provider = required(fields.String)
    model_type = one_of(MODEL_TYPES)
    cost_per_1k_input = nullable(Money)
    cost_per_1k_cached_input = nullable(Money)
    cost_per_1k_output = nullable(Money)
    cost_per_image = nullable(Money)
    pricing = fields.Dict(required=True, allow_none=True)
    tokens_per_credit = nullable(fields.Integer)
    credits_per_image = nullable(fields.Integer)
    credit_rule = one_of(CREDIT_RULES)
    credits_per_usd = nullable(fields.Integer)
    image_credits = fields.Dict(required=True, allow_none=True)
    context_window = nullable(fields.Integer)
    max_output_tokens = nullable(fields.Integer)
    end_of_life = nullable(fields.String)  # a date, YYYY-MM-DD
    is_default = required(fields.Boolean)
    # Its provider is installed and keyed: a run with it can be made now.
    available = required(fields.Boolean)


class UsingGlobalOut(Schema):
    text_model = required(fields.Boolean)
    image_model = required(fields.Boolean)
    temperature = required(fields.Boolean)
    max_tokens = required(fields.Boolean)
    image_size = required(fields.Boolean)
    image_quality = required(fields.Boolean)
    image_style = required(fields.Boolean)


class IntegrationOut(Schema):
    text_model = nullable(fields.String)
    image_model = nullable(fields.String)
    temperature = nullable(fields.Float)
    max_tokens = nullable(fields.Integer)
    image_size = nullable(fields.String)
    image_quality = nullable(fields.String)
    image_style = nullable(fields.String)
    using_global = required(fields.Nested, nested=UsingGlobalOut)
    can_override = required(fields.Boolean)


class PromptOut(Schema):
    key = required(fields.String)
    template = required(fields.String)  # the one the account's runs use
    source = one_of(("account", "global", "default"))
    is_overridden = required(fields.Boolean)
    global_template = required(fields.String)  # what a reset goes back to
    variables = required(fields.List, cls_or_instance=fields.String())


class PromptPreviewOut(Schema):
    key = required(fields.String)
    rendered = required(fields.String)
    variables = required(fields.Dict)  # the sample values it was rendered with


class LedgerRowOut(Schema):
    id = required(fields.Integer)
    amount = required(fields.Integer)  # credits; negative takes from the balance
    balance_after = required(fields.Integer)
    type = one_of(TRANSACTION_TYPES)
    reference = nullable(fields.String)
    description = nullable(fields.String)
    created_at = nullable(Time)


# The figures of a usage row: its token counts and cost parts, named as the rollup names
# them (igny8.models.billing), so a token kind added there is documented here too.
UsageFiguresOut = type(
    "UsageFiguresOut",
    (Schema,),
    {
        "calls": required(fields.Integer),
        **{name: required(fields.Integer) for name in TOKEN_COUNTS},
        "credits": required(fields.Integer),
        **{name: required(Money) for name in ("cost_usd", *COST_PARTS)},
    },
)


class UsageRowOut(UsageFiguresOut):
    key = nullable(fields.String)  # the day, model, operation or tier


class UsageOut(Schema):
    start = required(fields.String)
    end = required(fields.String)
    group_by = one_of(("day", "model", "operation", "tier"))
    items = required(fields.List, cls_or_instance=fields.Nested(UsageRowOut))
    totals = required(fields.Nested, nested=UsageFiguresOut)


class RunEventOut(Schema):
    """An SSE ``progress`` (a run's stream) or ``run`` (the account's stream) event's data."""

    run = required(fields.Nested, nested=RunOut)


class NotificationEventOut(Schema):
    """An SSE ``notification`` event's data (its id is the SSE event id)."""

    notification = required(fields.Nested, nested=NotificationOut)


def sse_content(**events: str) -> dict:
    """The content map of a text/event-stream answer whose events (name: the schema of
    its JSON data) are listed under x-events, for clients to type their handlers."""
    return {
        "text/event-stream": {
            "schema": {
                "type": "string",
                "description": "Server-Sent Events: "
                + "; ".join(f"`{name}` (data: {schema})" for name, schema in events.items()),
                "x-events": {
                    name: {"$ref": f"#/components/schemas/{schema}"}
                    for name, schema in events.items()
                },
            }
        }
    }


# The schemas event data uses, registered as components by name (igny8.api.openapi).
EVENT_SCHEMAS = {
    "RunEventOut": RunEventOut,
    "NotificationEventOut": NotificationEventOut,
    "RunBodyOut": RunBodyOut,
}

IMAGE = {"image/png": {"schema": {"type": "string", "format": "binary"}}}


class DeletedOut(Schema):
    deleted = required(fields.Integer)


class UpdatedOut(Schema):
    updated = required(fields.Integer)


class ReadOut(Schema):
    read = required(fields.Integer)


_pages: dict = {}


def page_of(item: type[Schema]) -> type[Schema]:
    """The schema of a list's answer: {items, page, per_page, total, next}."""
    if item not in _pages:
        name = item.__name__.removesuffix("Out") + "Page"
        _pages[item] = type(
            name,
            (Schema,),
            {
                "items": required(fields.List, cls_or_instance=fields.Nested(item)),
                "page": required(fields.Integer),
                "per_page": required(fields.Integer),
                "total": required(fields.Integer),
                "next": nullable(fields.String),
            },
        )
    return _pages[item]


class CreditsOut(page_of(LedgerRowOut)):
    balance = required(fields.Integer)
