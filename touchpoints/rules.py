"""Pure rules of the touchpoints app: coverage arithmetic and when an answer needs a follow-up."""

from collections.abc import Mapping
from dataclasses import dataclass

GRADES = ("A", "B", "C")


@dataclass(frozen=True)
class GradeCoverage:
    """How far one grade of a stage's sensitivity points is checked for a project.

    ``met_pct`` is met / applicable (points not marked "not applicable"); None when nothing
    applies, so an empty stage never reads as 0 % or 100 %.
    """

    grade: str
    total: int
    met: int
    issue: int
    not_applicable: int

    @property
    def checked(self) -> int:
        return self.met + self.issue + self.not_applicable

    @property
    def unchecked(self) -> int:
        return self.total - self.checked

    @property
    def applicable(self) -> int:
        return self.total - self.not_applicable

    @property
    def met_pct(self) -> float | None:
        return self.met / self.applicable if self.applicable else None

    @property
    def checked_pct(self) -> float | None:
        return self.checked / self.total if self.total else None


def coverage(*, totals: Mapping[str, int], answers: Mapping[tuple[str, str], int]) -> list[GradeCoverage]:
    """Coverage per grade from point totals {grade: n} and answer counts {(grade, status): n}."""
    return [
        GradeCoverage(
            grade=g,
            total=totals.get(g, 0),
            met=answers.get((g, "met"), 0),
            issue=answers.get((g, "issue"), 0),
            not_applicable=answers.get((g, "not_applicable"), 0),
        )
        for g in GRADES
    ]


def opens_follow_up(*, grade: str, status: str) -> bool:
    """An issue on an A-point (safety, basic needs, comfort, purchase intent) must be followed up."""
    return grade == "A" and status == "issue"


# How long the risk register gives an A-point issue before it is overdue.
FOLLOW_UP_DAYS = 14


def risk_classification(*, stage: str) -> tuple[str, str]:
    """(risk source, customer view) of an A-point issue found at ``stage`` (DOMAIN.md §4).

    Sales promises and materials are marketing risk; what can stop or spoil the handover is
    delivery risk; anything else is comprehensive risk. Investment-stage issues come from outside
    (location, policy, market); sales and after-sales from management; the rest from the product.
    """
    customer_view = {"investment": "marketing", "sales": "marketing", "construction": "delivery", "delivery": "delivery"}
    source = {"investment": "external", "sales": "management", "post_delivery": "management", "residence": "management"}
    return source.get(stage, "product"), customer_view.get(stage, "comprehensive")
