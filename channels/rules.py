"""Auto-rules: conditions on an item coming in → what the desk fills in (DESIGN §5).

Ставрополь, 3 п. 7: «создание автоправил через ПОС, а также механизмов ускоренного
решения вопросов, обозначенных в обращениях и сообщениях граждан, поступающих через
систему «Инцидент Менеджмент»».

Order: **all the active rules apply, in their order** (``position``, then id), like a
mail filter list. A rule sees what the rules above it set (one rule sets the district
from the address, the next routes by district); a field already set — by the source
(the category hint), the registering administrator or an earlier rule — is not
overwritten by a later rule; a rule marked «stop» ends the list for that item. A rule
whose actions set nothing new still counts as fired (it matched; the card says so).

What a rule does:
- the category and the district are written into the case as it is registered, so its
  clocks start under the right policy (the ПОС 5-working-day rule needs the category);
- the executor is a proposal for moderation: the card pre-fills the assignment with it
  and the administrator confirms in one click or overrides (an executor sees its
  organisation's cases only, and moderation is the administrator's);
- the fast-track proposal goes through ``cases.services.case_note_auto_rules``, which
  sets ``fast_track_proposed`` and tells the curators (Междуреченск 3.8: «Повышенная
  важность определяется куратором»).

A rule's text conditions are read on the folded text (lower case, ё→е; ``mcu.text.fold``).
Python's ``re`` has no timeout, so a pattern is capped at ``RULE_REGEX_MAX_CHARS``,
refused on save when it nests quantifiers (``(a+)+``, the classic catastrophic
backtracking) or uses back-references, and run over the first ``RULE_TEXT_WINDOW``
characters of a text only.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils.translation import gettext as _

from mcu.models import Category
from mcu.text import fold

from .models import RULE_REGEX_MAX_CHARS, RULE_TEXT_WINDOW, AutoRule

__all__ = [
    "RuleOutcome",
    "rule_validate",
    "rules_apply",
    "rules_count_hits",
    "rules_for",
]

_KEYWORD_SPLIT = re.compile(r"[,;\n]+")
# A group that holds a quantifier or an alternation, itself repeated: (a+)+, (\w*x)*,
# (a|aa){2,} — the patterns whose backtracking can grow exponentially.
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*}|](?:[^()\\]|\\.)*\)\s*[+*{]")
_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=")


def keywords_of(raw: str) -> list[str]:
    return [k.strip() for k in _KEYWORD_SPLIT.split(fold(raw)) if k.strip()]


def regex_check(pattern: str) -> re.Pattern:
    """The compiled pattern, or ValidationError naming what is wrong with it."""
    if len(pattern) > RULE_REGEX_MAX_CHARS:
        raise ValidationError(
            _("Не длиннее %(n)s символов.") % {"n": RULE_REGEX_MAX_CHARS}, code="too_long"
        )
    if _NESTED_QUANTIFIER.search(pattern):
        raise ValidationError(
            _(
                "Повтор группы с повтором или выбором внутри, вида (a+)+ или (a|aa)+, "
                "может выполняться бесконечно долго: упростите выражение."
            ),
            code="nested",
        )
    if _BACKREFERENCE.search(pattern):
        raise ValidationError(_("Обратные ссылки (\\1) не поддерживаются."), code="backref")
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise ValidationError(
            _("Ошибка в регулярном выражении: %(error)s") % {"error": exc}, code="invalid"
        ) from None


_CONDITIONS = ("channel", "kind", "category_id", "district_id", "keywords", "text_regex")
_ACTIONS = ("set_organisation_id", "set_category_id", "set_district_id", "propose_fast_track")


def rule_validate(rule: AutoRule) -> None:
    """The checks of ``AutoRule.clean``: a valid, safe pattern; at least one condition and
    one action; the organisation and districts of the rule's own municipality."""
    errors: dict[str, list[str]] = {}
    if rule.text_regex:
        try:
            regex_check(rule.text_regex)
        except ValidationError as exc:
            errors["text_regex"] = exc.messages
    if rule.keywords and not keywords_of(rule.keywords):
        errors["keywords"] = [_("Укажите слова через запятую.")]
    if not any(getattr(rule, name) for name in (*_CONDITIONS, "address_contains")):
        errors["__all__"] = [_("Укажите хотя бы одно условие.")]
    elif not any(getattr(rule, name) for name in _ACTIONS):
        errors["__all__"] = [_("Укажите хотя бы одно действие.")]
    for name in ("district", "set_district", "set_organisation"):
        obj = getattr(rule, name)
        if obj is not None and rule.municipality_id and obj.municipality_id != rule.municipality_id:
            errors[name] = [_("Относится к другому муниципальному образованию.")]
    if errors:
        raise ValidationError(errors)


# ---------------------------------------------------------------------------------------
# Applying
# ---------------------------------------------------------------------------------------


@dataclass
class _Compiled:
    rule: AutoRule
    keywords: list[str]
    regex: re.Pattern | None
    address: str


@dataclass
class RuleOutcome:
    """What the rules did to one item: the rules that fired and why, and the executor and
    fast-track they propose (the category and district are already in the fields)."""

    hits: list[dict] = field(default_factory=list)
    organisation: object | None = None
    propose_fast_track: bool = False

    def __bool__(self) -> bool:
        return bool(self.hits)

    def payload(self) -> dict:
        """The «auto_rule» event's payload: ids and names, never the resident's text
        beyond the fragment a pattern matched."""
        return {
            "rules": self.hits,
            "organization": getattr(self.organisation, "pk", None),
            "organization_name": str(self.organisation) if self.organisation else "",
            "propose_fast_track": self.propose_fast_track,
        }


#: per process: municipality id → (the rules' version, their compiled rules)
_compiled_cache: dict[int, tuple[tuple, list[_Compiled]]] = {}


def rules_version() -> tuple:
    """A value that changes with any write to the rules (one statement of their count and
    latest edit). Read on every use, with no TTL: an item is never routed by a rule that
    another process has already changed or switched off."""
    from deadlines.selectors import tables_version

    return tables_version(AutoRule)


def rules_forget() -> None:
    """Drop this process's compiled rules (tests whose rolled-back rules could leave the
    same version under a frozen clock)."""
    _compiled_cache.clear()


def _compiled(municipality_id: int) -> list[_Compiled]:
    version = rules_version()
    cached = _compiled_cache.get(municipality_id)
    if cached is not None and cached[0] == version:
        return cached[1]
    rules = (
        AutoRule.objects.filter(municipality_id=municipality_id, is_active=True)
        .select_related("category", "district", "set_category", "set_district")
        .select_related("set_organisation")
        .order_by("position", "id")
    )
    compiled: list[_Compiled] = []
    for rule in rules:
        try:
            regex = regex_check(rule.text_regex) if rule.text_regex else None
        except ValidationError:
            continue  # saved around clean() (a fixture, the shell): never fires
        compiled.append(
            _Compiled(rule, keywords_of(rule.keywords), regex, fold(rule.address_contains))
        )
    _compiled_cache[municipality_id] = (version, compiled)
    return compiled


class RuleSet:
    """The active rules of one municipality, compiled once per process and version of the
    rules (``rules_version``: one cheap statement per request, the rules themselves read
    again only after a change): a batch of a thousand items asks once. The category tree
    a rule's category condition needs is read fresh, so a moved category routes by its
    new place at once."""

    def __init__(self, municipality_id: int):
        self.compiled: list[_Compiled] = _compiled(municipality_id)
        self._tree = Category.tree() if any(c.rule.category_id for c in self.compiled) else None

    def __bool__(self) -> bool:
        return bool(self.compiled)

    def apply(self, fields: dict) -> RuleOutcome:
        """Apply the rules to the keyword arguments of ``case_register`` / ``case_build``:
        ``fields`` gets the category and district the rules set; the outcome says the
        rest. Reads nothing from the database."""
        outcome = RuleOutcome()
        if not self.compiled:
            return outcome
        text = fields.get("text") or ""
        folded = fold(text[:RULE_TEXT_WINDOW])
        raw_window = text[:RULE_TEXT_WINDOW]
        address = fold(fields.get("address") or "")
        for c in self.compiled:
            matched = self._match(c, fields, folded, raw_window, address)
            if matched is None:
                continue
            rule = c.rule
            applied: dict = {}
            if rule.set_category_id and fields.get("category") is None:
                fields["category"] = rule.set_category
                applied["category"] = rule.set_category_id
            if rule.set_district_id and fields.get("district") is None:
                fields["district"] = rule.set_district
                applied["district"] = rule.set_district_id
            if rule.set_organisation_id and outcome.organisation is None:
                outcome.organisation = rule.set_organisation
                applied["organization"] = rule.set_organisation_id
            if rule.propose_fast_track and not outcome.propose_fast_track:
                outcome.propose_fast_track = True
                applied["propose_fast_track"] = True
            outcome.hits.append(
                {"id": rule.pk, "name": rule.name, "matched": matched, "set": applied}
            )
            if rule.stop:
                break
        return outcome

    def _match(self, c: _Compiled, fields, folded: str, raw: str, address: str):
        """The matched conditions in words, or None if one of them fails."""
        rule, why = c.rule, []
        if not any(getattr(rule, n) for n in (*_CONDITIONS, "address_contains")):
            return None
        if rule.channel:
            if fields.get("channel") != rule.channel:
                return None
            why.append(_("канал «%(v)s»") % {"v": rule.get_channel_display()})
        if rule.kind:
            if fields.get("kind") != rule.kind:
                return None
            why.append(_("вид «%(v)s»") % {"v": rule.get_kind_display()})
        if rule.category_id:
            category = fields.get("category")
            if category is None or rule.category_id not in Category.lineage_of(
                category.pk, self._tree
            ):
                return None
            why.append(_("категория «%(v)s»") % {"v": rule.category.name})
        if rule.district_id:
            district = fields.get("district")
            if district is None or district.pk != rule.district_id:
                return None
            why.append(_("район «%(v)s»") % {"v": rule.district.name})
        if c.keywords:
            found = next((k for k in c.keywords if k in folded), None)
            if found is None:
                return None
            why.append(_("ключевое слово «%(v)s»") % {"v": found})
        if c.regex is not None:
            m = c.regex.search(raw) or c.regex.search(folded)
            if m is None:
                return None
            why.append(
                _("выражение «%(p)s» нашло «%(v)s»") % {"p": rule.text_regex, "v": m.group(0)[:60]}
            )
        if c.address:
            if c.address not in address:
                return None
            why.append(_("адрес содержит «%(v)s»") % {"v": rule.address_contains})
        return why


def rules_for(municipality_id: int) -> RuleSet:
    return RuleSet(municipality_id)


def rules_apply(municipality_id: int, fields: dict) -> RuleOutcome:
    """One item: read the rules and apply them (a batch keeps one ``RuleSet``)."""
    return RuleSet(municipality_id).apply(fields)


def rules_count_hits(outcomes, *, at: datetime) -> None:
    """Add the hits of a registration (or a batch of them) to the rules' counters: one
    UPDATE per rule that fired, with F() so concurrent deliveries add up."""
    counts = Counter(hit["id"] for outcome in outcomes for hit in outcome.hits)
    for rule_id, n in counts.items():
        AutoRule.objects.filter(pk=rule_id).update(hit_count=F("hit_count") + n, last_hit_at=at)
