"""POST /sites/{id}/content/link."""

from flask import Blueprint

from igny8.api.modules import require_module
from igny8.api.runs import execute
from igny8.api.schemas import ContentIdsIn
from igny8.api.scoping import owned_ids, owned_site
from igny8.api.validation import documented
from igny8.models import Content


def blueprint() -> Blueprint:
    bp = Blueprint("linker", __name__, url_prefix="/api/v1/sites/<int:site_id>")

    @bp.post("/content/link")
    @require_module("linker")
    @documented("AI: internal links between the site's content", tags=["linker"], body=ContentIdsIn)
    def link(site_id, data):
        owned_site(site_id)
        return execute("linking", owned_ids(Content, data["content_ids"], site_id), site_id=site_id)

    return bp
