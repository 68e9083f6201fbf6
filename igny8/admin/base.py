"""The one model view every admin page uses: secured, searchable, filterable, exportable,
with the bulk actions a model supports (activate / deactivate, set status, clone, export
selected as CSV or JSON, delete with confirmation)."""

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal

from flask import Response, flash, redirect, request, stream_with_context, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla import ModelView
from flask_admin.form import SecureForm
from markupsafe import Markup
from sqlalchemy import JSON, BigInteger, Numeric, String, Text, inspect, select
from sqlalchemy.exc import IntegrityError
from werkzeug.utils import secure_filename
from wtforms import SelectField

from ..crypto import EncryptedString
from ..extensions import db
from ..formatting import cell, money, unit_price
from ..models import Account
from ..models.base import Money, Price
from . import security

# Never listed, shown, exported or edited as such.
SECRET_COLUMNS = {"password_hash", "token_hash", "api_key", "wp_app_password", "webhook_secret"}


def _jsonable(value):
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


# A spreadsheet runs a cell that begins with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """One CSV cell as a spreadsheet should read it: JSON as JSON (not Python's repr),
    money and dates as written, and text that would start a formula quoted with a leading
    apostrophe (numbers, negative ones included, stay numbers)."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, default=str, sort_keys=True)
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_PREFIXES) else value
    return _jsonable(value)


class BulkForm(SecureForm):
    """A form for an action that needs input; the selected ids travel with it."""


class SecuredModelView(security.SecuredView, ModelView):
    form_base_class = SecureForm
    can_export = True
    export_types = ["csv", "json"]
    can_view_details = True
    page_size = 50
    column_display_pk = True
    # Set per model where a column has a fixed set of values.
    status_values: tuple[str, ...] = ()
    # Values a clone takes instead of the original's (e.g. an account's balance: 0).
    clone_resets: dict = {}
    # Whether a copy of a row can be of use (False where a copy could only sit unused).
    can_clone = True
    column_default_sort = ("id", True)  # newest first
    # Times to the second, as people read them (not 21:34:22.534216).
    column_type_formatters = {
        **ModelView.column_type_formatters,
        datetime: lambda view, value, name=None: value.strftime("%Y-%m-%d %H:%M:%S"),
    }

    def refuse_delete(self, row) -> str | None:
        """Why ``row`` may not be deleted, or None. Views of records that must stay say so."""
        return None

    def delete_model(self, model):
        reason = self.refuse_delete(model)
        if reason:
            flash(reason, "error")
            return False
        return super().delete_model(model)

    def __init__(self, model, session, **kwargs):
        columns = inspect(model).columns
        names = [c.key for c in columns]
        secret = [
            n for n in names if n in SECRET_COLUMNS or isinstance(columns[n].type, EncryptedString)
        ]
        self.column_exclude_list = list({*(self.column_exclude_list or ()), *secret})
        self.column_details_exclude_list = list(
            {*(self.column_details_exclude_list or ()), *secret}
        )
        self.column_export_exclude_list = list({*(self.column_export_exclude_list or ()), *secret})
        if self.column_searchable_list is None:
            self.column_searchable_list = [
                c.key for c in columns if isinstance(c.type, String) and c.key not in secret
            ][:4]
        if self.column_filters is None:
            self.column_filters = [
                n
                for n in names
                if n
                in (
                    "is_active",
                    "status",
                    "type",
                    "provider",
                    "model_type",
                    "operation",
                    "enabled",
                    "kind",
                    "target",
                    "account_id",
                    "site_id",
                    "created_at",
                    "is_superuser",
                )
            ]
        # Long text and JSON are cut short in lists; details and exports show them whole.
        long_text = [c.key for c in columns if isinstance(c.type, Text) and c.key not in secret]
        json_columns = [c.key for c in columns if isinstance(c.type, JSON)]
        # Figures as the reports show them (igny8.formatting): amounts of money, unit
        # prices exactly, counts with thousands separators.
        figures = {}
        for c in columns:
            if isinstance(c.type, Numeric) and c.type.scale == Money.scale:
                figures[c.key] = _figure(money)
            elif isinstance(c.type, Numeric) and c.type.scale == Price.scale:
                figures[c.key] = _figure(unit_price)
            elif isinstance(c.type, BigInteger):
                figures[c.key] = _figure(lambda v: cell(v, "count"))
        # The account, by name and linked to its page, wherever a row belongs to one.
        has_account = "account_id" in names and "account" in inspect(model).relationships
        if has_account:
            if self.column_list is None:
                self.column_list = [
                    "account" if n == "account_id" else n for n in names if n not in secret
                ]
            self.column_filters = [
                *(f for f in self.column_filters if f != "account_id"),
                "account.name",
            ]
            self.column_labels = {"account.name": "Account", **(self.column_labels or {})}
        account = {"account": _account_link} if has_account else {}
        self.column_formatters = {
            **figures,
            **{k: _shorten for k in long_text},
            **{k: _short_json for k in json_columns},
            **account,
            **(self.column_formatters or {}),
        }
        if self.column_formatters_detail is None:
            self.column_formatters_detail = {
                **figures,
                **account,
                **{k: _whole_json for k in json_columns},
            }
        # Exports keep every column (a list shows the few a person decides by).
        if self.column_export_list is None and self.column_list is not None:
            self.column_export_list = [
                "account" if n == "account_id" and has_account else n
                for n in names
                if n not in secret
            ]
        if self.column_formatters_export is None:
            self.column_formatters_export = {"account": lambda v, c, m, n: str(m.account or "")}
        if not self.status_values and "status" in names:
            self.status_values = _status_values(model)
        super().__init__(model, session, **kwargs)

    # -- whole-list export, streamed ---------------------------------------------------------

    # Rows fetched from the database at a time while a whole list is exported.
    export_batch = 1000

    def get_export_columns(self):
        """The list's columns, ``id`` first: the whole list and a selection export the
        same ones."""
        columns = [c for c in super().get_export_columns() if c[0] != "id"]
        if "id" in self.model.__table__.c:
            columns.insert(0, ("id", "Id"))
        return columns

    def _streamed_rows(self, ids=None):
        """The list's rows as its filters, search and sort select them (only ``ids``, when
        a selection is exported), as plain value tuples in export-column order, read in
        batches: never all in memory, and the first byte goes out before the last row is
        read. (The account is its name.) Batches follow the id (keyset) in the default
        newest-first order, else an offset."""
        args = self._get_list_extra_args()
        sort = self._get_column_by_idx(args.sort)
        _count, query = self.get_list(
            0,
            sort[0] if sort else None,
            args.sort_desc,
            args.search,
            args.filters,
            execute=False,
            page_size=False,
        )
        if ids is not None:
            query = query.filter(self.model.id.in_([int(i) for i in ids]))
        table = self.model.__table__.c
        entities = []
        for column, _label in self._export_columns:
            if column == "account":
                entities.append(
                    select(Account.name)
                    .where(Account.id == self.model.account_id)
                    .scalar_subquery()
                )
            elif column in table:
                entities.append(getattr(self.model, column))
            else:  # anything else (a relationship's own formatting): through the ORM
                return (
                    [self.get_export_value(row, c) for c, _ in self._export_columns]
                    for row in _batches(query, self.export_batch, None)
                )
        key = self.model.id if sort is None and "id" in table else None
        rows = query.with_entities(*((key,) if key is not None else ()), *entities)
        batches = _batches(rows, self.export_batch, key)
        return (row[1:] for row in batches) if key is not None else batches

    @expose("/export/<export_type>/")
    def export(self, export_type):
        if not self.can_export or export_type not in self.export_types:
            return super().export(export_type)  # refused there, with its message
        return self._download(export_type, secure_filename(self.get_export_name(export_type)))

    def _download(self, export_type: str, name: str, ids=None):
        """The one export path: the whole list, or the selected ``ids``, streamed."""
        rows = self._streamed_rows(ids)
        if export_type == "json":
            body = _json_lines([c for c, _ in self._export_columns], rows)
            mimetype = "application/json"
        else:
            body = _csv_lines([label for _, label in self._export_columns], rows)
            mimetype = "text/csv"

        def streamed():
            try:
                yield from body
            finally:
                # The rows were read through a cursor of the session's transaction: end
                # it here, or the connection idles in that transaction (holding locks)
                # after the download.
                db.session.remove()

        return Response(
            stream_with_context(streamed()),
            mimetype=mimetype,
            headers={"Content-Disposition": f"attachment; filename={name}"},
        )

    # -- actions ---------------------------------------------------------------------------

    def _rows_by_id(self, ids):
        pk = inspect(self.model).primary_key[0]
        return db.session.query(self.model).filter(pk.in_([int(i) for i in ids])).all()

    def is_action_allowed(self, name):
        has = {c.key for c in inspect(self.model).columns}
        if name in ("activate", "deactivate") and "is_active" not in has:
            return False
        if name == "set_status" and not self.status_values:
            return False
        if name == "clone" and not (self.can_create and self.can_clone):
            return False
        return super().is_action_allowed(name)

    @action("activate", "Activate")
    def action_activate(self, ids):
        self._set_active(ids, True)

    @action("deactivate", "Deactivate", "Deactivate the selected rows?")
    def action_deactivate(self, ids):
        self._set_active(ids, False)

    def _set_active(self, ids, value):
        rows = self._rows_by_id(ids)
        for row in rows:
            row.is_active = value
        try:
            db.session.commit()
        except ValueError as exc:  # a row that may not be active (e.g. a model with no prices)
            db.session.rollback()
            flash(f"{exc}; nothing was changed", "error")
            return
        flash(f"{len(rows)} row(s) {'activated' if value else 'deactivated'}", "success")

    @action("delete", "Delete", "Delete the selected rows? This cannot be undone.")
    def action_delete(self, ids):
        # Flask-Admin's own bulk delete compares ids as strings, which PostgreSQL refuses.
        rows = self._rows_by_id(ids)
        refused = [(row, self.refuse_delete(row)) for row in rows]
        refused = [(row, reason) for row, reason in refused if reason]
        if refused:
            for _row, reason in refused:
                flash(reason, "error")
            flash("nothing was deleted", "error")
            return
        for row in rows:
            db.session.delete(row)
        try:
            db.session.commit()
            flash(f"{len(rows)} row(s) deleted", "success")
        except IntegrityError as exc:
            db.session.rollback()
            flash(f"could not delete: {exc.orig}", "error")

    @action("set_status", "Set status")
    def action_set_status(self, ids):
        return redirect(self.get_url(".set_status_view", ids=",".join(ids)))

    @expose("/set-status/", methods=["GET", "POST"])
    def set_status_view(self):
        ids = [i for i in request.args.get("ids", "").split(",") if i.isdigit()]

        class StatusForm(BulkForm):
            status = SelectField("Status", choices=[(s, s) for s in self.status_values])

        form = StatusForm(request.form)
        if request.method == "POST" and form.validate():
            rows = self._rows_by_id(ids)
            for row in rows:
                row.status = form.status.data
            db.session.commit()
            flash(f"{len(rows)} row(s) set to {form.status.data}", "success")
            return redirect(self.get_url(".index_view"))
        return self.render(
            "admin/bulk_form.html",
            form=form,
            title="Set status",
            count=len(ids),
            return_url=self.get_url(".index_view"),
        )

    @action("clone", "Clone")
    def action_clone(self, ids):
        mapper = inspect(self.model)
        unique = {c.key for c in mapper.columns if c.unique} | {
            c.key
            for constraint in self.model.__table__.constraints
            if constraint.__class__.__name__ == "UniqueConstraint"
            for c in constraint.columns
        }
        made = 0
        for row in self._rows_by_id(ids):
            values = {c.key: getattr(row, c.key) for c in mapper.columns if not c.primary_key}
            for key in unique & set(values):
                if isinstance(values[key], str):
                    values[key] = _unique_copy(db.session, self.model, key, values[key])
            if "is_default" in values:
                values["is_default"] = False  # one default per type stays one
            values.update(self.clone_resets)
            db.session.add(self.model(**values))
            made += 1
        try:
            db.session.commit()
            flash(f"{made} row(s) cloned", "success")
        except IntegrityError as exc:
            db.session.rollback()
            flash(f"could not clone: {exc.orig}", "error")

    @action("export_csv", "Export selected (CSV)")
    def action_export_csv(self, ids):
        return self._download("csv", f"{self.model.__tablename__}-selected.csv", ids)

    @action("export_json", "Export selected (JSON)")
    def action_export_json(self, ids):
        return self._download("json", f"{self.model.__tablename__}-selected.json", ids)


class ReadOnlyModelView(SecuredModelView):
    """Records that must stay as written (money, history, the audit trail): view, filter,
    search and export; no create, edit, clone or delete, by form, action or URL."""

    can_create = False
    can_edit = False
    can_delete = False

    def is_action_allowed(self, name):
        return name in ("export_csv", "export_json") and super().is_action_allowed(name)

    # Never reached through the views (can_* are off); refused should anything call them.
    def create_model(self, form):
        return self._read_only()

    def update_model(self, form, model):
        return self._read_only()

    def delete_model(self, model):
        return self._read_only()

    def _read_only(self):
        flash(f"{self.model.__tablename__} rows are read-only: they are written by igny8 only")
        return False


def _figure(format_value):
    return lambda view, context, model, name: format_value(getattr(model, name))


def _link_to(endpoint: str, label: str, relation: str | None = None):
    """A list formatter: the related row (``relation``, else the column's own) by its
    ``label``, linked to its page at ``endpoint``."""

    def link(view, context, model, name):
        found = getattr(model, relation or name, None)
        if found is None:
            return "—"
        url = url_for(endpoint, id=found.id)
        return Markup('<a href="{}">{}</a>').format(url, getattr(found, label))

    return link


_account_link = _link_to("account.details_view", "name", relation="account")
_model_link = _link_to("aimodelconfig.details_view", "model_name")


class UsageLogView(ReadOnlyModelView):
    """The usage log: a million rows and more. Search is by request id, exactly, through
    its unique index; filters narrow by account, operation, provider, status and time.
    The list shows what an admin decides by; a row's page and the exports, everything."""

    column_searchable_list = ("request_id",)
    column_list = (
        "created_at",
        "account",
        "model_config",
        "operation",
        "status",
        "attempts",
        "input_tokens",
        "output_tokens",
        "credits_used",
        "cost_usd_total",
        "latency_ms",
        "error_code",
    )
    column_labels = {
        "created_at": "When",
        "model_config": "Model",
        "credits_used": "Credits",
        "cost_usd_total": "Cost",
        "latency_ms": "Latency (ms)",
        "error_code": "Error",
    }
    column_formatters = {"model_config": _model_link}

    def search_placeholder(self):
        return "Request id (exact)"

    def _apply_search(self, query, count_query, joins, count_joins, search):
        term = search.strip()
        query = query.filter(self.model.request_id == term)
        if count_query is not None:
            count_query = count_query.filter(self.model.request_id == term)
        return query, count_query, joins, count_joins


def _batches(query, size: int, key):
    """Every row of ``query``, ``size`` at a time: after the last id seen when ``key`` (the
    id, newest first) orders it, else by offset. Plain reads in the session's transaction
    (no server-side cursor left open after the download)."""
    # The query was built in the view, whose session is gone by the time the download
    # streams: read through the session of the streaming context, which the export ends.
    query = query.with_session(db.session())
    last, offset = None, 0
    while True:
        if key is not None:
            page = (query.filter(key < last) if last is not None else query).limit(size)
        else:
            page = query.limit(size).offset(offset)
        rows = page.all()
        if not rows:
            return
        yield from rows
        last, offset = (rows[-1][0] if key is not None else None), offset + len(rows)


CHUNK_ROWS = 500  # rows per piece of a streamed download (not one piece per row)


def _csv_lines(titles, rows):
    out = io.StringIO()
    writer = csv.writer(out)

    def flush():
        text = out.getvalue()
        out.seek(0)
        out.truncate()
        return text

    writer.writerow(titles)
    yield flush()
    for n, row in enumerate(rows, 1):
        writer.writerow([csv_cell(v) for v in row])
        if n % CHUNK_ROWS == 0:
            yield flush()
    yield flush()


def _json_lines(columns, rows):
    chunk = ["["]
    for n, row in enumerate(rows):
        item = dict(zip(columns, (_jsonable(v) for v in row), strict=True))
        chunk.append(("," if n else "") + "\n" + json.dumps(item, default=str))
        if len(chunk) == CHUNK_ROWS:
            yield "".join(chunk)
            chunk.clear()
    chunk.append("\n]\n")
    yield "".join(chunk)


class RunView(ReadOnlyModelView):
    """Operation runs; a run's page lists its items' results (kept in rows of their own)."""

    column_list = (
        "created_at",
        "account",
        "operation",
        "status",
        "items",
        "items_succeeded",
        "items_failed",
        "credits_used",
        "cost_usd",
        "model_name",
        "finished_at",
    )
    column_labels = {
        "created_at": "When",
        "items_succeeded": "Succeeded",
        "items_failed": "Failed",
        "credits_used": "Credits",
        "cost_usd": "Cost",
        "model_name": "Model",
    }

    def __init__(self, model, session, **kwargs):
        names = [c.key for c in inspect(model).columns]
        self.column_details_list = [*names, "results"]
        super().__init__(model, session, **kwargs)
        self.column_formatters_detail = {**self.column_formatters_detail, "results": _run_results}


def _run_results(view, context, model, name):
    from ..models.runs import run_results

    results = run_results(model.id)
    return Markup('<pre class="mb-0">{}</pre>').format(json.dumps(results, indent=2, default=str))


def _short_json(view, context, model, name, limit=80):
    value = getattr(model, name)
    if value is None:
        return "—"
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[:limit] + "…"


def _whole_json(view, context, model, name):
    value = getattr(model, name)
    if value is None:
        return "—"
    return Markup('<pre class="mb-0">{}</pre>').format(json.dumps(value, indent=2, default=str))


def _shorten(view, context, model, name, limit=120):
    value = getattr(model, name) or ""
    return value if len(value) <= limit else value[:limit] + "…"


def _unique_copy(session, model, key, value):
    column = getattr(model, key)
    for n in range(1, 1000):
        candidate = f"{value} (copy {n})" if n > 1 else f"{value} (copy)"
        if not session.query(model).filter(column == candidate).first():
            return candidate
    raise ValueError("no free name for the copy")


def _status_values(model) -> tuple[str, ...]:
    for constraint in model.__table__.constraints:
        text = str(getattr(constraint, "sqltext", ""))
        if text.startswith("status IN ("):
            return tuple(v.strip(" '") for v in text[len("status IN (") : -1].split(","))
    return ()


def add(admin, model, category, view=SecuredModelView, **kwargs):
    admin.add_view(view(model, db, category=category, **kwargs))
