"""Credits: per-operation costs, the ledger, and one usage row per metered provider call."""

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
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import ZERO, Count, Money, Price, account_fk, created_at, one_of, pk, unique_where
from .catalog import AIModelConfig
from .tenancy import Account

TRANSACTION_TYPES = ("purchase", "grant", "hold", "settle", "release", "refund", "adjustment")
USAGE_STATUSES = ("success", "failed")


class CreditCostConfig(db.Model):
    __tablename__ = "credit_cost_configs"
    __table_args__ = (CheckConstraint("min_credits >= 0", name="min_credits_non_negative"),)

    id: Mapped[int] = pk()
    operation: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(120))
    min_credits: Mapped[int] = mapped_column(Integer, default=1)
    default_model_id: Mapped[int | None] = mapped_column(
        ForeignKey("ai_model_configs.id", ondelete="SET NULL")
    )
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    default_model: Mapped[AIModelConfig | None] = relationship()

    def __str__(self):
        return self.operation


class CreditTransaction(db.Model):
    """One ledger row. For every account, credits == sum(amount) of its rows."""

    __tablename__ = "credit_transactions"
    __table_args__ = (
        CheckConstraint(one_of("type", TRANSACTION_TYPES), name="type"),
        CheckConstraint("balance_after >= 0", name="balance_after_non_negative"),
        Index("ix_credit_transactions_account_created", "account_id", "created_at"),
        # Exactly once: a provider call (its request_id is the reference) is held,
        # released and settled at most once each, whatever races or retries happen.
        unique_where(
            "uq_credit_transactions_once_per_call",
            "type",
            "reference",
            condition="type IN ('hold', 'release', 'settle')",
        ),
    )

    id: Mapped[int] = pk()
    account_id: Mapped[int] = account_fk(index=False, money=True)
    amount: Mapped[int] = mapped_column(Count)
    balance_after: Mapped[int] = mapped_column(Count)
    type: Mapped[str] = mapped_column(String(20))
    # Looked up through the exactly-once index (calls) or per account (grants).
    reference: Mapped[str | None] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()

    account: Mapped[Account] = relationship(viewonly=True)


class CreditUsageLog(db.Model):
    """One metered provider call: tokens, the unit prices charged, cost, credits, outcome."""

    __tablename__ = "credit_usage_logs"
    __table_args__ = (
        CheckConstraint(one_of("status", USAGE_STATUSES), name="status"),
        CheckConstraint("credits_used >= 0", name="credits_used_non_negative"),
        CheckConstraint("credits_unbilled >= 0", name="credits_unbilled_non_negative"),
        Index("ix_credit_usage_logs_account_created", "account_id", "created_at"),
        Index("ix_credit_usage_logs_created", "created_at"),
        # The most expensive calls of an operation, read from the top (Cost Analysis).
        Index("ix_credit_usage_logs_operation_cost", "operation", "cost_usd_total"),
    )

    id: Mapped[int] = pk()
    account_id: Mapped[int] = account_fk(index=False, money=True)
    # Billing records outlive the site they were made for.
    site_id: Mapped[int | None] = mapped_column(
        ForeignKey("sites.id", ondelete="SET NULL"), index=True
    )
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("operation_runs.id", ondelete="SET NULL"), index=True
    )
    # No single-column indexes on operation, provider or model: reports filter by time
    # (indexed) and group by these, and every index is paid for on each metered call.
    operation: Mapped[str] = mapped_column(String(60))
    provider: Mapped[str] = mapped_column(String(40))
    model_config_id: Mapped[int | None] = mapped_column(
        ForeignKey("ai_model_configs.id", ondelete="SET NULL")
    )
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    input_tokens: Mapped[int] = mapped_column(Count, default=0)
    cached_input_tokens: Mapped[int] = mapped_column(Count, default=0)
    cache_write_tokens: Mapped[int] = mapped_column(Count, default=0)
    output_tokens: Mapped[int] = mapped_column(Count, default=0)
    reasoning_tokens: Mapped[int] = mapped_column(Count, default=0)
    images: Mapped[int] = mapped_column(Count, default=0)
    # Parts of the counts above (igny8.ai.usage.Usage says how they nest).
    cache_write_1h_tokens: Mapped[int] = mapped_column(Count, default=0)
    image_input_tokens: Mapped[int] = mapped_column(Count, default=0)
    cached_image_input_tokens: Mapped[int] = mapped_column(Count, default=0)
    image_output_tokens: Mapped[int] = mapped_column(Count, default=0)
    service_tier: Mapped[str | None] = mapped_column(String(20))  # as the provider reported it
    speed: Mapped[str | None] = mapped_column(String(20))  # e.g. "fast", as reported
    inference_geo: Mapped[str | None] = mapped_column(String(20))  # e.g. "us", as reported
    # Server-side tools the provider billed per request, e.g. {"web_search": 3}.
    tool_requests: Mapped[dict | None] = mapped_column(db.JSON)
    # Images whose cost the provider did not report (priced from the catalog).
    unreported_images: Mapped[int] = mapped_column(Count, default=0)
    image_size: Mapped[str | None] = mapped_column(String(20))
    image_quality: Mapped[str | None] = mapped_column(String(20))
    usage_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    # The prices this call was charged at (a later price change never re-prices it): the
    # main per-1k rates and per-image price here, every rate used in ``prices_used``,
    # and which tier applied, so that any row can be re-priced by hand.
    price_per_1k_input: Mapped[Decimal | None] = mapped_column(Price)
    price_per_1k_cached_input: Mapped[Decimal | None] = mapped_column(Price)
    price_per_1k_output: Mapped[Decimal | None] = mapped_column(Price)
    price_per_image: Mapped[Decimal | None] = mapped_column(Price)
    prices_used: Mapped[dict | None] = mapped_column(db.JSON)
    price_tier: Mapped[str | None] = mapped_column(String(80))
    # Why the call was priced otherwise than it said (e.g. an unknown service tier).
    price_note: Mapped[str | None] = mapped_column(String(200))
    # Null until priced (see `flask igny8 backfill-costs`). Six disjoint parts of the
    # catalog cost; the total is the provider's reported cost when it reports one.
    cost_usd_input: Mapped[Decimal | None] = mapped_column(Money)
    cost_usd_cached: Mapped[Decimal | None] = mapped_column(Money)
    cost_usd_cache_write: Mapped[Decimal | None] = mapped_column(Money)
    cost_usd_output: Mapped[Decimal | None] = mapped_column(Money)
    cost_usd_images: Mapped[Decimal | None] = mapped_column(Money)
    cost_usd_tools: Mapped[Decimal | None] = mapped_column(Money)
    cost_usd_reported: Mapped[Decimal | None] = mapped_column(Money)
    cost_usd_total: Mapped[Decimal | None] = mapped_column(Money)
    credits_used: Mapped[int] = mapped_column(Count, default=0)
    credits_unbilled: Mapped[int] = mapped_column(Count, default=0)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="success")
    error_code: Mapped[str | None] = mapped_column(String(40))
    # The provider attempts the call made (the retry policy's), and each failed one's
    # {"code", "status", "ms"}: a provider that answers only after retries shows.
    attempts: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    failed_attempts: Mapped[list | None] = mapped_column(db.JSON)
    raw_usage: Mapped[dict | None] = mapped_column(db.JSON)
    created_at: Mapped[datetime] = created_at()

    model_config: Mapped[AIModelConfig | None] = relationship()
    account: Mapped[Account] = relationship(viewonly=True)


ROLLUP_KEYS = (
    "day",
    "account_id",
    "model_config_id",
    "operation",
    "provider",
    "price_tier",
    "status",
)
# A usage row's token and image counts, summed by reports and the rollup alike.
TOKEN_COUNTS = (
    "input_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "output_tokens",
    "reasoning_tokens",
    "image_input_tokens",
    "image_output_tokens",
    "images",
)
# The six disjoint parts of the catalog cost (a provider's reported cost, where there is
# one, is the total instead: docs/metering.md).
COST_PARTS = (
    "cost_usd_input",
    "cost_usd_cached",
    "cost_usd_cache_write",
    "cost_usd_output",
    "cost_usd_images",
    "cost_usd_tools",
)
ROLLUP_COUNTS = ("calls", *TOKEN_COUNTS, "credits_used", "credits_unbilled")
ROLLUP_MONEY = ("cost_usd_total", *COST_PARTS)


class UsageDaily(db.Model):
    """The usage log summed per day, account, model, operation, provider, price tier and
    outcome: what reports read. The meter adds each call to it in the same transaction as
    the call's usage row; `flask igny8 audit-ledger` checks it against the log and
    `flask igny8 rebuild-rollup` rebuilds it."""

    __tablename__ = "usage_daily"
    __table_args__ = (
        db.UniqueConstraint(*ROLLUP_KEYS, name="uq_usage_daily_key"),
        # Reports group a range by day and model: read in this order, without a sort.
        Index("ix_usage_daily_day_model", "day", "model_config_id"),
    )

    id: Mapped[int] = pk()
    day: Mapped[date] = mapped_column(Date)
    account_id: Mapped[int] = mapped_column(Integer)  # no foreign keys: a summary
    model_config_id: Mapped[int] = mapped_column(Integer, default=0)  # 0: none
    operation: Mapped[str] = mapped_column(String(60))
    provider: Mapped[str] = mapped_column(String(40))
    price_tier: Mapped[str] = mapped_column(String(80), default="")  # "": not recorded
    status: Mapped[str] = mapped_column(String(20))
    calls: Mapped[int] = mapped_column(Count, default=0)
    input_tokens: Mapped[int] = mapped_column(Count, default=0)
    cached_input_tokens: Mapped[int] = mapped_column(Count, default=0)
    cache_write_tokens: Mapped[int] = mapped_column(Count, default=0)
    output_tokens: Mapped[int] = mapped_column(Count, default=0)
    reasoning_tokens: Mapped[int] = mapped_column(Count, default=0)
    image_input_tokens: Mapped[int] = mapped_column(Count, default=0)
    image_output_tokens: Mapped[int] = mapped_column(Count, default=0)
    images: Mapped[int] = mapped_column(Count, default=0)
    credits_used: Mapped[int] = mapped_column(Count, default=0)
    credits_unbilled: Mapped[int] = mapped_column(Count, default=0)
    cost_usd_total: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    cost_usd_input: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    cost_usd_cached: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    cost_usd_cache_write: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    cost_usd_output: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    cost_usd_images: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    cost_usd_tools: Mapped[Decimal] = mapped_column(Money, default=ZERO)


class UsageCostRevision(db.Model):
    """A usage row's cost re-priced after its price was corrected (`backfill-costs
    --reprice`): the figures before and after. Credits charged are never revised."""

    __tablename__ = "usage_cost_revisions"

    id: Mapped[int] = pk()
    usage_id: Mapped[int] = mapped_column(
        ForeignKey("credit_usage_logs.id", ondelete="CASCADE"), index=True
    )
    old_cost_usd_total: Mapped[Decimal | None] = mapped_column(Money)
    new_cost_usd_total: Mapped[Decimal] = mapped_column(Money)
    # Every cost part, the prices used and the tier, before and after.
    before: Mapped[dict] = mapped_column(db.JSON)
    after: Mapped[dict] = mapped_column(db.JSON)
    price_id: Mapped[int | None] = mapped_column(ForeignKey("model_prices.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at()

    usage: Mapped[CreditUsageLog] = relationship()


__all__ = [
    "CreditCostConfig",
    "CreditTransaction",
    "CreditUsageLog",
    "UsageCostRevision",
    "UsageDaily",
    "ZERO",
]
