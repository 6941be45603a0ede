"""Per-process cache of authenticated API clients and their project ids (issue 9: throughput).

Looking the key up and resolving the client's project codes to ids cost two ORM queries on every
API request. Each worker process keeps ``key hash -> (client, project ids)`` instead, and trusts
an entry only while

* the shared *generation* token in the cache (Redis in production, shared by every worker) is the
  one the entry was read under: every change that could narrow or end a client's access —
  revocation, any save or delete of a client, any project created, renamed or deleted — writes a
  new token (now and again after the transaction commits), so every worker re-reads the row on its
  next request: **revocation and scope changes take effect from the next request in every
  worker**, as before;
* and it is younger than ``API_CLIENT_CACHE_SECONDS`` (default 30 s): a backstop for a change
  made behind the services' back (raw SQL, a queryset ``update()`` elsewhere) — such a change is
  honoured within that bound.

Expiry is never cached: ``is_usable`` is evaluated against the clock on every request. When the
shared cache cannot be reached the generation is unknown and the row is read from the database
(fail safe, never served from a possibly stale entry).
"""

from __future__ import annotations

import copy
import logging
import threading
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

GENERATION_KEY = "estates:api-client-generation"
_UNKNOWN = object()
_entries: dict[str, tuple[object, float, object, list[int]]] = {}
_lock = threading.Lock()
MAX_ENTRIES = 1000


def ttl_seconds() -> float:
    return float(getattr(settings, "API_CLIENT_CACHE_SECONDS", 30))


def _generation():
    try:
        return cache.get(GENERATION_KEY)
    except Exception:  # noqa: BLE001 - whatever the cache client raises: unknown, read the database
        logger.warning("API client cache generation unreadable: reading the client from the database")
        return _UNKNOWN


def _bump() -> None:
    with _lock:
        _entries.clear()
    try:
        cache.set(GENERATION_KEY, uuid.uuid4().hex, None)
    except Exception:  # noqa: BLE001
        # Workers cannot see the change through the cache; their entries still expire after the TTL.
        logger.warning("API client cache generation not written: other workers honour the change within the TTL")


def invalidate() -> None:
    """Every worker re-reads API clients on its next request: call after any change to a client or project."""
    _bump()
    # A worker reading the row before our transaction commits would cache the old row under the
    # new token: write another once the change is visible.
    transaction.on_commit(_bump)


def get(key_hash: str):
    """(client, project ids) for a key hash from this process's cache, or None; the client is a copy."""
    generation = _generation()
    if generation is _UNKNOWN:
        return None, generation
    entry = _entries.get(key_hash)
    if entry is None:
        return None, generation
    entry_generation, fetched_at, client, project_ids = entry
    if entry_generation != generation or time.time() - fetched_at >= ttl_seconds():
        _entries.pop(key_hash, None)
        return None, generation
    instance = copy.copy(client)
    instance._touchstone_project_ids = project_ids
    return instance, generation


def put(key_hash: str, client, project_ids: list[int], generation) -> None:
    if generation is _UNKNOWN or ttl_seconds() <= 0:
        return
    with _lock:
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()
        stored = copy.copy(client)
        stored.__dict__.pop("_touchstone_project_ids", None)
        _entries[key_hash] = (generation, time.time(), stored, list(project_ids))


def touch(key_hash: str, last_used_at) -> None:
    """Record the last-used stamp just written, so that this worker writes it at most once a minute."""
    entry = _entries.get(key_hash)
    if entry is not None:
        entry[2].last_used_at = last_used_at
