"""The Images admin list: each image as a thumbnail (its signed URL, as the API serves it),
never the server path of its file."""

from markupsafe import Markup

from igny8.plugin import SecuredModelView, image_url


def _thumbnail(view, context, model, name):
    url = image_url(model)
    if not url:
        return "—"  # not generated yet
    return Markup(
        '<a href="{0}"><img src="{0}" alt="{1}" loading="lazy" '
        'style="max-width: 96px; max-height: 96px"></a>'
    ).format(url, model.alt or model.caption or "")


class ImageView(SecuredModelView):
    column_list = ("thumbnail", "content", "kind", "position", "caption", "status", "created_at")
    column_details_list = (
        "thumbnail",
        "content",
        "kind",
        "position",
        "prompt",
        "caption",
        "alt",
        "status",
        "error",
        "created_at",
    )
    column_export_exclude_list = ("file_path",)
    column_formatters = {"thumbnail": _thumbnail}
    column_formatters_detail = {"thumbnail": _thumbnail}
