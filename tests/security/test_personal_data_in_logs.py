"""Full phone and ID numbers never reach a log handler, whoever logs them."""

import logging

from django.conf import settings

from estates.security import PersonalDataMaskingFilter, mask_personal_data
from tests.factories import CustomerFactory

from . import log_capture


def _record(msg, *args, exc_info=None):
    return logging.LogRecord("test", logging.WARNING, __file__, 1, msg, args, exc_info)


def test_mobiles_and_id_numbers_are_masked_in_the_message_and_its_arguments():
    record = _record("owner %s called from %s", "440305199001011234", "13812345678")
    PersonalDataMaskingFilter().filter(record)
    assert record.getMessage() == "owner 440***********1234 called from 138****5678"


def test_an_id_number_ending_in_x_is_masked():
    assert mask_personal_data("id=44030519900101123X;") == "id=440***********123X;"


def test_longer_digit_runs_and_short_numbers_are_left_alone():
    text = "order 2026112300012345678 at 1732350000 ext 12345"
    assert mask_personal_data(text) == text


def test_a_traceback_carrying_a_phone_is_masked():
    try:
        raise ValueError("bad phone 13912345678")
    except ValueError:
        import sys

        record = _record("failed", exc_info=sys.exc_info())
    PersonalDataMaskingFilter().filter(record)
    assert "139****5678" in record.exc_text and "13912345678" not in record.exc_text
    assert "13912345678" not in logging.Formatter().format(record)


def test_every_configured_handler_carries_the_filter():
    handlers = settings.LOGGING["handlers"]
    assert handlers
    assert all("mask_personal_data" in h.get("filters", []) for h in handlers.values())


def test_a_customer_logged_in_full_reaches_the_handlers_masked(db):
    customer = CustomerFactory(phone="13712345678", id_number="44030519850505123X")
    start = len(log_capture.EMITTED)
    logging.getLogger("touchstone.test").warning("calling %s (%s)", customer.phone, customer.id_number)
    emitted = log_capture.EMITTED[start:]
    assert emitted == ["WARNING touchstone.test calling 137****5678 (440***********123X)"]


def test_no_log_line_emitted_so_far_in_the_run_carries_personal_data():
    # The same check runs once more at the very end of the session (conftest.pytest_sessionfinish).
    assert log_capture.leaks() == []
