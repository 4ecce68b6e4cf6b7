"""Cyrillic-aware text folding for search: case and ё/е do not matter."""

import re

_SPACES = re.compile(r"\s+")


def fold(text: str | None) -> str:
    """Lower-case, ё→е, collapsed white space. Used on both the stored and the searched side,
    so the same search works on SQLite and PostgreSQL."""
    if not text:
        return ""
    return _SPACES.sub(" ", text.lower().replace("ё", "е")).strip()


# Unicode bidirectional controls (LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI) and the
# marks: «Иванов\u202eтxt.exe» would read backwards in a list. In names, numbers and
# addresses nobody needs them (Russian is left-to-right), so they are taken out.
_BIDI = dict.fromkeys([0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)], None)


def strip_bidi(text: str | None) -> str:
    """``text`` without bidirectional control characters (spoofing of names, numbers)."""
    return (text or "").translate(_BIDI)
