"""Flask-Admin, built per app inside create_app."""

from flask_admin import Admin, AdminIndexView
from flask_admin.theme import Bootstrap4Theme

from ..extensions import db
from ..plugins import current_plugins
from . import security


class IndexView(security.SecuredView, AdminIndexView):
    pass


def init_app(app) -> Admin:
    admin = Admin(
        app,
        name="igny8",
        theme=Bootstrap4Theme(swatch="default"),
        index_view=IndexView(url="/admin"),
    )
    app.before_request(security.gate)
    current_plugins(app).pm.hook.igny8_register_admin_views(admin=admin, db=db)
    return admin
