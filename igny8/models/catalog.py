"""The model registry: which AI models exist, what they cost, how they turn into credits."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import ZERO, Price, created_at, one_of, pk, unique_where

MODEL_TYPES = ("text", "image")


class AIModelConfig(db.Model):
    __tablename__ = "ai_model_configs"
    __table_args__ = (
        CheckConstraint(one_of("model_type", MODEL_TYPES), name="model_type"),
        CheckConstraint("tokens_per_credit > 0", name="tokens_per_credit_positive"),
        CheckConstraint("credits_per_image >= 0", name="credits_per_image_non_negative"),
        # At most one default model per type.
        unique_where("uq_ai_model_configs_default_per_type", "model_type", "is_default"),
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
