"""API keys (hashed, revocable, expiring, never in the URL) and sessions that die with the account's trust."""

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from estates.models import ApiClient
from estates.services import api_client_revoke
from tests.factories import api_client_with_key


def _token(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_api_keys_are_stored_only_as_a_sha256_hash(project):
    client, key = api_client_with_key(project_codes=[project.code])
    row = ApiClient.objects.values().get(pk=client.pk)
    assert row["key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    assert key not in {str(v) for v in row.values()}
    assert row["key_prefix"] == key[:8]


def test_a_revoked_key_is_refused_from_the_next_request(project):
    client, key = api_client_with_key(project_codes=[project.code])
    assert _token(key).get("/api/v1/projects/").status_code == 200
    api_client_revoke(client=client)
    assert _token(key).get("/api/v1/projects/").status_code == 401


def test_a_key_is_refused_once_it_expires(project):
    _client, key = api_client_with_key(project_codes=[project.code], expires_at=timezone.now() + timedelta(hours=1))
    assert _token(key).get("/api/v1/projects/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(hours=1, seconds=1)):
        assert _token(key).get("/api/v1/projects/").status_code == 401


@pytest.mark.parametrize("param", ["token", "key", "api_key", "access_token"])
def test_a_key_in_the_query_string_is_refused_even_when_valid(project, param):
    _client, key = api_client_with_key(project_codes=[project.code])
    assert APIClient().get(f"/api/v1/projects/?{param}={key}").status_code == 401
    assert _token(key).get(f"/api/v1/projects/?{param}={key}").status_code == 401


def _logged_in_cookie(user) -> str:
    client = Client()
    assert client.login(username=user.username, password="pass-Touchstone-1")
    return client.cookies["sessionid"].value


def _with_cookie(cookie: str) -> Client:
    client = Client()
    client.cookies["sessionid"] = cookie
    return client


def test_a_session_copied_before_logout_is_dead_after_it(staff):
    cookie = _logged_in_cookie(staff)
    assert _with_cookie(cookie).get("/projects/").status_code == 200
    _with_cookie(cookie).post("/accounts/logout/")
    assert _with_cookie(cookie).get("/projects/").status_code == 302
    assert _with_cookie(cookie).get("/api/v1/projects/").status_code in (401, 403)


def test_a_session_copied_before_a_password_change_is_dead_after_it(staff):
    cookie = _logged_in_cookie(staff)
    assert _with_cookie(cookie).get("/projects/").status_code == 200
    staff.set_password("another-Touchstone-2")
    staff.save(update_fields=["password"])
    assert _with_cookie(cookie).get("/projects/").status_code == 302
    assert _with_cookie(cookie).get("/api/v1/projects/").status_code in (401, 403)


def test_a_session_copied_before_deactivation_is_dead_after_it(staff):
    cookie = _logged_in_cookie(staff)
    assert _with_cookie(cookie).get("/api/v1/projects/").status_code == 200
    staff.is_active = False
    staff.save(update_fields=["is_active"])
    assert _with_cookie(cookie).get("/projects/").status_code == 302
    assert _with_cookie(cookie).get("/api/v1/projects/").status_code in (401, 403)
