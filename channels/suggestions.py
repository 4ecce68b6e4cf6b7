"""Routing suggestions: the likely category and executor of an unrouted item (DESIGN §5).

Learned from the municipality's own routed history: every case with a category and an
executor organisation is a sample, its label the pair (category, organisation). The
classifier is scikit-learn's TF-IDF over character n-grams (``char_wb``, 2–4: robust to
the inflections, typos and run-together words of residents' posts) and a linear model
(``SGDClassifier`` with the logistic loss, so it gives probabilities), one per
municipality, trained daily by ``channels.train_routing`` and kept in ``RoutingModel``
(joblib bytes, version, trained_at, sample count).

Without a model (fewer than ``ROUTING_MIN_SAMPLES`` routed cases, or fewer than two
pairs) the suggestions fall back to the auto-rules that match the item and then to the
municipality's most frequent pairs. The card shows them with their confidence; one click
posts the existing moderation action (``assign``) pre-filled. ``bench/bench_routing.py``
measures top-1 and top-3 accuracy on held-out history.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.choices import CaseStatus
from cases.models import Case
from mcu.models import Category, Municipality, Organisation
from mcu.text import fold

from .models import RoutingModel
from .rules import RuleSet

logger = logging.getLogger(__name__)

__all__ = [
    "Suggestion",
    "build_pipeline",
    "routing_history",
    "routing_suggest",
    "routing_train",
    "routing_train_all",
]

#: the routed statuses: moderated (and not rejected or forwarded elsewhere)
ROUTED = [s for s in CaseStatus.values if s not in (CaseStatus.NEW, CaseStatus.REJECTED)]
#: the newest routed cases a model learns from
HISTORY_LIMIT = 50_000
TOP = 3


@dataclass(frozen=True)
class Suggestion:
    category: Category
    organisation: Organisation
    confidence: float
    #: "model", "rule" or "frequent"
    source: str
    why: str = ""

    @property
    def percent(self) -> int:
        return round(self.confidence * 100)


def build_pipeline():
    """The classifier, unfitted (also the bench's)."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import make_pipeline

    return make_pipeline(
        TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(2, 4),
            sublinear_tf=True,
            min_df=2,
            max_features=200_000,
            dtype=np.float32,
        ),
        SGDClassifier(loss="log_loss", alpha=1e-5, max_iter=30, tol=1e-4, random_state=0),
    )


def _label(category_id: int, organisation_id: int) -> str:
    return f"{category_id}:{organisation_id}"


def _unlabel(label: str) -> tuple[int, int]:
    category_id, organisation_id = label.split(":")
    return int(category_id), int(organisation_id)


def routing_history(municipality_id: int, *, limit: int = HISTORY_LIMIT) -> tuple[list, list]:
    """``(texts, labels)`` of the municipality's routed cases, newest first."""
    rows = (
        Case.objects.filter(
            municipality_id=municipality_id,
            status__in=ROUTED,
            category__isnull=False,
            organisation__isnull=False,
        )
        .order_by("-received_at")
        .values_list("text", "category_id", "organisation_id")[:limit]
    )
    texts, labels = [], []
    for text, category_id, organisation_id in rows:
        texts.append(fold(text))
        labels.append(_label(category_id, organisation_id))
    return texts, labels


def min_samples() -> int:
    return int(getattr(settings, "ROUTING_MIN_SAMPLES", 30))


def routing_train(municipality: Municipality) -> RoutingModel | None:
    """Fit the municipality's classifier on its history and store it (replacing the last
    one). Too little history: the stored model is removed and None returned — the
    suggestions fall back to rules and frequent pairs."""
    import joblib

    texts, labels = routing_history(municipality.pk)
    if len(texts) < min_samples() or len(set(labels)) < 2:
        RoutingModel.objects.filter(municipality=municipality).delete()
        return None
    pipeline = build_pipeline()
    pipeline.fit(texts, labels)
    buffer = io.BytesIO()
    joblib.dump(pipeline, buffer, compress=3)
    with transaction.atomic():
        previous = (
            RoutingModel.objects.select_for_update().filter(municipality=municipality).first()
        )
        fields = {
            "trained_at": timezone.now(),
            "sample_count": len(texts),
            "label_count": len(set(labels)),
            "blob": buffer.getvalue(),
            "version": (previous.version + 1) if previous else 1,
        }
        model, _created = RoutingModel.objects.update_or_create(
            municipality=municipality, defaults=fields
        )
    _loaded.pop(municipality.pk, None)
    return model


def routing_train_all() -> dict:
    """Every municipality in turn (the daily beat task); one failing does not stop the
    others."""
    trained = skipped = failed = 0
    for municipality in Municipality.objects.order_by("pk"):
        try:
            model = routing_train(municipality)
        except Exception:
            logger.exception("routing model of municipality %s not trained", municipality.pk)
            failed += 1
            continue
        if model is None:
            skipped += 1
        else:
            trained += 1
    return {"trained": trained, "skipped": skipped, "failed": failed}


# The fitted pipelines of this process, by municipality: (version, pipeline).
_loaded: dict[int, tuple[int, object]] = {}


def _pipeline(municipality_id: int):
    row = (
        RoutingModel.objects.filter(municipality_id=municipality_id)
        .values_list("version", flat=True)
        .first()
    )
    if row is None:
        return None, None
    cached = _loaded.get(municipality_id)
    if cached is not None and cached[0] == row:
        return cached[1], row
    import joblib

    model = RoutingModel.objects.get(municipality_id=municipality_id)
    pipeline = joblib.load(io.BytesIO(bytes(model.blob)))
    _loaded[municipality_id] = (model.version, pipeline)
    return pipeline, model.version


def _resolve(pairs: list[tuple[int, int, float, str, str]]) -> list[Suggestion]:
    """Pairs of ids → suggestions with their objects, dropping inactive ones."""
    categories = Category.objects.filter(pk__in={p[0] for p in pairs}, is_active=True).in_bulk()
    organisations = Organisation.objects.filter(
        pk__in={p[1] for p in pairs}, is_active=True
    ).in_bulk()
    out, seen = [], set()
    for category_id, organisation_id, confidence, source, why in pairs:
        key = (category_id, organisation_id)
        if key in seen or category_id not in categories or organisation_id not in organisations:
            continue
        seen.add(key)
        out.append(
            Suggestion(
                categories[category_id], organisations[organisation_id], confidence, source, why
            )
        )
    return out[:TOP]


def _from_model(case: Case) -> list[tuple]:
    pipeline, version = _pipeline(case.municipality_id)
    if pipeline is None:
        return []
    probabilities = pipeline.predict_proba([fold(case.text)])[0]
    ranked = sorted(zip(pipeline.classes_, probabilities, strict=True), key=lambda p: -p[1])
    why = _("модель v%(v)s по истории МО") % {"v": version}
    return [(*_unlabel(label), float(p), "model", why) for label, p in ranked[: TOP * 2]]


def _from_rules(case: Case) -> list[tuple]:
    fields = {
        "kind": case.kind,
        "channel": case.channel,
        "text": case.text,
        "address": case.address,
        "category": case.category,
        "district": case.district,
    }
    outcome = RuleSet(case.municipality_id).apply(fields)
    category = fields.get("category")
    if not outcome or outcome.organisation is None or category is None:
        return []
    names = ", ".join(h["name"] for h in outcome.hits)
    return [(category.pk, outcome.organisation.pk, 1.0, "rule", names)]


FREQUENT_CACHE_SECONDS = 600


def _frequent(case: Case) -> list[tuple]:
    """The municipality's most frequent routed pairs: an aggregate over its history, so
    kept for ``FREQUENT_CACHE_SECONDS`` instead of read on every card of the fallback."""
    key = f"routing:frequent:{case.municipality_id}"
    rows = cache.get(key)
    if rows is None:
        rows = _frequent_rows(case.municipality_id)
        cache.set(key, rows, FREQUENT_CACHE_SECONDS)
    total = sum(r["n"] for r in rows) or 1
    why = _("чаще всего в МО")
    return [(r["category_id"], r["organisation_id"], r["n"] / total, "frequent", why) for r in rows]


def _frequent_rows(municipality_id: int) -> list[dict]:
    return list(
        Case.objects.filter(
            municipality_id=municipality_id,
            status__in=ROUTED,
            category__isnull=False,
            organisation__isnull=False,
        )
        .values("category_id", "organisation_id")
        .annotate(n=Count("id"))
        .order_by("-n", "category_id", "organisation_id")[: TOP * 2]
    )


def routing_suggest(case: Case) -> list[Suggestion]:
    """Up to three (category, executor) suggestions for ``case``, best first: the
    municipality's model if it has one; else the matching auto-rules, then the most
    frequent pairs."""
    model = _from_model(case)
    if model:
        return _resolve(model)
    return _resolve(_from_rules(case) + _frequent(case))
