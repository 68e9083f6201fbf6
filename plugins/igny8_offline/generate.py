"""Deterministic text and JSON for the offline provider.

JSON follows the JSON Schema an operation sends (object, array, string, integer,
number, boolean, enum, min/max bounds). Two extensions let an operation get
meaningful output without a model:

- ``"x-offline": "pick"`` on an array of strings: items are picked from the lines of
  the prompt that start with "- " (the inputs the prompt lists), each used once per document.
- ``"x-offline": "pick-one"`` on a string: one listed line (lines may repeat).
- ``"x-offline": "html"`` on a string: an HTML article that works the listed lines in
  verbatim; ``"x-offline-words": N`` sets its length.
"""

import re


def _title(rng, words, n=4) -> str:
    return " ".join(rng.choice(words) for _ in range(n)).capitalize()


def _sentence(rng, words) -> str:
    return " ".join(rng.choice(words) for _ in range(rng.randint(8, 16))).capitalize() + "."


def prose(rng, words, max_tokens: int = 400) -> str:
    """A few paragraphs, kept well under ``max_tokens``."""
    sentences, budget = [], max(8, min(max_tokens, 600) * 3 // 4)
    while budget > 20:
        sentence = _sentence(rng, words)
        sentences.append(sentence)
        budget -= len(sentence) // 4 + 2
    return " ".join(sentences) or _sentence(rng, words)


def html_article(rng, words, target_words: int = 600, phrases=()) -> str:
    parts, count = [], 0
    phrases = list(phrases)
    while count < target_words:
        parts.append(f"<h2>{_title(rng, words)}</h2>")
        for _ in range(3):
            sentences = [_sentence(rng, words) for _ in range(4)]
            if phrases:
                sentences[1] = f"Readers looking for {rng.choice(phrases)} will find it here."
            paragraph = " ".join(sentences)
            parts.append(f"<p>{paragraph}</p>")
            count += len(paragraph.split())
            if count >= target_words:
                break
    return "\n".join(parts)


def listed_inputs(messages) -> list[str]:
    """The prompt's "- item" lines, in order, without duplicates."""
    seen, items = set(), []
    for message in messages:
        for line in (message.get("content") or "").splitlines():
            match = re.match(r"^\s*-\s+(.+?)\s*$", line)
            if match and match.group(1) not in seen:
                seen.add(match.group(1))
                items.append(match.group(1))
    return items


def from_schema(schema: dict, rng, words, messages, _pool=None):
    listed = listed_inputs(messages)
    pool = _pool if _pool is not None else list(listed)
    kind = schema.get("type", "object")
    if "enum" in schema:
        return rng.choice(schema["enum"])
    if kind == "object":
        return {
            name: from_schema(sub, rng, words, messages, pool)
            for name, sub in schema.get("properties", {}).items()
        }
    if kind == "array":
        low = schema.get("minItems", 1)
        high = schema.get("maxItems", low + 3)
        if schema.get("x-offline") == "pick":
            take = min(len(pool), rng.randint(low, max(low, high)))
            picked = pool[:take]
            del pool[:take]
            return picked
        count = rng.randint(low, max(low, min(high, low + 3)))
        return [
            from_schema(schema.get("items", {"type": "string"}), rng, words, messages, pool)
            for _ in range(count)
        ]
    if kind == "string":
        if schema.get("x-offline") == "html":
            return html_article(rng, words, schema.get("x-offline-words", 600), listed)
        if schema.get("x-offline") == "pick-one" and listed:
            return rng.choice(listed)
        text = _title(rng, words, rng.randint(3, 7))
        return text[: schema["maxLength"]] if "maxLength" in schema else text
    if kind == "integer":
        return rng.randint(schema.get("minimum", 0), schema.get("maximum", 100))
    if kind == "number":
        return round(rng.uniform(schema.get("minimum", 0), schema.get("maximum", 1)), 3)
    if kind == "boolean":
        return rng.random() < 0.5
    return None
