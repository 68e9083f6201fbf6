"""Drive an installed igny8 over HTTP (run by .ci/wheel-smoke with the wheel's venv):
health, the admin with its templates and Chart.js, and a metered call through the
example plugins. Exits non-zero, saying what failed, on the first problem."""

import json
import re
import sys
import time

import httpx

BASE, INSTANCE = sys.argv[1], sys.argv[2]


def check(condition, what):
    if not condition:
        sys.exit(f"smoke: FAILED: {what}")
    print(f"smoke: ok: {what}")


for _ in range(100):  # the server is starting
    try:
        health = httpx.get(f"{BASE}/api/v1/health")
        break
    except httpx.TransportError:
        time.sleep(0.2)
check(health.status_code == 200, f"GET /api/v1/health is 200 ({health.status_code})")
credentials = json.load(open(f"{INSTANCE}/demo-credentials.json"))

admin = httpx.Client(base_url=BASE)
page = admin.get("/admin/login")
check(page.status_code == 200 and "csrf_token" in page.text, "the admin sign-in page renders")
csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
signed_in = admin.post(
    "/admin/login",
    data={
        "email": credentials["admin_email"],
        "password": credentials["admin_password"],
        "csrf_token": csrf,
    },
)
check(signed_in.status_code == 302, "the demo admin signs in")
report = admin.get("/admin/reports/token-usage/")
check(report.status_code == 200, "the Token Usage report renders")
script = re.search(r'<script src="([^"]*chart[^"]*)"', report.text)
check(script is not None, "the report loads Chart.js from this app")
chart = admin.get(script.group(1))
check(chart.status_code == 200 and "Chart" in chart.text[:2000], "Chart.js is served")
check(admin.get("/admin/note/").status_code == 200, "the notes plugin's admin view opens")

api = httpx.Client(
    base_url=f"{BASE}/api/v1", headers={"Authorization": f"Bearer {credentials['api_token']}"}
)
site = api.get("/sites").json()["items"][0]["id"]
chosen = api.put("/settings/integration", json={"text_model": "echo-1"})
check(chosen.status_code == 200, "the echo plugin's model is chosen right after init")
note = api.post(f"/sites/{site}/notes", json={"text": "Ship the beta"})
check(note.status_code == 201, "a note is added through the notes plugin's route")
run = api.post(
    f"/sites/{site}/notes/summaries",
    json={"note_ids": [note.json()["id"]]},
    headers={"Prefer": "wait=30"},  # runs go to the background: wait for this one
)
body = run.json()
check(run.status_code == 200 and body["run"]["credits_used"] == 1, "a metered call is billed")
usage = api.get("/usage", params={"group_by": "model"}).json()
check([i["key"] for i in usage["items"]] == ["echo-1"], "the account's usage names echo-1")
