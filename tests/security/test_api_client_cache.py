"""API clients cached per worker (estates/api_client_cache.py, issue 9): revocation and scope
changes still take effect from the next request in every worker; a change behind the services'
back within API_CLIENT_CACHE_SECONDS; expiry is never cached."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from estates import api_client_cache
from estates.models import ApiClient
from estates.services import api_client_revoke
from tests.factories import ProjectFactory, api_client_with_key

pytestmark = pytest.mark.django_db


def _token(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _client_queries(queries) -> int:
    return sum('"estates_apiclient"' in q["sql"] and q["sql"].startswith("SELECT") for q in queries)


def test_a_cached_key_needs_no_query_for_the_client_or_its_projects(project):
    _client, key = api_client_with_key(project_codes=[project.code])
    assert _token(key).get("/api/v1/projects/").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert _token(key).get("/api/v1/projects/").status_code == 200
    assert _client_queries(queries) == 0
    assert not any('"estates_project"."code" IN' in q["sql"] for q in queries)  # the scope ids


def _stale_entry_of_another_worker(key):
    """What a worker that served the key before the change still holds in its memory."""
    key_hash = ApiClient.hash_key(key)
    return key_hash, dict(api_client_cache._entries)[key_hash]


def test_revocation_reaches_a_worker_holding_the_client_from_its_next_request(project):
    client, key = api_client_with_key(project_codes=[project.code])
    assert _token(key).get("/api/v1/projects/").status_code == 200
    key_hash, entry = _stale_entry_of_another_worker(key)
    api_client_revoke(client=client)
    api_client_cache._entries[key_hash] = entry  # the other worker's memory survives the revocation
    assert _token(key).get("/api/v1/projects/").status_code == 401


def test_a_narrowed_scope_reaches_a_worker_holding_the_client_from_its_next_request(project, other_project):
    client, key = api_client_with_key(project_codes=[project.code, other_project.code])
    assert len(_token(key).get("/api/v1/projects/").json()["results"]) == 2
    key_hash, entry = _stale_entry_of_another_worker(key)
    client.project_codes = [other_project.code]
    client.save()
    api_client_cache._entries[key_hash] = entry
    assert [p["code"] for p in _token(key).get("/api/v1/projects/").json()["results"]] == [other_project.code]


def test_a_project_created_for_a_cached_client_is_visible_at_once(project):
    _client, key = api_client_with_key(project_codes=[project.code, "NEW-X"])
    assert len(_token(key).get("/api/v1/projects/").json()["results"]) == 1
    ProjectFactory(code="NEW-X")
    assert len(_token(key).get("/api/v1/projects/").json()["results"]) == 2


def test_a_revocation_behind_the_services_back_is_honoured_within_the_bound(project, settings):
    settings.API_CLIENT_CACHE_SECONDS = 30
    client, key = api_client_with_key(project_codes=[project.code])
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert _token(key).get("/api/v1/projects/").status_code == 200
        ApiClient.objects.filter(pk=client.pk).update(revoked_at=timezone.now())  # no signal, no service
        clock.shift(timedelta(seconds=29))
        assert _token(key).get("/api/v1/projects/").status_code == 200  # the documented bound
        clock.shift(timedelta(seconds=1))
        assert _token(key).get("/api/v1/projects/").status_code == 401


def test_expiry_is_checked_on_every_request_even_when_cached(project):
    _client, key = api_client_with_key(project_codes=[project.code], expires_at=timezone.now() + timedelta(seconds=5))
    assert _token(key).get("/api/v1/projects/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(seconds=6)):
        assert _token(key).get("/api/v1/projects/").status_code == 401


def test_an_unreachable_cache_reads_the_client_from_the_database(project, monkeypatch):
    client, key = api_client_with_key(project_codes=[project.code])
    assert _token(key).get("/api/v1/projects/").status_code == 200

    def broken(*_args, **_kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(api_client_cache.cache, "get", broken)
    monkeypatch.setattr(api_client_cache.cache, "set", broken)
    with CaptureQueriesContext(connection) as queries:
        assert _token(key).get("/api/v1/projects/").status_code == 200
    assert _client_queries(queries) == 1
    ApiClient.objects.filter(pk=client.pk).update(revoked_at=timezone.now())
    assert _token(key).get("/api/v1/projects/").status_code == 401
