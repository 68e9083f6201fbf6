"""The WordPress REST routes the publisher uses: posts (create, update) and media (upload,
update), behind HTTP Basic auth with an application password."""

import base64

from .base import WireServer


class WordPressServer(WireServer):
    routes = {
        r"/wp-json/wp/v2/posts": "create_post",
        r"/wp-json/wp/v2/posts/(?P<id>\d+)": "update_post",
        r"/wp-json/wp/v2/media": "upload_media",
        r"/wp-json/wp/v2/media/(?P<id>\d+)": "update_media",
    }

    def __init__(self, username="editor", password="abcd efgh ijkl mnop"):
        super().__init__()
        self.credentials = base64.b64encode(f"{username}:{password}".encode()).decode()
        self.posts, self.media = {}, {}

    def _denied(self, request):
        if request["headers"].get("authorization") != f"Basic {self.credentials}":
            return (
                401,
                {"code": "rest_not_logged_in", "message": "Sorry, you are not allowed to do that."},
                None,
            )
        return None

    def create_post(self, request, behaviour):
        if behaviour == "server_error":
            return 500, {"code": "internal", "message": "Database error"}, None
        denied = self._denied(request)
        if denied:
            return denied
        post_id = 100 + len(self.posts)
        self.posts[post_id] = dict(request["json"])
        return 201, {"id": post_id, "link": f"{self.url}/?p={post_id}", **request["json"]}, None

    def update_post(self, request, behaviour):
        denied = self._denied(request)
        if denied:
            return denied
        post_id = int(request["params"]["id"])
        if post_id not in self.posts:
            return 404, {"code": "rest_post_invalid_id", "message": "Invalid post ID."}, None
        self.posts[post_id].update(request["json"])
        return 200, {"id": post_id, "link": f"{self.url}/?p={post_id}", **self.posts[post_id]}, None

    def upload_media(self, request, behaviour):
        denied = self._denied(request)
        if denied:
            return denied
        media_id = 500 + len(self.media)
        self.media[media_id] = {
            "bytes": request["raw"],
            "type": request["headers"].get("content-type"),
            "disposition": request["headers"].get("content-disposition"),
        }
        return 201, {"id": media_id, "source_url": f"{self.url}/uploads/{media_id}.png"}, None

    def update_media(self, request, behaviour):
        denied = self._denied(request)
        if denied:
            return denied
        self.media[int(request["params"]["id"])].update(request["json"])
        return 200, {"id": int(request["params"]["id"])}, None


class WebhookServer(WireServer):
    routes = {r"/hooks/igny8": "receive"}

    def receive(self, request, behaviour):
        if behaviour == "server_error":
            return 500, {"error": "down"}, None
        return (
            200,
            {"id": f"remote-{len(self.requests)}", "url": f"{self.url}/posts/{len(self.requests)}"},
            None,
        )
