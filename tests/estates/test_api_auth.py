"""API authentication: ``Authorization: Token <key>`` only, hashed keys, revocation and expiry."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from estates.models import ApiClient
from estates.services import api_client_revoke
from tests.factories import api_client_with_key

pytestmark = pytest.mark.django_db

URL = "/api/v1/projects/"


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_valid_token_is_accepted(api, project):
    response = api.get(URL)

    assert response.status_code == 200
    assert [p["code"] for p in response.json()["results"]] == ["SZ-GG"]


def test_no_token_is_401_with_a_challenge(db):
    response = APIClient().get(URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize(
    "header",
    ["Token not-a-key", "Token", "Token a b", "Bearer something", "Token \u00e9\u00e9"],
    ids=["unknown key", "no key", "two parts", "other scheme", "non-ascii"],
)
def test_a_bad_token_is_401(db, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    assert client.get(URL).status_code == 401


def test_a_revoked_token_is_401(api_client_key):
    client, key = api_client_key
    api_client_revoke(client=client)

    assert with_token(key).get(URL).status_code == 401


def test_an_expired_token_is_401(db):
    _client, key = api_client_with_key(project_codes=["SZ-GG"], expires_at=timezone.now() - timedelta(seconds=1))

    assert with_token(key).get(URL).status_code == 401


def test_a_token_that_has_not_expired_yet_works(db):
    _client, key = api_client_with_key(project_codes=["SZ-GG"], expires_at=timezone.now() + timedelta(days=1))

    assert with_token(key).get(URL).status_code == 200


@pytest.mark.parametrize("param", ["token", "key", "api_key", "access_token"])
def test_a_token_in_the_query_string_is_refused(api_client_key, param):
    _client, key = api_client_key

    response = APIClient().get(URL, {param: key})

    assert response.status_code == 401


def test_a_token_in_the_query_string_is_refused_even_with_a_valid_header(api, api_client_key):
    response = api.get(URL, {"token": api_client_key[1]})

    assert response.status_code == 401


def test_revoking_twice_keeps_the_first_time(api_client_key):
    client, _key = api_client_key
    first = api_client_revoke(client=client).revoked_at

    assert api_client_revoke(client=client).revoked_at == first


def test_create_api_client_prints_only_the_key_and_the_key_works(project):
    out, err = StringIO(), StringIO()

    call_command("create_api_client", "crm-sales", "--projects", "SZ-GG,NEW-1", stdout=out, stderr=err)

    key = out.getvalue()
    assert key.endswith("\n")
    key = key.strip()
    assert key.isprintable()
    assert " " not in key
    assert len(key) >= 32
    assert err.getvalue() == ""
    client = ApiClient.objects.get(name="crm-sales")
    assert client.project_codes == ["NEW-1", "SZ-GG"]
    assert with_token(key).get(URL).json()["count"] == 1


def test_create_api_client_stores_only_a_hash_of_the_key(db):
    out = StringIO()
    call_command("create_api_client", "crm-sales", "--projects", "SZ-GG", stdout=out)
    key = out.getvalue().strip()

    client = ApiClient.objects.get(name="crm-sales")
    assert client.key_hash == ApiClient.hash_key(key) != key
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiClient._meta.db_table}")  # noqa: S608 - a constant table name
        row = cursor.fetchone()
    assert not any(key in str(value) for value in row)


def test_create_api_client_refuses_a_duplicate_name(db):
    call_command("create_api_client", "crm-sales", "--projects", "SZ-GG", stdout=StringIO())

    with pytest.raises(CommandError):
        call_command("create_api_client", "crm-sales", "--projects", "SZ-GG", stdout=StringIO())
    assert ApiClient.objects.count() == 1


def test_create_api_client_needs_a_project(db):
    with pytest.raises(CommandError):
        call_command("create_api_client", "crm-sales", "--projects", " , ", stdout=StringIO())
    assert ApiClient.objects.count() == 0
