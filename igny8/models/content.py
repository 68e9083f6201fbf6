"""What tenants make: keywords -> clusters -> ideas -> tasks -> content, images, links, publications.

Every row carries its account and site; the composite foreign key (site_id, account_id)
guarantees a row's site belongs to the row's account.
"""

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import account_fk, created_at, one_of, pk, updated_at
from .catalog import AIModelConfig

KEYWORD_STATUSES = ("new", "clustered", "archived")
CLUSTER_STATUSES = ("active", "archived")
IDEA_STATUSES = ("new", "queued", "archived")
TASK_STATUSES = ("queued", "in_progress", "completed", "failed")
CONTENT_STATUSES = ("draft", "review", "published")
IMAGE_KINDS = ("featured", "in_article")
IMAGE_STATUSES = ("pending", "generated", "failed")
PUBLICATION_STATUSES = ("pending", "published", "failed")


def site_owned(*extra):
    """__table_args__ for a row owned by a site of its account."""
    return (
        ForeignKeyConstraint(
            ["site_id", "account_id"], ["sites.id", "sites.account_id"], ondelete="CASCADE"
        ),
        *extra,
    )


class SiteOwned:
    id: Mapped[int] = pk()
    account_id: Mapped[int] = account_fk()
    site_id: Mapped[int] = mapped_column(index=True)


class Keyword(SiteOwned, db.Model):
    __tablename__ = "keywords"
    __table_args__ = site_owned(
        UniqueConstraint("site_id", "keyword"),
        CheckConstraint(one_of("status", KEYWORD_STATUSES), name="status"),
    )

    keyword: Mapped[str] = mapped_column(String(255))
    volume: Mapped[int | None] = mapped_column(Integer)
    difficulty: Mapped[int | None] = mapped_column(Integer)
    cluster_id: Mapped[int | None] = mapped_column(
        ForeignKey("clusters.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default="new")
    created_at: Mapped[datetime] = created_at()

    cluster: Mapped["Cluster | None"] = relationship(back_populates="keywords")

    def __str__(self):
        return self.keyword


class Cluster(SiteOwned, db.Model):
    __tablename__ = "clusters"
    __table_args__ = site_owned(CheckConstraint(one_of("status", CLUSTER_STATUSES), name="status"))

    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_at: Mapped[datetime] = created_at()

    keywords: Mapped[list[Keyword]] = relationship(back_populates="cluster")
    ideas: Mapped[list["ContentIdea"]] = relationship(back_populates="cluster")

    def __str__(self):
        return self.name


class ContentIdea(SiteOwned, db.Model):
    __tablename__ = "content_ideas"
    __table_args__ = site_owned(CheckConstraint(one_of("status", IDEA_STATUSES), name="status"))

    cluster_id: Mapped[int | None] = mapped_column(
        ForeignKey("clusters.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    content_structure: Mapped[str] = mapped_column(String(40), default="article")
    outline: Mapped[list] = mapped_column(JSON, default=list)
    primary_keyword: Mapped[str | None] = mapped_column(String(255))
    covered_keywords: Mapped[list] = mapped_column(JSON, default=list)
    target_word_count: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="new")
    created_at: Mapped[datetime] = created_at()

    cluster: Mapped[Cluster | None] = relationship(back_populates="ideas")

    def __str__(self):
        return self.title


class Task(SiteOwned, db.Model):
    __tablename__ = "tasks"
    __table_args__ = site_owned(CheckConstraint(one_of("status", TASK_STATUSES), name="status"))

    idea_id: Mapped[int | None] = mapped_column(
        ForeignKey("content_ideas.id", ondelete="SET NULL"), index=True
    )
    # Per-task model override, first level of the resolution cascade.
    model_config_id: Mapped[int | None] = mapped_column(
        ForeignKey("ai_model_configs.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    idea: Mapped[ContentIdea | None] = relationship()
    model_config: Mapped[AIModelConfig | None] = relationship()

    def __str__(self):
        return self.title


class Content(SiteOwned, db.Model):
    __tablename__ = "contents"
    __table_args__ = site_owned(
        CheckConstraint(one_of("status", CONTENT_STATUSES), name="status"),
        CheckConstraint("word_count >= 0", name="word_count_non_negative"),
    )

    task_id: Mapped[int | None] = mapped_column(
        ForeignKey("tasks.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    html: Mapped[str] = mapped_column(Text, default="")
    word_count: Mapped[int] = mapped_column(Integer, default=0)
    meta_description: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    task: Mapped[Task | None] = relationship()
    images: Mapped[list["Image"]] = relationship(
        back_populates="content", order_by="Image.position", cascade="all, delete-orphan"
    )
    revisions: Mapped[list["ContentRevision"]] = relationship(
        back_populates="content",
        order_by="ContentRevision.created_at",
        cascade="all, delete-orphan",
    )

    def __str__(self):
        return self.title


class ContentRevision(db.Model):
    """A previous version of a content's HTML, kept whenever it is rewritten."""

    __tablename__ = "content_revisions"

    id: Mapped[int] = pk()
    account_id: Mapped[int] = account_fk()
    content_id: Mapped[int] = mapped_column(
        ForeignKey("contents.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    html: Mapped[str] = mapped_column(Text)
    word_count: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = created_at()

    content: Mapped[Content] = relationship(back_populates="revisions")


class Image(SiteOwned, db.Model):
    __tablename__ = "images"
    __table_args__ = site_owned(
        CheckConstraint(one_of("kind", IMAGE_KINDS), name="kind"),
        CheckConstraint(one_of("status", IMAGE_STATUSES), name="status"),
        UniqueConstraint("content_id", "position"),
    )

    content_id: Mapped[int] = mapped_column(
        ForeignKey("contents.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer, default=0)
    prompt: Mapped[str] = mapped_column(Text)
    caption: Mapped[str | None] = mapped_column(Text)
    alt: Mapped[str | None] = mapped_column(String(500))
    file_path: Mapped[str | None] = mapped_column(String(500))
    url: Mapped[str | None] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()

    content: Mapped[Content] = relationship(back_populates="images")


class ContentLink(SiteOwned, db.Model):
    __tablename__ = "content_links"
    __table_args__ = site_owned(
        CheckConstraint("source_content_id <> target_content_id", name="no_self_link"),
        UniqueConstraint("source_content_id", "anchor_text"),
    )

    source_content_id: Mapped[int] = mapped_column(
        ForeignKey("contents.id", ondelete="CASCADE"), index=True
    )
    target_content_id: Mapped[int] = mapped_column(
        ForeignKey("contents.id", ondelete="CASCADE"), index=True
    )
    anchor_text: Mapped[str] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = created_at()


class Publication(SiteOwned, db.Model):
    __tablename__ = "publications"
    __table_args__ = site_owned(
        CheckConstraint(one_of("status", PUBLICATION_STATUSES), name="status"),
        UniqueConstraint("content_id", "target"),
    )

    content_id: Mapped[int] = mapped_column(
        ForeignKey("contents.id", ondelete="CASCADE"), index=True
    )
    target: Mapped[str] = mapped_column(String(40))
    remote_id: Mapped[str | None] = mapped_column(String(120))
    remote_url: Mapped[str | None] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    error: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
