"""Signals estates sends explicitly from its services so that dependent apps can react
without estates importing them (the dependency arrow points only towards estates).

``customers_changed``: sent after commit with ``customer_ids`` whose household facts or
contracts changed (segments recomputes their segment).
"""

from django.dispatch import Signal

customers_changed = Signal()
