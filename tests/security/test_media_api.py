"""Images are served by the app at signed, expiring URLs (an <img src> needs no token),
with their content type and caching headers; a URL cannot be made for another image or
stretched past its expiry; no answer carries a server path; and an article can come with
its figures placed."""

import os
import time
from urllib.parse import parse_qs, urlsplit

from igny8.extensions import db
from igny8.models import Content, Image

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def image_on(app, tenant, *, kind="featured", position=0, caption=None, alt=None, content=None):
    """An image with its file in MEDIA_DIR (as generation leaves it)."""
    with app.app_context():
        if content is None:
            row = Content(
                account_id=tenant.account_id,
                site_id=tenant.site_id,
                title="Bread",
                html="<p>one</p><p>two</p><p>three</p>",
            )
            db.session.add(row)
            db.session.flush()
            content = row.id
        image = Image(
            account_id=tenant.account_id,
            site_id=tenant.site_id,
            content_id=content,
            kind=kind,
            position=position,
            prompt="a loaf",
            caption=caption,
            alt=alt,
            status="generated",
        )
        db.session.add(image)
        db.session.flush()
        folder = os.path.join(app.config["MEDIA_DIR"], str(tenant.account_id))
        os.makedirs(folder, exist_ok=True)
        image.file_path = os.path.join(folder, f"image-{image.id}.png")
        with open(image.file_path, "wb") as f:
            f.write(PNG)
        db.session.commit()
        return image.id, content


def url_of(client, tenant, image_id):
    images = client.get(f"/api/v1/sites/{tenant.site_id}/images", headers=tenant.headers).json
    return next(i["url"] for i in images["items"] if i["id"] == image_id)


def test_an_image_is_served_at_its_signed_url_with_its_type_and_cache_headers(app, client, tenant):
    image_id, _ = image_on(app, tenant)
    url = url_of(client, tenant, image_id)
    assert url.startswith("http://localhost/api/v1/media/images/")
    served = app.test_client().get(url)  # no token, no cookie
    assert served.status_code == 200 and served.data == PNG
    assert served.mimetype == "image/png"
    assert served.headers["Cache-Control"].startswith("private, max-age=")
    assert 0 < int(served.headers["Cache-Control"].split("=")[1]) <= 2 * 3600
    assert url_of(client, tenant, image_id) == url  # the same URL while its window lasts


def test_a_url_cannot_be_forged_moved_to_another_image_or_stretched(
    app, client, tenant, make_tenant
):
    mine, _ = image_on(app, tenant)
    other = make_tenant()
    theirs, _ = image_on(app, other)
    url = urlsplit(url_of(client, tenant, mine))
    args = {k: v[0] for k, v in parse_qs(url.query).items()}
    anonymous = app.test_client()
    tries = [
        f"/api/v1/media/images/{theirs}?expires={args['expires']}&signature={args['signature']}",
        f"{url.path}?expires={int(args['expires']) + 3600}&signature={args['signature']}",
        f"{url.path}?expires={args['expires']}&signature={'0' * 32}",
        f"{url.path}?expires=soon&signature={args['signature']}",
        url.path,  # no signature: 422, a query it needs
    ]
    for attempt in tries:
        answer = anonymous.get(attempt, headers=other.headers)
        assert answer.status_code in (404, 422), attempt
        assert answer.data != PNG
    expired = int(time.time()) - 1
    assert anonymous.get(f"{url.path}?expires={expired}&signature=x").status_code == 404


def test_a_file_outside_the_media_folder_is_never_served(app, client, tenant, tmp_path):
    image_id, _ = image_on(app, tenant)
    outside = tmp_path / "secret.png"
    outside.write_bytes(PNG)
    url = url_of(client, tenant, image_id)
    with app.app_context():
        db.session.get(Image, image_id).file_path = str(outside)
        db.session.commit()
    assert app.test_client().get(url).status_code == 404


def test_an_article_comes_with_its_figures_placed(app, client, tenant):
    featured, content_id = image_on(app, tenant, caption="A <loaf>", alt='a "round" loaf')
    inline, _ = image_on(app, tenant, kind="in_article", position=2, content=content_id)
    with app.app_context():
        db.session.add(
            Image(
                account_id=tenant.account_id,
                site_id=tenant.site_id,
                content_id=content_id,
                kind="in_article",
                position=1,
                prompt="not generated yet",
            )
        )
        db.session.commit()
    plain = client.get(f"/api/v1/content/{content_id}", headers=tenant.headers).json
    assert plain["html"] == "<p>one</p><p>two</p><p>three</p>"
    placed = client.get(f"/api/v1/content/{content_id}?figures=true", headers=tenant.headers).json
    html = placed["html"]
    first, second = url_of(client, tenant, featured), url_of(client, tenant, inline)
    assert html.startswith(
        f'<figure><img src="{first.replace("&", "&amp;")}" alt="a &quot;round&quot; loaf">'
        "<figcaption>A &lt;loaf&gt;</figcaption></figure><p>one</p>"
    )
    assert (
        f'<p>two</p><figure><img src="{second.replace("&", "&amp;")}" alt=""></figure><p>three</p>'
        in html
    )
    assert html.count("<figure>") == 2  # the image not generated yet is left out
    assert app.config["MEDIA_DIR"] not in str(placed)
