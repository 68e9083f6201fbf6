"""The frontend's contract, tested as a frontend developer meets it: a TypeScript client
generated from the live /api/v1/openapi.json (openapi-typescript), a script that walks the
product's 15 pages with it (tests/client/walkthrough.mts, through openapi-fetch) type-checked
with ``tsc --strict``, then run with node against a live app from another origin, signed in
with e-mail and password. A field the document gets wrong fails the type-check; an answer
the server gets wrong fails the run."""

import json
import os
import pathlib
import shutil
import subprocess
import threading
import uuid

import pytest
from content_support import use_offline
from werkzeug.serving import make_server

from igny8 import accounts
from igny8.extensions import db
from igny8.models import User
from igny8.testing import make_tenant

ROOT = pathlib.Path(__file__).parent.parent
BIN = ROOT / "node_modules" / ".bin"
NODE = shutil.which("node")
WALKTHROUGH = pathlib.Path(__file__).parent / "client" / "walkthrough.mts"
ORIGIN = "http://localhost:5173"  # a Vite dev server's origin: not the API's
PAGES = [
    "sidebar",
    "keywords",
    "clusters",
    "ideas",
    "tasks",
    "content",
    "images",
    "publishing",
    "notifications",
    "run progress",
    "prompts",
    "integration settings",
    "users and tokens",
    "billing",
    "sign-in and sign-out",
]

if not (NODE and (BIN / "tsc").exists() and (BIN / "openapi-typescript").exists()):
    if os.environ.get("CI"):
        raise RuntimeError("CI needs node and `npm ci` (make install runs it)")
    pytest.skip("node or the npm dev packages are missing (make install)", allow_module_level=True)


def tool(*args, cwd, env=None):
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"{args[0]}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture
def build_dir():
    # Inside the checkout, so that `import "openapi-fetch"` resolves from node_modules/.
    path = ROOT / "node_modules" / ".cache" / "igny8-walkthrough" / uuid.uuid4().hex
    path.mkdir(parents=True)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def live_app(make_app):
    """An app on its own port, allowing the frontend's origin, whose low-balance threshold
    sits above the tenant's balance (so the walkthrough sees that notification)."""
    app = make_app(
        CORS_ORIGINS=(ORIGIN,),
        NOTIFY_LOW_BALANCE_CREDITS=100_000,
        RUN_DEFAULT_WAIT=0,  # as deployed: 202 unless the client asks to wait
    )
    use_offline(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    assert app.extensions["igny8_runner"].idle(30), "a background run did not end"


def test_a_typed_client_walks_every_page_from_another_origin(live_app, build_dir, webhook_server):
    app, api = live_app
    tenant = make_tenant(app, plan="growth", credits=5000)
    password = "walkthrough-password-1"
    with app.app_context():
        user = db.session.get(User, tenant.user_id)
        accounts.set_password(user, password)
        email = user.email
        db.session.commit()

    # The client is generated from the document the live app serves.
    import urllib.request

    with urllib.request.urlopen(f"{api}/api/v1/openapi.json") as answer:
        (build_dir / "openapi.json").write_bytes(answer.read())
    tool(BIN / "openapi-typescript", "openapi.json", "-o", "api.d.ts", cwd=build_dir)
    shutil.copy(WALKTHROUGH, build_dir / "walkthrough.mts")
    tool(
        BIN / "tsc",
        "--strict",
        "--target",
        "es2022",
        "--module",
        "nodenext",
        "--moduleResolution",
        "nodenext",
        "--lib",
        "es2022,dom",
        "--skipLibCheck",
        "walkthrough.mts",
        cwd=build_dir,
    )

    output = tool(
        NODE,
        "walkthrough.mjs",
        cwd=build_dir,
        env={
            **os.environ,
            "IGNY8_API": api,
            "IGNY8_ORIGIN": ORIGIN,
            "IGNY8_WEBHOOK": webhook_server.url + "/hooks/igny8",
            "IGNY8_EMAIL": email,
            "IGNY8_PASSWORD": password,
        },
    )
    walked = json.loads(output.strip().splitlines()[-1])
    assert walked["pages"] == PAGES
