"""A text too long for its column, written after a paid call, is cut to fit instead of
failing the item on PostgreSQL (SQLite does not enforce VARCHAR lengths)."""

from content_support import Api, use_offline
from metering_support import ScriptedProvider, add_model, scripted_plugin
from sqlalchemy import String, select

from igny8 import hookimpl
from igny8.ai.engine import run_operation
from igny8.billing import audit
from igny8.database import clip, fit_pending_strings
from igny8.extensions import db
from igny8.models import Account, ContentRevision, GlobalIntegrationSettings, Keyword
from igny8.registry import Operation


def test_an_optimization_for_many_long_keywords_keeps_its_revision(app, client, tenant):
    use_offline(app)
    api = Api(client, tenant)
    content_id = api.journey_to_content(n_tasks=1)[0]
    keywords = [f"a rather long target keyword number {n}" for n in range(20)]  # ~800 chars
    run = api(
        "post",
        "/api/v1/sites/{site}/content/optimize",
        {"content_ids": [content_id], "keywords": keywords},
        200,
    )
    assert run["run"]["status"] == "succeeded", run["results"]
    with app.app_context():
        revision = db.session.get(ContentRevision, run["results"][0]["revision_id"])
        assert len(revision.reason) == 120 and revision.reason.endswith("…")
        assert revision.reason.startswith("before optimization for a rather long")
        assert audit.audit() == []


class WritesLongText:
    """An item that, after its call, writes a keyword longer than its column (255)."""

    @hookimpl
    def igny8_register_operations(self, register):
        def handler(ctx, item):
            answer = ctx.text([{"role": "user", "content": f"say {item}"}]).output
            keyword = Keyword(account_id=ctx.account_id, site_id=ctx.site_id, keyword=item * 400)
            db.session.add(keyword)
            db.session.flush()  # flushed by the handler itself, before it returns
            return {"text": answer, "keyword_id": keyword.id}

        register(
            Operation("long_text", module="writer", model_type="text", title="L", handler=handler)
        )


def test_a_handlers_write_past_a_columns_length_is_cut_to_fit_after_the_paid_call(
    app, tenant, plugins
):
    plugins.register(scripted_plugin(ScriptedProvider()), "scripted")
    plugins.register(WritesLongText(), "long")
    with app.app_context():
        GlobalIntegrationSettings.get().default_text_model = add_model()
        db.session.commit()
        outcome = run_operation(tenant.account_id, "long_text", ["k"], site_id=tenant.site_id)
        assert outcome.run.status == "succeeded", outcome.results
        stored = db.session.execute(select(Keyword.keyword)).scalar_one()
        assert len(stored) == 255 and stored == "k" * 254 + "…"
        assert db.session.get(Account, tenant.account_id).credits == 1000 - 2  # charged once
        assert audit.audit() == []


def test_every_string_column_of_every_table_is_fitted(app):
    """Walks every mapped model: each String column has a length, and a value past it is
    cut to exactly that length (columns whose values are validated choices excepted)."""
    checked = 0
    for mapper in db.Model.registry.mappers:
        model = mapper.class_
        for attr in mapper.column_attrs:
            column = attr.columns[0]
            if not isinstance(column.type, String) or type(column.type).__name__ == "Text":
                continue
            length = column.type.length
            assert length, f"{model.__name__}.{attr.key} has no length"
            row = model()
            try:
                setattr(row, attr.key, "x" * (length + 10))
            except ValueError:  # a validated choice (a status, a rule): never free text
                continue

            class Pending:
                new, dirty = [row], []

            assert fit_pending_strings(Pending) >= 1
            assert getattr(row, attr.key) == clip("x" * (length + 10), length)
            assert len(getattr(row, attr.key)) == length
            checked += 1
    assert checked > 50
