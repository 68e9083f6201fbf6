"""Platform and per-account settings: defaults, provider credentials, module switches."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..crypto import EncryptedString
from ..extensions import db
from .base import pk, updated_at
from .catalog import AIModelConfig
from .tenancy import Account


class GlobalIntegrationSettings(db.Model):
    """The singleton (id 1) of platform-wide AI defaults."""

    __tablename__ = "global_integration_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="singleton"),
        CheckConstraint(
            "default_temperature >= 0 AND default_temperature <= 2", name="temperature_range"
        ),
        CheckConstraint("default_max_tokens > 0", name="max_tokens_positive"),
        CheckConstraint("max_in_article_images >= 0", name="max_in_article_images_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    default_text_model_id: Mapped[int | None] = mapped_column(
        ForeignKey("ai_model_configs.id", ondelete="SET NULL")
    )
    default_image_model_id: Mapped[int | None] = mapped_column(
        ForeignKey("ai_model_configs.id", ondelete="SET NULL")
    )
    default_temperature: Mapped[float] = mapped_column(Float, default=0.7)
    default_max_tokens: Mapped[int] = mapped_column(Integer, default=8192)
    default_image_size: Mapped[str] = mapped_column(String(20), default="1024x1024")
    default_image_quality: Mapped[str] = mapped_column(String(20), default="standard")
    default_image_style: Mapped[str] = mapped_column(String(20), default="vivid")
    max_in_article_images: Mapped[int] = mapped_column(Integer, default=2)
    updated_at: Mapped[datetime] = updated_at()

    default_text_model: Mapped[AIModelConfig | None] = relationship(
        foreign_keys=[default_text_model_id]
    )
    default_image_model: Mapped[AIModelConfig | None] = relationship(
        foreign_keys=[default_image_model_id]
    )

    @classmethod
    def get(cls) -> "GlobalIntegrationSettings":
        """The singleton row, created with the defaults when missing."""
        row = db.session.get(cls, 1)
        if row is None:
            row = cls(id=1)
            db.session.add(row)
            db.session.flush()
        return row


class ProviderCredential(db.Model):
    """A provider's API key (encrypted at rest). Keys live here only, never per account."""

    __tablename__ = "provider_credentials"

    id: Mapped[int] = pk()
    provider: Mapped[str] = mapped_column(String(40), unique=True)
    api_key: Mapped[str | None] = mapped_column(EncryptedString)
    base_url: Mapped[str | None] = mapped_column(String(500))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = updated_at()

    def __repr__(self):  # never show the key
        return f"<ProviderCredential {self.provider}>"


class IntegrationSettings(db.Model):
    """An account's overrides; null (or a missing config key) means "use the global value"."""

    __tablename__ = "integration_settings"

    id: Mapped[int] = pk()
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), unique=True
    )
    text_model_id: Mapped[int | None] = mapped_column(
        ForeignKey("ai_model_configs.id", ondelete="SET NULL")
    )
    image_model_id: Mapped[int | None] = mapped_column(
        ForeignKey("ai_model_configs.id", ondelete="SET NULL")
    )
    # temperature, max_tokens, image_size, image_quality, image_style
    config: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = updated_at()

    text_model: Mapped[AIModelConfig | None] = relationship(foreign_keys=[text_model_id])
    image_model: Mapped[AIModelConfig | None] = relationship(foreign_keys=[image_model_id])
    account: Mapped[Account] = relationship()


class ModuleSetting(db.Model):
    __tablename__ = "module_settings"

    id: Mapped[int] = pk()
    module_key: Mapped[str] = mapped_column(String(60), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = updated_at()
