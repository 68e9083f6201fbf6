"""Content is never lost: every rewrite keeps the previous version as a ContentRevision."""

from .extensions import db
from .models import Content, ContentRevision


def keep_revision(content: Content, reason: str) -> ContentRevision:
    revision = ContentRevision(
        account_id=content.account_id,
        content=content,
        title=content.title,
        html=content.html,
        word_count=content.word_count,
        reason=reason,
    )
    db.session.add(revision)
    return revision
