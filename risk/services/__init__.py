"""Every write of the risk app. Other apps call these (never the models) to change risk data."""

from .factors import factor_create, factor_disclose, project_sales_opening_blockers
from .items import (
    risk_item_close,
    risk_item_follow_up,
    risk_item_open,
    risk_item_reopen,
    risk_item_start,
    risk_item_update,
)
from .promises import (
    promise_change_confirm,
    promise_change_negotiate,
    promise_change_propose,
    promise_change_reject,
    promise_register,
    promise_verify,
)
from .reminders import risk_reminders_send
from .reviews import SignOffBlocked, review_answer, review_create, review_sign_off
from .templates import checklist_item_update, checklist_template_new_version

__all__ = [
    "SignOffBlocked",
    "checklist_item_update",
    "checklist_template_new_version",
    "factor_create",
    "factor_disclose",
    "project_sales_opening_blockers",
    "promise_change_confirm",
    "promise_change_negotiate",
    "promise_change_propose",
    "promise_change_reject",
    "promise_register",
    "promise_verify",
    "review_answer",
    "review_create",
    "review_sign_off",
    "risk_item_close",
    "risk_item_follow_up",
    "risk_item_open",
    "risk_item_reopen",
    "risk_item_start",
    "risk_item_update",
    "risk_reminders_send",
]
