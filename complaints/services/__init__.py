"""Every write to a complaint: filing, the workflow actions, severity, revisits and cases.

Each workflow service locks the complaint row (``select_for_update``), returns early when the
complaint already is where the action would put it (so double clicks and retries are harmless),
checks ``Complaint.TRANSITIONS``, saves with ``update_fields`` and writes a timeline event in the
same transaction. Notifications and e-mails are scheduled with ``transaction.on_commit``.

Errors: ``django.core.exceptions.ValidationError`` for bad input (API 400, form errors),
``estates.workflow.InvalidTransition`` for an action the state does not allow (API 409) and its
subclass ``AuthorityExceeded`` when the actor's role may not take the action — in which case the
complaint has already gone one level up the ladder (in its own committed transaction).
"""

from .cases import case_write
from .common import _change_severity, actor_parts, event_record
from .filing import complaint_file
from .policies import (
    calendar_day_set,
    complaints_recompute_due,
    schedule_recompute,
    sla_policy_update,
    work_calendar_update,
)
from .workflow import (
    complaint_assign,
    complaint_close,
    complaint_escalate,
    complaint_hold,
    complaint_reopen,
    complaint_resolve,
    complaint_respond,
    complaint_resume,
    complaint_revisit,
    complaint_set_severity,
)

__all__ = [
    "_change_severity",
    "actor_parts",
    "calendar_day_set",
    "case_write",
    "complaint_assign",
    "complaint_close",
    "complaint_escalate",
    "complaint_file",
    "complaint_hold",
    "complaint_reopen",
    "complaint_resolve",
    "complaint_respond",
    "complaint_resume",
    "complaint_revisit",
    "complaint_set_severity",
    "complaints_recompute_due",
    "event_record",
    "schedule_recompute",
    "sla_policy_update",
    "work_calendar_update",
]
