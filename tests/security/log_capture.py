"""Capture what the log handlers of the whole test run emit, and fail the run if personal data got out.

Imported by tests/security/conftest.py, so it is active whenever the security suite is collected —
which the full suite always does — from collection to the end of the run. The capture handler
carries the same filters as the configured console handler, so it sees exactly what production
would write; customers' phones and ID numbers are remembered as they are saved.
"""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.db.models.signals import post_save

EMITTED: list[str] = []
SECRETS: set[str] = set()
# Anything still shaped like a mainland mobile or an ID number after the filters ran.
LOOKS_PERSONAL = re.compile(r"(?<![0-9.])(1[3-9][0-9]{9}|[0-9]{17}[0-9Xx])(?![0-9])")


class CaptureHandler(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record):
        try:
            EMITTED.append(self.format(record))
        except Exception:  # noqa: BLE001 - the capture must never break a test
            EMITTED.append(f"<unformattable record from {record.name}>")


def _remember_customer(sender, instance, **kwargs):
    for value in (instance.phone, instance.id_number):
        if value and len(value) >= 11:
            SECRETS.add(value)


def install() -> None:
    from logging.config import DictConfigurator

    from estates.models import Customer

    if any(isinstance(h, CaptureHandler) for h in logging.getLogger().handlers):
        return
    handler = CaptureHandler()
    configurator = DictConfigurator(settings.LOGGING)
    for name in settings.LOGGING.get("handlers", {}).get("console", {}).get("filters", []):
        handler.addFilter(configurator.configure_filter(dict(settings.LOGGING["filters"][name])))
    logging.getLogger().addHandler(handler)
    post_save.connect(_remember_customer, sender=Customer, dispatch_uid="trust-log-capture")


def leaks() -> list[str]:
    found = []
    for line in EMITTED:
        if LOOKS_PERSONAL.search(line) or any(secret in line for secret in SECRETS):
            found.append(line[:300])
    return found
