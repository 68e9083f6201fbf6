"""POST /sites/{id}/content/link."""

from igny8.plugin import Content, ContentIdsIn, documented, execute_on


def routes(bp):
    @bp.post("/content/link")
    @documented("AI: internal links between the site's content", body=ContentIdsIn, run=True)
    def link(site_id, data):
        return execute_on("linking", Content, data["content_ids"], site_id)
