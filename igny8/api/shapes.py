"""Response schemas: what the API answers, for /api/v1/openapi.json (generated clients type
their results from them). They document igny8.api.serialize's shapes field by field;
tests/test_openapi_responses.py checks real answers against them, so a field added to a
serializer without its schema fails there. Money is a decimal string, times are
ISO 8601 UTC with a Z; a nullable field says so."""

from marshmallow import Schema, fields, validate

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


class DeletedOut(Schema):
    deleted = required(fields.Integer)


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
