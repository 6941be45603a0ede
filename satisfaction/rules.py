"""Pure rules of the satisfaction surveys: due dates, eligibility, answer validation, scores. No I/O."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils.translation import gettext as _

# Rating answers of 4 or 5 count as satisfied; recommend 9–10 promoters, 0–6 detractors (NPS).
SATISFIED_FROM = 4
PROMOTER_FROM = 9
DETRACTOR_UP_TO = 6
TEXT_MAX_LENGTH = 2000


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_on(event_on: date, *, offset_months: int, offset_days: int) -> date:
    return add_months(event_on, offset_months) + timedelta(days=offset_days)


def closes_on(due: date, *, window_days: int) -> date:
    """The last day an invitation can be answered: the window counts the due day itself."""
    return due + timedelta(days=window_days - 1)


def _last_event_due_by(limit: date, *, offset_months: int, offset_days: int) -> date:
    """The latest event date whose due date is on or before ``limit`` (due_on is monotone in it)."""
    guess = add_months(limit - timedelta(days=offset_days), -offset_months)
    while due_on(guess + timedelta(days=1), offset_months=offset_months, offset_days=offset_days) <= limit:
        guess += timedelta(days=1)
    while due_on(guess, offset_months=offset_months, offset_days=offset_days) > limit:
        guess -= timedelta(days=1)
    return guess


def event_range_open_on(today: date, *, offset_months: int, offset_days: int, window_days: int) -> tuple[date, date]:
    """Event dates whose invitation is due and still open on ``today``: due ≤ today < due + window.

    Returned as an inclusive (first, last) range so that the database answers it from an index.
    Running the job any day inside the window finds the contract; a missed day is caught up.
    """
    last = _last_event_due_by(today, offset_months=offset_months, offset_days=offset_days)
    first = _last_event_due_by(today - timedelta(days=window_days), offset_months=offset_months, offset_days=offset_days)
    return first + timedelta(days=1), last


@dataclass(frozen=True)
class Recipient:
    contract_status: str
    opted_out: bool
    last_sent_at: datetime | None
    email: str
    phone: str


def ineligible_reason(recipient: Recipient, *, now: datetime, cooldown_days: int, channel: str) -> str:
    """Why an invitation must not go out now ("" when it may). Checked again at every send."""
    if recipient.contract_status != "active":
        return "cancelled"
    if recipient.opted_out:
        return "opted_out"
    if recipient.last_sent_at is not None and now - recipient.last_sent_at < timedelta(days=cooldown_days):
        return "cooldown"
    if not pick_channel(channel, email=recipient.email, phone=recipient.phone):
        return "no_address"
    return ""


def pick_channel(preferred: str, *, email: str, phone: str) -> str:
    """The wave's channel when the owner has an address for it, else the other one, else ""."""
    addresses = {"email": email, "sms": phone}
    if addresses.get(preferred):
        return preferred
    return next((channel for channel, address in addresses.items() if address), "")


def next_reminder_at(
    *, sent_or_reminded_at: datetime, reminders_sent: int, reminder_max: int, interval_days: int
) -> datetime | None:
    """When the next reminder is due, or None when the cap is reached."""
    if reminders_sent >= reminder_max:
        return None
    return sent_or_reminded_at + timedelta(days=interval_days)


class AnswerError(ValueError):
    pass


@dataclass(frozen=True)
class CleanAnswer:
    value_int: int | None = None
    value_text: str = ""
    value_choices: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return self.value_int is None and not self.value_text and not self.value_choices


def _one(raw) -> str:
    if isinstance(raw, list | tuple):
        if len(raw) > 1:
            raise AnswerError(_("Choose one answer."))
        raw = raw[0] if raw else ""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "1" if raw else "0"
    return str(raw).strip()


def _int_in(raw, low: int, high: int) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise AnswerError(_("Enter a whole number.")) from None
    if not low <= value <= high:
        raise AnswerError(_("Choose a value from %(low)s to %(high)s.") % {"low": low, "high": high})
    return value


def clean_answer(*, kind: str, required: bool, choices: list[dict], raw) -> CleanAnswer:
    """Validate one raw answer (a string, a number, a bool or a list) for its question type."""
    if kind == "multiple":
        values = raw if isinstance(raw, list | tuple) else ([] if raw in (None, "") else [raw])
        values = [str(v).strip() for v in values if str(v).strip()]
        allowed = {c["value"] for c in choices}
        if any(v not in allowed for v in values):
            raise AnswerError(_("Choose from the options given."))
        if len(set(values)) != len(values):
            raise AnswerError(_("Each option may be chosen once."))
        if required and not values:
            raise AnswerError(_("This question needs an answer."))
        return CleanAnswer(value_choices=tuple(v for v in (c["value"] for c in choices) if v in values))
    value = _one(raw)
    if value == "":
        if required:
            raise AnswerError(_("This question needs an answer."))
        return CleanAnswer()
    if kind == "rating":
        return CleanAnswer(value_int=_int_in(value, 1, 5))
    if kind == "recommend":
        return CleanAnswer(value_int=_int_in(value, 0, 10))
    if kind == "yes_no":
        mapping = {"1": 1, "yes": 1, "true": 1, "0": 0, "no": 0, "false": 0}
        if value.lower() not in mapping:
            raise AnswerError(_("Answer yes or no."))
        return CleanAnswer(value_int=mapping[value.lower()])
    if kind == "single":
        if value not in {c["value"] for c in choices}:
            raise AnswerError(_("Choose from the options given."))
        return CleanAnswer(value_choices=(value,))
    if kind == "text":
        if len(value) > TEXT_MAX_LENGTH:
            raise AnswerError(_("Keep the answer under %(n)s characters.") % {"n": TEXT_MAX_LENGTH})
        return CleanAnswer(value_text=value)
    raise AnswerError(_("Unknown question type."))


def is_low_score(*, overall: int | None, threshold: int) -> bool:
    return overall is not None and overall <= threshold


def satisfaction_index(average_rating: float | None) -> float | None:
    """A 1–5 mean rating on a 0–100 scale (1 → 0, 5 → 100)."""
    if average_rating is None:
        return None
    return round((float(average_rating) - 1) / 4 * 100, 1)


def share(part: int, whole: int) -> float | None:
    return None if not whole else round(part / whole, 4)


def recommend_score(*, promoters: int, detractors: int, answers: int) -> float | None:
    """NPS-style: share of promoters minus share of detractors, on −100…100."""
    if not answers:
        return None
    return round((promoters - detractors) * 100 / answers, 1)
