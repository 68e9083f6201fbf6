"""The model registry: which AI models exist, what they cost, how they turn into credits."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, validates

from ..extensions import db
from ..timeutil import utcnow
from .base import ZERO, Price, created_at, one_of, pk, unique_where

MODEL_TYPES = ("text", "image")
CREDIT_RULES = ("tokens", "images", "cost")
# Who wrote a price row: the plugin's catalog (init), `prices sync`, or an admin.
PRICE_SOURCES = ("plugin", "sync", "admin")


LIMIT_COLUMNS = ("max_concurrency", "requests_per_minute", "tokens_per_minute")


class LimitsMixin:
    """A provider's limits for a model, enforced across every process (igny8.limits):
    calls in flight, requests and tokens per minute. Null: no limit of that kind; 0 or
    less is refused where it is set."""

    max_concurrency: Mapped[int | None] = mapped_column(Integer)
    requests_per_minute: Mapped[int | None] = mapped_column(Integer)
    tokens_per_minute: Mapped[int | None] = mapped_column(Integer)

    @validates(*LIMIT_COLUMNS)
    def _check_limit(self, key, value):
        from ..limits import check_limit

        return check_limit(key, value)


def limit_checks() -> tuple[CheckConstraint, ...]:
    return tuple(
        CheckConstraint(f"{name} IS NULL OR {name} > 0", name=f"{name}_positive")
        for name in LIMIT_COLUMNS
    )


class PricedMixin:
    """The price columns a model and each of its history rows share, checked on assignment:
    the per-1k simple case and the optional ``pricing`` structure."""

    @validates(
        "cost_per_1k_input", "cost_per_1k_cached_input", "cost_per_1k_output", "cost_per_image"
    )
    def _check_price(self, key, value):
        if value is not None and Decimal(value) < 0:
            raise ValueError(f"{key} must not be negative")
        return value

    @validates("pricing")
    def _check_pricing(self, key, value):
        from ..billing.price_schema import validate_pricing

        validate_pricing(value or None)
        return value or None


class AIModelConfig(PricedMixin, LimitsMixin, db.Model):
    __tablename__ = "ai_model_configs"
    __table_args__ = (
        CheckConstraint(one_of("model_type", MODEL_TYPES), name="model_type"),
        CheckConstraint("tokens_per_credit > 0", name="tokens_per_credit_positive"),
        CheckConstraint("credits_per_image >= 0", name="credits_per_image_non_negative"),
        CheckConstraint(
            f"credit_rule IS NULL OR {one_of('credit_rule', CREDIT_RULES)}", name="credit_rule"
        ),
        CheckConstraint(
            "credits_per_usd IS NULL OR credits_per_usd > 0", name="credits_per_usd_positive"
        ),
        *limit_checks(),
        # At most one default model per type.
        unique_where("uq_ai_model_configs_default_per_type", "model_type", condition="is_default"),
    )

    id: Mapped[int] = pk()
    model_name: Mapped[str] = mapped_column(String(120), unique=True)
    provider: Mapped[str] = mapped_column(String(40), index=True)
    model_type: Mapped[str] = mapped_column(String(10))
    display_name: Mapped[str] = mapped_column(String(120))
    cost_per_1k_input: Mapped[Decimal] = mapped_column(Price, default=ZERO)
    # Null means "same as the input price".
    cost_per_1k_cached_input: Mapped[Decimal | None] = mapped_column(Price)
    cost_per_1k_output: Mapped[Decimal] = mapped_column(Price, default=ZERO)
    cost_per_image: Mapped[Decimal] = mapped_column(Price, default=ZERO)
    # Everything else the bill depends on (igny8.billing.price_schema); null: nothing else.
    pricing: Mapped[dict | None] = mapped_column(db.JSON)
    tokens_per_credit: Mapped[int] = mapped_column(Integer, default=1000)
    credits_per_image: Mapped[int] = mapped_column(Integer, default=1)
    # tokens | images | cost (igny8.billing.credits); null: tokens for text, images for image.
    credit_rule: Mapped[str | None] = mapped_column(String(10))
    credits_per_usd: Mapped[int | None] = mapped_column(Integer)
    # "SIZE/QUALITY" or "SIZE" -> credits per image.
    image_credits: Mapped[dict | None] = mapped_column(db.JSON)
    context_window: Mapped[int | None] = mapped_column(Integer)
    # For an image model priced by tokens: the most output tokens one image takes.
    max_output_tokens: Mapped[int | None] = mapped_column(Integer)
    # What the provider needs to hear about this model, e.g. {"max_tokens_param":
    # "max_completion_tokens", "temperature": false} for reasoning models.
    request_options: Mapped[dict | None] = mapped_column(db.JSON)
    # The provider's end of life for the model; past it the model is kept for history.
    end_of_life: Mapped[date | None] = mapped_column(Date)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    prices: Mapped[list["ModelPrice"]] = relationship(
        back_populates="model", order_by="ModelPrice.effective_from", cascade="all, delete-orphan"
    )

    def __str__(self):
        return self.display_name or self.model_name

    @validates("credit_rule")
    def _check_credit_rule(self, key, value):
        if value and value not in CREDIT_RULES:
            raise ValueError(f"credit_rule must be one of {', '.join(CREDIT_RULES)}")
        return value or None

    @validates("image_credits")
    def _check_image_credits(self, key, value):
        for size, credits in (value or {}).items():
            if not isinstance(credits, int) or isinstance(credits, bool) or credits < 0:
                raise ValueError(f"image_credits[{size!r}] must be a non-negative integer")
        return value or None


class ModelPrice(PricedMixin, db.Model):
    """A model's unit prices from ``effective_from`` on; the newest one not in the future is in force."""

    __tablename__ = "model_prices"
    __table_args__ = (
        Index("ix_model_prices_model_effective", "model_id", "effective_from"),
        CheckConstraint(one_of("source", PRICE_SOURCES), name="source"),
    )

    id: Mapped[int] = pk()
    model_id: Mapped[int] = mapped_column(ForeignKey("ai_model_configs.id", ondelete="CASCADE"))
    cost_per_1k_input: Mapped[Decimal] = mapped_column(Price, default=ZERO)
    cost_per_1k_cached_input: Mapped[Decimal | None] = mapped_column(Price)
    cost_per_1k_output: Mapped[Decimal] = mapped_column(Price, default=ZERO)
    cost_per_image: Mapped[Decimal] = mapped_column(Price, default=ZERO)
    pricing: Mapped[dict | None] = mapped_column(db.JSON)
    effective_from: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(20), default="admin")
    created_at: Mapped[datetime] = created_at()

    model: Mapped[AIModelConfig] = relationship(back_populates="prices")


class AccountModelLimit(LimitsMixin, db.Model):
    """An account's own limits on a model, enforced besides the model's: an admin caps what
    one tenant may have in flight or spend per minute on a model, so it cannot take the
    provider's whole allowance (igny8.limits)."""

    __tablename__ = "account_model_limits"
    __table_args__ = (
        db.UniqueConstraint("account_id", "model_id", name="uq_account_model_limits"),
        *limit_checks(),
    )

    id: Mapped[int] = pk()
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    model_id: Mapped[int] = mapped_column(ForeignKey("ai_model_configs.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = created_at()

    account: Mapped["Account"] = relationship()  # noqa: F821 - models/tenancy.py
    model: Mapped[AIModelConfig] = relationship()

    def __str__(self):
        return f"{self.account} on {self.model}"


PRICE_FIELDS = (
    "cost_per_1k_input",
    "cost_per_1k_cached_input",
    "cost_per_1k_output",
    "cost_per_image",
    "pricing",
)
PRICE_SOURCE_KEY = "igny8_price_source"
# Set on a session to date the price rows it writes (a correction of past prices).
PRICE_EFFECTIVE_KEY = "igny8_price_effective_from"


class UnpricedModel(ValueError):
    """A model made active or default without a price for a part it is billed for."""


def unpriced_parts(model) -> tuple[str, ...]:
    """What ``model`` (a model row) is billed for but has no price for (igny8.billing.pricing)."""
    from ..billing.pricing import PriceCard, unpriced

    return unpriced(PriceCard.of(model), model.model_type)


def check_priced(model) -> None:
    """UnpricedModel unless an active or default model has a price for every part it is
    billed for: a zero price would bill its calls $0 without a word."""
    active = model.is_active is not False  # None: not yet flushed, the column's default
    if not (active or model.is_default):
        return
    missing = unpriced_parts(model)
    if missing:
        raise UnpricedModel(
            f"{model.model_name} has no {' or '.join(missing)} price, so it cannot be active "
            'or default: enter its prices, or mark it free in pricing ({"free": true})'
        )


# A change of these makes a model's prices checked again.
PRICED_STATE = (
    "is_active",
    "is_default",
    "model_type",
    "cost_per_1k_input",
    "cost_per_1k_output",
    "cost_per_image",
    "pricing",
)


@event.listens_for(Session, "before_flush")
def _record_price_history(session, _flush_context, _instances):
    """Whoever changes a model's prices (admin, CLI, seed), a ModelPrice row records them
    from now on, so usage can always be priced at the price effective at its time; and no
    model is made active or default without its prices (check_priced)."""
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, AIModelConfig):
            continue
        state = inspect(obj)
        if obj in session.new or any(state.attrs[f].history.has_changes() for f in PRICED_STATE):
            check_priced(obj)
        if obj in session.new or any(state.attrs[f].history.has_changes() for f in PRICE_FIELDS):
            session.add(
                ModelPrice(
                    model=obj,
                    effective_from=session.info.get(PRICE_EFFECTIVE_KEY) or utcnow(),
                    source=session.info.get(PRICE_SOURCE_KEY, "admin"),
                    **{f: getattr(obj, f) for f in PRICE_FIELDS},
                )
            )
