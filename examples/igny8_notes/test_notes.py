"""The notes module end to end, on a throw-away app with the installed plugins."""

from igny8.testing import make_tenant, make_test_app


def test_a_note_is_summarised_by_a_metered_call(tmp_path):
    app = make_test_app(tmp_path)  # igny8-notes and igny8-echo are installed
    tenant = make_tenant(app)
    client = app.test_client()
    site = f"/api/v1/sites/{tenant.site_id}"
    settings = {"text_model": "echo-1"}
    client.put("/api/v1/settings/integration", json=settings, headers=tenant.headers)

    note = client.post(f"{site}/notes", json={"text": "Ship the beta"}, headers=tenant.headers)
    run = client.post(  # runs go to the background; this request waits for its run
        f"{site}/notes/summaries",
        json={"note_ids": [note.json["id"]]},
        headers={**tenant.headers, "Prefer": "wait=10"},
    )

    assert run.status_code == 200
    assert run.json["run"]["credits_used"] == 1
    listed = client.get(f"{site}/notes", headers=tenant.headers).json["items"]
    assert listed[0]["summary"] == "Summarise this note in one sentence: Ship the beta"
