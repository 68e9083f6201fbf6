"""GET, POST /sites/{id}/notes and POST /sites/{id}/notes/summaries (AI)."""

from flask import jsonify
from marshmallow import fields, validate

from igny8.plugin import (
    PageQuery,
    Strict,
    current_account,
    db,
    documented,
    execute_on,
    ids_schema,
    on_site,
    paginate,
)

from .models import Note

NoteIdsIn = ids_schema("NoteIdsIn", "note_ids", 100)


class NoteIn(Strict):
    text = fields.String(required=True, validate=validate.Length(min=1, max=5000))


def note_json(note):
    return {"id": note.id, "text": note.text, "summary": note.summary}


def routes(bp):
    @bp.get("/notes")
    @documented("Notes", query=PageQuery)
    def list_notes(site_id, args):
        return jsonify(paginate(on_site(Note, site_id), note_json))

    @bp.post("/notes")
    @documented("Add a note", body=NoteIn, status=201)
    def add_note(site_id, data):
        note = Note(account_id=current_account().id, site_id=site_id, text=data["text"])
        db.session.add(note)
        db.session.commit()
        return jsonify(note_json(note)), 201

    @bp.post("/notes/summaries")
    @documented("AI: summarise notes in one sentence each", body=NoteIdsIn)
    def summarise_notes(site_id, data):
        return execute_on("note_summary", Note, data["note_ids"], site_id)
