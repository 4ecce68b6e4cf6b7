"""How alike two residents' texts are, on either database (DESIGN §5).

PostgreSQL: ``pg_trgm``'s ``similarity()`` (the extension is installed by
``cases/migrations/0006``), computed in the query over the candidates. SQLite: the same
candidates read out and scored by rapidfuzz (``token_set_ratio``, scaled to 0–1). The two
scales differ (trigram Jaccard
against an edit-distance ratio), so each backend has its own thresholds, chosen so that
the same texts are linked on both: the test of the clusters runs on both databases with
the same data and asserts the same links. Both sides compare the folded text (lower
case, ё→е; ``mcu.text.fold``).
"""

from __future__ import annotations

from django.db import connection
from django.db.models import F, FloatField, Func, QuerySet, Value
from django.db.models.functions import Lower, Replace
from rapidfuzz import fuzz

from mcu.text import fold

__all__ = ["THRESHOLDS", "scored", "threshold"]

#: (near-same text of one author, similar text at one address or district), 0–1
THRESHOLDS = {
    "postgresql": {"author": 0.45, "place": 0.4},
    "other": {"author": 0.70, "place": 0.65},
}


def threshold(kind: str) -> float:
    table = THRESHOLDS["postgresql" if connection.vendor == "postgresql" else "other"]
    return table[kind]


class _Similarity(Func):
    function = "SIMILARITY"
    output_field = FloatField()


def scored(candidates: QuerySet, text: str) -> list[tuple[int, float]]:
    """``(case id, similarity)`` of each candidate to ``text``, best first."""
    folded = fold(text)
    if connection.vendor == "postgresql":
        rows = candidates.annotate(
            _sim=_Similarity(Replace(Lower(F("text")), Value("ё"), Value("е")), Value(folded))
        ).values_list("pk", "_sim")
        pairs = [(pk, float(sim)) for pk, sim in rows]
    else:
        pairs = [
            (pk, fuzz.token_set_ratio(folded, fold(other)) / 100.0)
            for pk, other in candidates.values_list("pk", "text")
        ]
    return sorted(pairs, key=lambda p: (-p[1], p[0]))
