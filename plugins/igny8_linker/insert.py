"""Putting links into HTML at their anchor text. Pure functions."""

import html as html_lib
import re

_TAG = re.compile(r"(<[^>]+>)")


def insert_links(html: str, links) -> tuple[str, list[tuple[str, str]]]:
    """``links``: (anchors to try in order, url). Link the first free occurrence of the first
    anchor found (case-insensitive, whole words): never inside an existing link or a heading,
    never the same anchor twice, one link per URL. Returns the new HTML and the
    (anchor, url) pairs placed, each anchor as the text has it."""
    placed, used, linked = [], set(), set()
    for anchors, url in links:
        if url in linked:
            continue
        for anchor in anchors:
            key = anchor.strip().lower()
            if not key or key in used:
                continue
            html, linked_text = _link_first(html, anchor.strip(), url)
            if linked_text is not None:
                used.add(key)
                linked.add(url)
                placed.append((linked_text, url))
                break
    return html, placed


def _link_first(html: str, anchor: str, url: str) -> tuple[str, str | None]:
    pattern = re.compile(rf"(?<![\w-]){re.escape(anchor)}(?![\w-])", re.I)
    parts = _TAG.split(html)
    depth_a = depth_h = 0
    for i, part in enumerate(parts):
        if part.startswith("<"):
            name = re.match(r"</?\s*([a-z0-9]+)", part, re.I)
            name = name.group(1).lower() if name else ""
            closing = part.startswith("</")
            if name == "a":
                depth_a += -1 if closing else 1
            elif name in ("h1", "h2", "h3", "h4", "h5", "h6"):
                depth_h += -1 if closing else 1
            continue
        if depth_a or depth_h:
            continue
        match = pattern.search(part)
        if match:
            link = f'<a href="{html_lib.escape(url, quote=True)}">{match.group(0)}</a>'
            parts[i] = part[: match.start()] + link + part[match.end() :]
            return "".join(parts), match.group(0)
    return html, None
