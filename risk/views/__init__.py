"""Staff pages of risk control. Each view parses input, fetches through a scoped selector, calls one
service and renders; service errors become form errors (400) or a message, never a 500."""

from .factors import disclosure_sheet, factor_detail, factor_disclose, factor_new
from .items import index, item_action, item_detail, item_export, item_list, item_new
from .promises import promise_action, promise_detail, promise_new
from .reviews import project_detail, review_answer, review_detail, review_new, review_sign_off
from .templates import template_detail, template_item_edit, template_list, template_new_version

__all__ = [
    "disclosure_sheet",
    "factor_detail",
    "factor_disclose",
    "factor_new",
    "index",
    "item_action",
    "item_detail",
    "item_export",
    "item_list",
    "item_new",
    "project_detail",
    "promise_action",
    "promise_detail",
    "promise_new",
    "review_answer",
    "review_detail",
    "review_new",
    "review_sign_off",
    "template_detail",
    "template_item_edit",
    "template_list",
    "template_new_version",
]
