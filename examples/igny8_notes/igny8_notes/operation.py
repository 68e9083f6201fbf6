"""note -> a one-sentence summary, through one metered call."""

from sqlalchemy import select

from igny8.plugin import db

from .models import Note

PROMPT = "Summarise this note in one sentence: {{ text }}"


def summarise(ctx, note_id) -> dict:
    note = ctx.owned(Note, note_id)  # ItemError not_found for anyone else's note
    prompt = ctx.prompt("note_summary", text=note.text)
    note.summary = ctx.text([{"role": "user", "content": prompt}]).output.strip()
    return {"note_id": note.id, "summary": note.summary}


def unsummarised(site) -> list[int]:
    """The pipeline stage's items: the site's notes with no summary yet."""
    return db.session.scalars(
        select(Note.id).where(Note.site_id == site.id, Note.summary.is_(None)).order_by(Note.id)
    ).all()
