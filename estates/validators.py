"""Shape checks for personal data that arrives from sales systems and forms."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
_PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


def id_number_check_char(first17: str) -> str:
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def validate_id_number(value: str) -> None:
    """A mainland resident ID (GB 11643): 17 digits and a check character computed from them."""
    value = (value or "").upper()
    if not _ID_RE.match(value) or id_number_check_char(value[:17]) != value[17]:
        raise ValidationError(_("Enter a valid 18-character resident ID number."), code="invalid_id_number")


def validate_phone(value: str) -> None:
    if not _PHONE_RE.match(value or ""):
        raise ValidationError(_("Enter a mobile number (11 digits) or a landline with area code."), code="invalid_phone")
