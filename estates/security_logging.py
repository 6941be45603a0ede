"""Personal data out of logs. Imports no models: settings' LOGGING loads it before the apps are ready."""

import logging
import re

# A mainland mobile number, or an 18-character resident ID number, not embedded in a longer
# run of digits (order ids and timestamps stay readable).
_MOBILE = re.compile(r"(?<![0-9.])(1[3-9][0-9])[0-9]{4}([0-9]{4})(?![0-9])")
_ID_NUMBER = re.compile(r"(?<![0-9.])([0-9]{3})[0-9]{11}([0-9]{3}[0-9Xx])(?![0-9A-Za-z])")


def mask_personal_data(text: str) -> str:
    """Mask every mobile (138****5678) and ID number (440***********123X) in ``text``."""
    if not text:
        return text
    text = _ID_NUMBER.sub(r"\1***********\2", text)
    return _MOBILE.sub(r"\1****\2", text)


class PersonalDataMaskingFilter(logging.Filter):
    """Rewrites a record so that no handler can emit a full phone or ID number. Never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not lose the record
            message = str(record.msg)
        record.msg, record.args = mask_personal_data(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_data(record.stack_info)
        return True
