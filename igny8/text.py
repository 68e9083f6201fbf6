"""Measures of HTML content. Pure functions."""

import re
from html import unescape

_TAGS = re.compile(r"<[^>]+>")
_SCRIPTS = re.compile(r"<(script|style|iframe)\b.*?</\1\s*>", re.S | re.I)
_EVENT_ATTRS = re.compile(r"\s+on[a-z]+\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)", re.I)


def plain_text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(_TAGS.sub(" ", _SCRIPTS.sub(" ", html or "")))).strip()


def word_count(html: str) -> int:
    return len(re.findall(r"[\w'-]+", plain_text(html)))


def clean_html(html: str) -> str:
    """Model HTML without scripts, styles, iframes or event-handler attributes."""
    return _EVENT_ATTRS.sub("", _SCRIPTS.sub("", html or "")).strip()


def keyword_score(html: str, keywords: list[str]) -> int:
    """0-100: how well the content covers its target keywords (in the text, in headings,
    in the opening paragraph)."""
    if not keywords:
        return 0
    text = plain_text(html).lower()
    headings = " ".join(re.findall(r"<h[1-3][^>]*>(.*?)</h[1-3]>", html or "", re.S | re.I)).lower()
    opening = text[:400]
    points = 0.0
    for keyword in keywords:
        k = keyword.lower().strip()
        if not k:
            continue
        points += 50 * (k in text) + 30 * (k in headings) + 20 * (k in opening)
    return round(points / len(keywords))


def normalise_keyword(text: str) -> str:
    """Keywords are stored lower-case with single spaces."""
    return re.sub(r"\s+", " ", text).strip().lower()
