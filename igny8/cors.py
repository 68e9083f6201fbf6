"""Cross-origin calls to /api/v1 from the browser origins in CORS_ORIGINS (flask-cors): a
frontend on another origin may send its token and the headers the API reads, and read the
headers it answers with. A preflight (OPTIONS) is answered before authentication, which
a browser's preflight never carries."""

from flask_cors import CORS

# Request headers a client sends, and response headers it reads (docs/api.md).
ALLOW_HEADERS = [
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "Prefer",
    "If-Match",
    "X-CSRF-Token",
]
EXPOSE_HEADERS = [
    "Location",
    "ETag",
    "Retry-After",
    "Idempotent-Replayed",
    "Preference-Applied",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "WWW-Authenticate",
]


def init_app(app) -> None:
    origins = [o.strip().rstrip("/") for o in app.config["CORS_ORIGINS"] if o.strip()]
    if not origins:
        return
    CORS(
        app,
        resources={r"/api/v1/*": {"origins": origins}},
        allow_headers=ALLOW_HEADERS,
        expose_headers=EXPOSE_HEADERS,
        methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        max_age=600,
        vary_header=True,
        # The session cookie of POST /auth/sign-in goes with fetch(..., {credentials:
        # "include"}) and EventSource(url, {withCredentials: true}); only to these origins.
        supports_credentials=True,
    )
