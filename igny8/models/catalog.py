"""The model registry: which AI models exist, what they cost, how they turn into credits."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow
from .base import ZERO, Price, created_at, one_of, pk, unique_where

MODEL_TYPES = ("text", "image")


class AIModelConfig(db.Model):
    __tablename__ = "ai_model_configs"
    __table_args__ = (
        CheckConstraint(one_of("model_type", MODEL_TYPES), name="model_type"),
        CheckConstraint("tokens_per_credit > 0", name="tokens_per_credit_positive"),
        CheckConstraint("credits_per_image >= 0", name="credits_per_image_non_negative"),
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
    tokens_per_credit: Mapped[int] = mapped_column(Integer, default=1000)
    credits_per_image: Mapped[int] = mapped_column(Integer, default=1)
    context_window: Mapped[int | None] = mapped_column(Integer)
    max_output_tokens: Mapped[int | None] = mapped_column(Integer)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    prices: Mapped[list["ModelPrice"]] = relationship(
        back_populates="model", order_by="ModelPrice.effective_from", cascade="all, delete-orphan"
    )

    def __str__(self):
        return self.display_name or self.model_name


class ModelPrice(db.Model):
    """A model's unit prices from ``effective_from`` on; the newest one not in the future is in force."""

    __tablename__ = "model_prices"
    __table_args__ = (Index("ix_model_prices_model_effective", "model_id", "effective_from"),)

    id: Mapped[int] = pk()
    model_id: Mapped[int] = mapped_column(ForeignKey("ai_model_configs.id", ondelete="CASCADE"))
    cost_per_1k_input: Mapped[Decimal] = mapped_column(Price, default=ZERO)
    cost_per_1k_cached_input: Mapped[Decimal | None] = mapped_column(Price)
    cost_per_1k_output: Mapped[Decimal] = mapped_column(Price, default=ZERO)
    cost_per_image: Mapped[Decimal] = mapped_column(Price, default=ZERO)
    effective_from: Mapped[datetime]
    created_at: Mapped[datetime] = created_at()

    model: Mapped[AIModelConfig] = relationship(back_populates="prices")


PRICE_FIELDS = (
    "cost_per_1k_input",
    "cost_per_1k_cached_input",
    "cost_per_1k_output",
    "cost_per_image",
)


@event.listens_for(Session, "before_flush")
def _record_price_history(session, _flush_context, _instances):
    """Whoever changes a model's prices (admin, CLI, seed), a ModelPrice row records them
    from now on, so usage can always be priced at the price effective at its time."""
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, AIModelConfig):
            continue
        state = inspect(obj)
        if obj in session.new or any(state.attrs[f].history.has_changes() for f in PRICE_FIELDS):
            session.add(
                ModelPrice(
                    model=obj, effective_from=utcnow(), **{f: getattr(obj, f) for f in PRICE_FIELDS}
                )
            )
