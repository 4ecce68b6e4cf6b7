"""Cyrillic-aware text folding for search: case and ё/е do not matter."""

import re

_SPACES = re.compile(r"\s+")


def fold(text: str | None) -> str:
    """Lower-case, ё→е, collapsed white space. Used on both the stored and the searched side,
    so the same search works on SQLite and PostgreSQL."""
    if not text:
        return ""
    return _SPACES.sub(" ", text.lower().replace("ё", "е")).strip()
