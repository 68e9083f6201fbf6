"""Request schemas: they validate requests and describe them in the OpenAPI document."""

from marshmallow import Schema, ValidationError, fields, pre_load, validate

from .. import outbound
from ..models.billing import TRANSACTION_TYPES
from ..models.catalog import MODEL_TYPES
from ..models.runs import RUN_STATUSES
from .auth import current_account
from .errors import ApiError
from .guard import INT_MAX
from .pagination import MAX_PAGE

IMAGE_SIZES = (
    "256x256",
    "512x512",
    "1024x1024",
    "1024x1536",
    "1536x1024",
    "1024x1792",
    "1792x1024",
)
IMAGE_QUALITIES = ("standard", "hd", "low", "medium", "high", "auto")
IMAGE_STYLES = ("vivid", "natural")


# Documented ranges of the list arguments (igny8.api.pagination enforces them, with its
# own messages): for the OpenAPI document and clients generated from it.
def page_field() -> fields.Integer:
    return fields.Integer(metadata={"minimum": 1, "maximum": MAX_PAGE})


def per_page_field() -> fields.Integer:
    return fields.Integer(metadata={"minimum": 1, "maximum": 100})


ID_RANGE = {"minimum": 1, "maximum": INT_MAX}


class WholeNumber(fields.Integer):
    """An integer, strictly: no "12" strings, no booleans; 12.0 is 12 (JSON Schema, and so
    the document and generated clients, count it as an integer)."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _validated(self, value):
        if isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return super()._validated(value)


def id_field(**kwargs) -> fields.Integer:
    """The id of a row: 1 up to what an INTEGER column holds."""
    return fields.Integer(validate=validate.Range(min=1, max=INT_MAX), **kwargs)


class Strict(Schema):
    class Meta:
        # Unknown fields are an error, not silently dropped.
        unknown = "raise"


def publishing_target(url: str) -> None:
    """Where publishing may send requests: not inside the server's network (igny8.outbound)."""
    reason = outbound.refusal(url)
    if reason:
        raise ValidationError(reason)


# The URLs the API takes, as the document states them: http(s), a host name with a dot
# (an address or localhost is refused anyway: igny8.outbound), an optional port and path.
URL_PATTERN = (
    r"^https?://([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
    r"(:[1-9][0-9]{0,4})?(/[A-Za-z0-9._~%!$&'()*+,;=:@-]*)*$"
)


def url_field(*checks, **kwargs) -> fields.Url:
    """An http(s) URL that fits its 500-character column, and passes ``checks``."""
    return fields.Url(
        schemes={"http", "https"},
        require_tld=False,
        validate=[validate.Length(min=1, max=500), *checks],
        metadata={"pattern": URL_PATTERN, "format": "uri"},
        **kwargs,
    )


def too_many_keywords(plan, **details) -> ApiError:
    """The plan's keyword limit, as the API refuses a request past it."""
    return ApiError(
        403, f"the {plan.name} plan allows {plan.max_keywords} keywords per site", details=details
    )


class SiteIn(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    url = url_field(required=True)
    wp_url = url_field(publishing_target, allow_none=True, load_default=None)
    wp_username = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=200)
    )
    wp_app_password = fields.String(load_default=None, allow_none=True, load_only=True)
    webhook_url = url_field(publishing_target, allow_none=True, load_default=None)
    webhook_secret = fields.String(load_default=None, allow_none=True, load_only=True)


class SiteUpdateIn(Strict):
    name = fields.String(validate=validate.Length(min=1, max=200))
    url = url_field()
    wp_url = url_field(publishing_target, allow_none=True)
    wp_username = fields.String(allow_none=True, validate=validate.Length(max=200))
    wp_app_password = fields.String(allow_none=True, load_only=True)
    webhook_url = url_field(publishing_target, allow_none=True)
    webhook_secret = fields.String(allow_none=True, load_only=True)


class KeywordField(fields.Field):
    """A keyword as a string, or an object with keyword, volume and difficulty."""

    def __init__(self, **kwargs):
        one_keyword = {"type": "string", "minLength": 1, "maxLength": 255}
        # KeywordIn is registered as a component by igny8.api.openapi.
        either = [one_keyword, {"$ref": "#/components/schemas/KeywordIn"}]
        super().__init__(metadata={"oneOf": either}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = {"keyword": value}
        if value is None:
            raise ValidationError("a keyword is a string or an object with 'keyword'")
        if not isinstance(value, dict):
            raise ValidationError("a keyword is a string or an object with 'keyword'")
        return KeywordIn().load(value)


class KeywordIn(Strict):
    keyword = fields.String(required=True, validate=validate.Length(min=1, max=255))
    volume = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))
    difficulty = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=0, max=100)
    )


class KeywordPatch(Strict):
    keyword = fields.String(validate=validate.Length(min=1, max=255))
    volume = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=INT_MAX))
    difficulty = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=100))
    status = fields.String(validate=validate.OneOf(("new", "clustered", "archived")))
    cluster_id = id_field(allow_none=True)


def sort_field(*names) -> fields.String:
    """?sort=name or ?sort=-name (descending), among ``names``."""
    return fields.String(validate=validate.OneOf([*names, *(f"-{n}" for n in names)]))


def list_query(name: str, *, statuses=(), sort=(), search=False, **more) -> type[Schema]:
    """The query of a list a page filters: page and per_page, and as asked ``status`` (one
    of ``statuses``), ``q`` (a search), ``sort`` (one of ``sort``, - for descending) and
    ``more`` fields (e.g. cluster_id=id_field()). igny8.api.pagination.filtered applies it."""
    attrs = {"page": page_field(), "per_page": per_page_field(), **more}
    if statuses:
        attrs["status"] = fields.String(validate=validate.OneOf(statuses))
    if search:
        attrs["q"] = fields.String(validate=validate.Length(min=1, max=255))
    if sort:
        attrs["sort"] = sort_field(*sort)
    return type(name, (Strict,), attrs)


KeywordQuery = list_query(
    "KeywordQuery",
    statuses=("new", "clustered", "archived"),
    sort=("id", "keyword", "volume", "difficulty", "created_at"),
    search=True,
    cluster_id=id_field(),
)


class RunsQuery(Strict):
    page = page_field()
    per_page = per_page_field()
    status = fields.String(validate=validate.OneOf(RUN_STATUSES))
    operation = fields.String(validate=validate.Length(min=1, max=60))
    site_id = id_field()


class MediaQuery(Strict):
    expires = fields.String(required=True, validate=validate.Length(max=20))
    signature = fields.String(required=True, validate=validate.Length(max=64))


class ContentQuery(Strict):
    # The HTML with its images placed as <figure> (img, alt, caption).
    figures = fields.Boolean(load_default=False)


class ContentPatch(Strict):
    title = fields.String(validate=validate.Length(min=1, max=300))
    html = fields.String(validate=validate.Length(max=2_000_000))
    meta_description = fields.String(allow_none=True, validate=validate.Length(max=500))
    status = fields.String(validate=validate.OneOf(("draft", "review", "published")))


MAX_KEYWORDS_PER_REQUEST = 5000


class KeywordsIn(Strict):
    keywords = fields.List(
        KeywordField(), required=True, validate=validate.Length(min=1, max=MAX_KEYWORDS_PER_REQUEST)
    )

    @pre_load
    def within_limits(self, data, **kwargs):
        """A list longer than a request or the plan allows is refused before each keyword
        is parsed (a 100,000-keyword list would take seconds to read, only to be refused)."""
        keywords = data.get("keywords") if isinstance(data, dict) else None
        if isinstance(keywords, list):
            plan = current_account().plan
            if len(keywords) > plan.max_keywords:
                raise too_many_keywords(plan, sent=len(keywords))
            if len(keywords) > MAX_KEYWORDS_PER_REQUEST:
                raise ValidationError(
                    f"at most {MAX_KEYWORDS_PER_REQUEST} keywords per request", "keywords"
                )
        return data


class KeywordIdsIn(Strict):
    keyword_ids = fields.List(
        WholeNumber(validate=validate.Range(min=1, max=INT_MAX)),
        load_default=None,
        validate=validate.Length(min=1, max=5000),
    )


# The most items one AI request may name: a run's cost per item does not grow with its size
# (its items run in parallel and each keeps a result row of its own).
MAX_ITEMS_PER_RUN = 5000


def ids_schema(name: str, field: str, maximum: int = MAX_ITEMS_PER_RUN) -> type[Schema]:
    """A body of one required list of ids, e.g. {"cluster_ids": [1, 2]}."""
    ids = fields.List(
        WholeNumber(validate=validate.Range(min=1, max=INT_MAX)),
        required=True,
        validate=validate.Length(min=1, max=maximum),
    )
    return type(name, (Strict,), {field: ids})


ContentIdsIn = ids_schema("ContentIdsIn", "content_ids")


class IntegrationSettingsIn(Strict):
    text_model = fields.String(allow_none=True)
    image_model = fields.String(allow_none=True)
    temperature = fields.Float(allow_none=True, validate=validate.Range(min=0, max=2))
    max_tokens = WholeNumber(allow_none=True, validate=validate.Range(min=1, max=200_000))
    image_size = fields.String(allow_none=True, validate=validate.OneOf(IMAGE_SIZES))
    image_quality = fields.String(allow_none=True, validate=validate.OneOf(IMAGE_QUALITIES))
    image_style = fields.String(allow_none=True, validate=validate.OneOf(IMAGE_STYLES))


class PromptIn(Strict):
    template = fields.String(required=True, validate=validate.Length(min=1, max=50_000))


class ModelsQuery(Strict):
    page = page_field()
    per_page = per_page_field()
    type = fields.String(validate=validate.OneOf(MODEL_TYPES))


class PromptPreviewIn(Strict):
    template = fields.String(validate=validate.Length(min=1, max=50_000))
    variables = fields.Dict(keys=fields.String(validate=validate.Length(max=100)))


class DateRange(Strict):
    # Any calendar dates: a range past all the data, or one whose start is after its end,
    # holds nothing (an empty answer, not an error).
    start = fields.Date(load_default=None)
    end = fields.Date(load_default=None)


class UsageQuery(DateRange):
    # One answer, not pages: a row per day, model, operation or tier of the range.
    group_by = fields.String(
        load_default="day", validate=validate.OneOf(("day", "model", "operation", "tier"))
    )


class LedgerQuery(DateRange):
    page = page_field()
    per_page = per_page_field()
    type = fields.String(validate=validate.OneOf(TRANSACTION_TYPES))


def password_field(**kwargs) -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=8, max=200), **kwargs)


class SignInIn(Strict):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class PasswordChangeIn(Strict):
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    new_password = password_field()


class PasswordResetIn(Strict):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))


class SetPasswordIn(Strict):
    token = fields.String(required=True, validate=validate.Length(min=1, max=500))
    password = password_field()


ROLE_CHOICES = ("owner", "editor", "viewer")


class InviteIn(Strict):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    role = fields.String(required=True, validate=validate.OneOf(ROLE_CHOICES))


class RoleIn(Strict):
    role = fields.String(required=True, validate=validate.OneOf(ROLE_CHOICES))


class TokenIn(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))


class PageQuery(Strict):
    page = page_field()
    per_page = per_page_field()
