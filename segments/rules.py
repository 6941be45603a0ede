"""Pure rules of segmentation and land fit: no Django, no I/O.

Assignment: the active rules are tried in priority order (lowest first); the first whose every
given condition holds decides the segment. A condition left empty means "any". A customer with
no household facts at all stays unclassified rather than falling into a catch-all rule.

Land fit: a segment's score for a parcel is the weighted share of its land-attribute checklist
that the parcel offers (0–100); the attributes that count most are the drivers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

CHILD_AGE_MAX = 17  # "children 0–17": older children no longer shape the purchase (seed: 望子成龙)
KEY_WEIGHT = 3  # a land attribute the seed's checklist marks "Yes"


@dataclass(frozen=True)
class HouseholdFacts:
    children_ages: tuple[int, ...] = ()
    elderly: bool = False
    income_band: str = ""
    age_band: str = ""
    household_size: int | None = None

    @property
    def minors(self) -> tuple[int, ...]:
        return tuple(a for a in self.children_ages if isinstance(a, int) and 0 <= a <= CHILD_AGE_MAX)

    @property
    def known(self) -> bool:
        return bool(self.children_ages or self.elderly or self.income_band or self.age_band or self.household_size)


@dataclass(frozen=True)
class RuleSpec:
    id: int | None
    segment_id: int | None
    priority: int
    child_age_min: int | None = None
    child_age_max: int | None = None
    elderly: bool | None = None
    income_bands: tuple[str, ...] = ()
    age_bands: tuple[str, ...] = ()
    household_size_min: int | None = None
    household_size_max: int | None = None


def facts_from(*, children_ages, elderly_living_in, income_band, age_band, household_size) -> HouseholdFacts:
    ages = tuple(a for a in (children_ages or []) if isinstance(a, int) and not isinstance(a, bool))
    return HouseholdFacts(ages, bool(elderly_living_in), income_band or "", age_band or "", household_size)


def rule_matches(rule: RuleSpec, facts: HouseholdFacts) -> bool:
    if rule.child_age_min is not None or rule.child_age_max is not None:
        low = rule.child_age_min if rule.child_age_min is not None else 0
        high = rule.child_age_max if rule.child_age_max is not None else CHILD_AGE_MAX
        if not any(low <= a <= high for a in facts.minors):
            return False
    if rule.elderly is not None and facts.elderly != rule.elderly:
        return False
    if rule.income_bands and facts.income_band not in rule.income_bands:
        return False
    if rule.age_bands and facts.age_band not in rule.age_bands:
        return False
    if rule.household_size_min is not None and (facts.household_size is None or facts.household_size < rule.household_size_min):
        return False
    if rule.household_size_max is None:
        return True
    return facts.household_size is not None and facts.household_size <= rule.household_size_max


def assign(facts: HouseholdFacts, rules: Iterable[RuleSpec]) -> RuleSpec | None:
    """The first matching rule in priority order, or None (unclassified)."""
    if not facts.known:
        return None
    for rule in sorted(rules, key=lambda r: r.priority):
        if rule_matches(rule, facts):
            return rule
    return None


def rule_errors(rule: RuleSpec, *, income_bands: Sequence[str], age_bands: Sequence[str]) -> dict[str, list[str]]:
    """Error codes per field of a rule that no household could match or that names unknown bands.

    Codes: ``child_age_range`` (outside 0–17), ``child_age_order`` (upper below lower),
    ``household_positive`` (below 1), ``household_order`` (largest below smallest),
    ``unknown_income_band``, ``unknown_age_band``. The model turns them into messages.
    """
    errors: dict[str, list[str]] = {}
    for name in ("child_age_min", "child_age_max"):
        value = getattr(rule, name)
        if value is not None and not 0 <= value <= CHILD_AGE_MAX:
            errors.setdefault(name, []).append("child_age_range")
    if rule.child_age_min is not None and rule.child_age_max is not None and rule.child_age_min > rule.child_age_max:
        errors.setdefault("child_age_max", []).append("child_age_order")
    for name in ("household_size_min", "household_size_max"):
        value = getattr(rule, name)
        if value is not None and value < 1:
            errors.setdefault(name, []).append("household_positive")
    if (
        rule.household_size_min is not None
        and rule.household_size_max is not None
        and rule.household_size_min > rule.household_size_max
    ):
        errors.setdefault("household_size_max", []).append("household_order")
    if set(rule.income_bands) - set(income_bands):
        errors.setdefault("income_bands", []).append("unknown_income_band")
    if set(rule.age_bands) - set(age_bands):
        errors.setdefault("age_bands", []).append("unknown_age_band")
    return errors


@dataclass(frozen=True)
class SegmentFit:
    segment: str
    score: float  # 0–100, one decimal
    drivers: tuple[str, ...] = field(default=())  # attributes present, heaviest first
    gaps: tuple[str, ...] = field(default=())  # key attributes (weight 3) the parcel lacks


def parcel_fit(*, needs: Mapping[str, Mapping[str, int]], present: Iterable[str]) -> list[SegmentFit]:
    """Score every segment for a parcel offering the ``present`` attributes, best first.

    ``needs`` is {segment: {attribute: weight}}. Ties keep the order of ``needs``.
    """
    present = set(present)
    fits = []
    for segment, checklist in needs.items():
        total = sum(checklist.values())
        got = sum(w for a, w in checklist.items() if a in present)
        drivers = tuple(a for a, _w in sorted(((a, w) for a, w in checklist.items() if a in present), key=lambda x: -x[1]))
        gaps = tuple(a for a, w in checklist.items() if w >= KEY_WEIGHT and a not in present)
        fits.append(SegmentFit(segment, round(100 * got / total, 1) if total else 0.0, drivers, gaps))
    order = {s: i for i, s in enumerate(needs)}
    return sorted(fits, key=lambda f: (-f.score, order[f.segment]))
