"""A simple, dependency-free token counter: for holds before a call, and for usage
when a provider reports none. Roughly one token per 4 characters of a word, one per
punctuation mark, which is close to BPE tokenizers on English prose."""

import math
import re

_PIECES = re.compile(r"\w+|[^\w\s]")


def count_tokens(text: str) -> int:
    return sum(
        math.ceil(len(p) / 4) if p[0].isalnum() or p[0] == "_" else 1
        for p in _PIECES.findall(text or "")
    )


def count_message_tokens(messages) -> int:
    """Tokens of a chat prompt, with the few tokens each message costs for its framing."""
    return sum(count_tokens(m.get("content") or "") + 4 for m in messages) + 2
