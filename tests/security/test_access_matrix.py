"""The role × route × method matrix, built from the URL configuration (tests/security/routes.py).

Anonymous callers are refused on every non-public route; staff of project A get, for project B's
objects, exactly the 404 a missing id gets, and nothing changes in the database; every refusal
writes one SecurityEvent.
"""

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from estates.models import Role, SecurityEvent
from tests.factories import UserFactory, api_client_with_key

from .conftest import database_counts, redirect_path
from .routes import all_routes, missing_kwargs, object_routes, protected_routes, registered_factories

ADMIN_ROUTES = [r for r in all_routes() if r.is_admin and r.name not in ("admin:login", "admin:logout")]


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("route", protected_routes(), ids=str)
def test_anonymous_callers_are_refused_on_every_protected_route(db, client, login_paths, route, method):
    response = getattr(client, method)(route.path)
    if route.is_api:
        assert response.status_code in (401, 403), response.content[:200]
    elif response.status_code != 405:
        assert response.status_code == 302, response.content[:200]
        assert redirect_path(response) in login_paths
    if response.status_code != 405:
        assert SecurityEvent.objects.count() == 1


def test_the_matrix_covers_the_estates_routes():
    names = {r.name for r in protected_routes()}
    assert {"home", "estates:project-list", "estates:customer-detail", "api-customer-detail", "api-sync-contracts",
            "admin:index"} <= names
    assert "login" not in names and "api-schema" not in names


def test_every_object_route_has_a_scope_factory():
    """An object route nobody registered in tests/<app>/scope_factories.py would escape the scope test."""
    missing = sorted(str(r) for r in object_routes() if r.name not in registered_factories())
    assert missing == []


def _body(response, path: str) -> str:
    # The same body whatever the id: remove the path itself (a page may echo it) before comparing.
    text = response.content.decode(errors="replace").replace(path, "<path>")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)


def _callers(route, staff):
    web = __import__("django.test", fromlist=["Client"]).Client()
    web.force_login(staff)
    callers = [("staff", web)]
    if route.is_api:
        _client, key = api_client_with_key(name="sales-a", project_codes=[p.code for p in staff.projects.all()])
        token = APIClient()
        token.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        callers.append(("api client", token))
    return callers


@pytest.mark.parametrize("route", object_routes(), ids=str)
def test_staff_of_project_a_get_the_missing_id_404_for_project_b_objects(route, staff, project, other_project):
    make = registered_factories().get(route.name)
    if make is None:
        pytest.skip("no scope factory registered (test_every_object_route_has_a_scope_factory fails)")
    own = reverse(route.name, kwargs=make(project))
    foreign = reverse(route.name, kwargs=make(other_project))
    missing = reverse(route.name, kwargs=missing_kwargs(route.kwargs))
    for who, caller in _callers(route, staff):
        assert caller.get(own).status_code == 200, who
        before = database_counts()
        for method in ("get", "post"):
            SecurityEvent.objects.all().delete()
            got, absent = getattr(caller, method)(foreign), getattr(caller, method)(missing)
            expected = {404} if method == "get" else {404, 405}
            assert got.status_code in expected, (who, method, got.status_code)
            assert (got.status_code, _body(got, foreign)) == (absent.status_code, _body(absent, missing)), (who, method)
            if got.status_code == 404:
                event = SecurityEvent.objects.order_by("pk").first()
                assert SecurityEvent.objects.count() == 2  # one for the foreign object, one for the missing one
                assert (event.kind, event.status_code, event.method, event.path) == ("not_found", 404, method.upper(), foreign)
                assert event.object_id and event.object_id in foreign and event.actor_id is not None
        assert database_counts() == before, who


@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=str)
def test_staff_who_are_not_administrators_are_sent_to_the_admin_login(route, client, project, login_paths):
    client.force_login(UserFactory(role=Role.CR_MANAGER, projects=[project]))
    response = client.get(route.path)
    assert response.status_code == 302
    assert redirect_path(response) in login_paths
