"""schemathesis against /api/schema/ through the WSGI app, for each kind of caller: an API client
(key scoped to project A), and staff sessions of several roles. Every check schemathesis has
(``checks all``), a few examples per operation (CI time): no 5xx, every response matches the schema.

Two checks are excluded, on purpose and narrowly:
- ``positive_data_acceptance`` / ``negative_data_rejection``: the schema's query and body types are
  looser than the filtersets and serializers (e.g. ``page_size=0`` or ``severity=0.5`` are
  "schema-valid" and refused with 400; an empty ``?to=`` is "schema-invalid" and ignored). Both
  are 4xx/2xx answers, never a crash; the not-a-5xx and response-conformance checks still run.
- A path that no URL pattern matches (``/api/v1/units/null,null/``: the int converter refuses it)
  gets Django's plain 404 page, not the API's JSON: its Content-Type is not checked.
"""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
)

# Not crm_site.wsgi: get_wsgi_application() runs django.setup() again, which re-applies LOGGING and
# drops the whole-run log capture (tests/security/log_capture.py) from the root logger.
application = WSGIHandler()
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)

CSRF = "a" * 32  # a session caller sends the same secret as cookie and header (Django's double submit)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The WSGI handler closes the database connection after each request; the test's
    transaction lives on it. Django's test client disconnects the same handlers."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def callers(project, other_project):
    """name -> request headers for each kind of caller."""
    from django.test import Client

    from estates.models import Role
    from tests.factories import UserFactory, api_client_with_key

    _client, key = api_client_with_key(name="sales-a", project_codes=[project.code])
    headers = {"api client": {"Authorization": f"Token {key}"}}
    for role in (Role.CR_STAFF, Role.CR_MANAGER, Role.GROUP_CENTRE):
        user = UserFactory(role=role, projects=[project] if role != Role.GROUP_CENTRE else [])
        web = Client()
        web.force_login(user)
        session = web.cookies["sessionid"].value
        headers[str(role)] = {"Cookie": f"sessionid={session}; csrftoken={CSRF}", "X-CSRFToken": CSRF}
    return headers


@schema.parametrize()
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
@pytest.mark.django_db
def test_the_api_answers_every_caller_without_5xx_and_as_documented(case, callers):
    for _name, headers in callers.items():
        response = case.call(headers=headers)
        assert response.status_code < 500, (_name, case.method, case.formatted_path, response.status_code)
        excluded = [positive_data_acceptance, negative_data_rejection]
        if response.status_code == 404 and not _resolves(response.request.path_url.split("?")[0]):
            excluded.append(content_type_conformance)
        case.validate_response(response, excluded_checks=excluded, headers=headers)


def _resolves(path: str) -> bool:
    from urllib.parse import unquote

    try:
        resolve(unquote(path))
    except Resolver404:
        return False
    return True
