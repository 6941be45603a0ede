"""Filter and ordering keys come only from explicit lists: unknown or hidden keys change nothing.

Every list endpoint and every page without kwargs in the matrix is asked once plainly and once
with each hostile query. Two answers are safe: the same ids in the same order (API) or the same
page (HTML, CSRF token removed) -- the key was ignored; or a 4xx that refuses the key and carries
no row data (no ``results``, none of the listed ids' rows, no hidden values). Anything else fails.
"""

import re

import pytest
import time_machine
from django.test import Client

from estates.models import Customer, Role, User
from tests.factories import ContractFactory, CustomerFactory, UnitFactory, UserFactory

from .routes import list_routes, registered_factories

HOSTILE = [
    "ordering=assignee__password",
    "ordering=-customer__id_number",
    "customer__id_number__startswith=1",
    "phone__startswith=1",
    "password=x",
    "project__staff__password__startswith=p",
]


@pytest.fixture
def portfolio(project, other_project):
    """Several rows of every kind in both projects, in an order no hidden key would keep."""
    for p, n in ((project, 3), (other_project, 2)):
        for i in range(n):
            customer = CustomerFactory(phone=f"1390000{i:04d}", id_number=f"44030519900101{i:03d}X"[:18])
            ContractFactory(unit=UnitFactory(building__project=p), customers=[customer])
        for make in registered_factories().values():
            make(p)


def _fingerprint(response, query=""):
    content_type = response["Content-Type"]
    if content_type.startswith("application/json"):
        data = response.json()
        rows = data.get("results", data) if isinstance(data, dict) else data
        return [row.get("id", row.get("code")) if isinstance(row, dict) else row for row in rows] if isinstance(rows, list) else rows
    if "spreadsheetml" in content_type:  # an Excel export: compare the cells of every sheet
        import io

        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(response.getvalue()), read_only=True)  # streamed or not
        return [[list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets]
    html = response.content.decode()
    if query:  # the page may echo the query string in its links (pagination, export): remove it
        for echoed in (f"?{query}&amp;", f"?{query}&"):
            html = html.replace(echoed, "?")
        html = html.replace(f"&amp;{query}", "").replace(f"&{query}", "").replace(f"?{query}", "?")
    html = html.replace('?"', '"')  # an empty query string in a link
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def _hidden_values() -> list[str]:
    """Values a leaking key could reveal: password hashes, full ID numbers and phones."""
    values = [u.password for u in User.objects.exclude(password="")]
    for phone, id_number in Customer.objects.values_list("phone", "id_number"):
        values += [v for v in (phone, id_number) if v]
    return values


def _assert_refused_without_rows(response, query):
    assert 400 <= response.status_code < 500, (query, response.status_code)
    body = response.content.decode()
    if response["Content-Type"].startswith("application/json"):
        data = response.json()
        assert not (isinstance(data, dict) and "results" in data), (query, body[:300])
        assert not isinstance(data, list) or all(not isinstance(row, dict) for row in data), (query, body[:300])
    else:
        assert "<table" not in body, (query, "a refused page must not list rows")
    leaked = [v for v in _hidden_values() if v in body]
    assert not leaked, (query, "hidden values in the refusal")


@pytest.mark.parametrize("route", list(list_routes()), ids=str)
def test_unlisted_filter_and_ordering_keys_change_nothing(route, portfolio, project):
    caller = Client()
    caller.force_login(UserFactory(role=Role.GROUP_CENTRE))
    with time_machine.travel("2026-06-01 10:00 +0800", tick=False):
        plain = caller.get(route.path)
        if plain.status_code != 200:
            pytest.skip(f"GET answers {plain.status_code}: not a list")
        expected = _fingerprint(plain)
        for query in HOSTILE:
            response = caller.get(f"{route.path}?{query}")
            if response.status_code == 200:
                assert _fingerprint(response, query) == expected, query
            else:
                _assert_refused_without_rows(response, query)


def test_the_customer_api_lists_rows_so_the_comparison_means_something(portfolio, group_user):
    caller = Client()
    caller.force_login(group_user)
    assert len(caller.get("/api/v1/customers/").json()["results"]) >= 5
