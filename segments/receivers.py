"""Reactions to estates' signals, connected in SegmentsConfig.ready()."""

from functools import partial

from django.db import transaction


def on_customers_changed(sender, customer_ids=(), **kwargs):
    """A sync changed these customers' household facts or contracts: recompute their segments.

    Only ids travel; the task runs after the sender's transaction commits.
    """
    from .tasks import recompute_customers

    ids = sorted({int(i) for i in customer_ids})
    if ids:
        transaction.on_commit(partial(recompute_customers.delay, customer_ids=ids))
