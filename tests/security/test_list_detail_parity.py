"""Issue 10, item 2: every list, search, export, count and dashboard lists exactly what detail shows.

For each actor (staff of project A, a manager of A, the group centre who sees every project, an
API client scoped to A) and each list route of the matrix (``tests/security/listings.py``): the ids
the list shows equal the set of objects whose detail route answers 200 to the same actor, and
every count it shows equals the number of those objects. The fixture holds objects of every kind
in both projects (every registered scope factory, run for A and for B).
"""

from __future__ import annotations

import io
import re
from collections import Counter
from urllib.parse import parse_qsl, urlencode, urlsplit

import openpyxl
import pytest
import time_machine
from django.apps import apps
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from rest_framework.test import APIClient

from estates.models import Role
from tests.factories import ContractFactory, CustomerFactory, UnitFactory, UserFactory, api_client_with_key

from .listings import Count
from .routes import all_routes, list_routes, registered_factories, registered_listings, registered_not_lists

NOW = "2026-06-01 10:00 +0800"
ACTORS = ["staff of A", "manager of A", "group centre", "API client of A"]


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def portfolio(clock, project, other_project):
    """Objects of every kind in both projects: every distinct scope factory, once per project."""
    from touchpoints.services import contact_log

    makers = {id(make): make for make in registered_factories().values()}
    shared = CustomerFactory()  # owns in both projects: listed for both, by customer, never by B's rows
    clerk = UserFactory(role=Role.GROUP_CENTRE)
    for p in (project, other_project):
        for customer in (CustomerFactory(), CustomerFactory(), shared):
            ContractFactory(unit=UnitFactory(building__project=p), customers=[customer])
            contact_log(actor=clerk, customer=customer, project=p, channel="phone", direction="inbound", summary="回访")
        for make in makers.values():
            make(p)


def _actor(who, project):
    if who == "API client of A":
        _client, key = api_client_with_key(name="sales-a", project_codes=[project.code])
        caller = APIClient()
        caller.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return caller
    role, projects = {
        "staff of A": (Role.CR_STAFF, [project]),
        "manager of A": (Role.CR_MANAGER, [project]),
        "group centre": (Role.GROUP_CENTRE, []),
    }[who]
    caller = Client()
    caller.force_login(UserFactory(role=role, projects=projects))
    return caller


def _with_query(path: str, **params) -> str:
    parts = urlsplit(path)
    query = dict(parse_qsl(parts.query))
    query.update(params)
    return f"{parts.path}?{urlencode(query)}" if query else parts.path


def _pages(caller, path: str, read: str):
    """Every page of a list (JSON ``next`` links; HTML ``?page=`` links of the same path)."""
    if read == "json":
        url = _with_query(path, page_size=200)
        while url:
            response = caller.get(url)
            yield response
            data = response.json() if response.status_code == 200 else None
            url = data.get("next") if isinstance(data, dict) else None
        return
    seen, todo = set(), [path]
    while todo:
        url = todo.pop(0)
        seen.add(url)
        response = caller.get(url)
        yield response
        if read in ("links", "data-id") and response.status_code == 200:
            base = urlsplit(path).path
            for href in re.findall(r'href="([^"#]*[?&](?:amp;)?page=\d+[^"#]*)"', response.content.decode()):
                href = href.replace("&amp;", "&")
                if href.startswith("?"):
                    href = base + href
                if urlsplit(href).path == base and href not in seen and href not in todo:
                    todo.append(href)


def _listed(caller, path: str, entry) -> tuple[list, list]:
    """(values the list shows, its responses)."""
    values, responses = [], []
    for response in _pages(caller, path, entry.read):
        responses.append(response)
        if response.status_code != 200:
            continue
        if entry.read == "json":
            data = response.json()
            rows = data.get("results", data) if isinstance(data, dict) else data
            values += [row[entry.key] for row in rows]
        elif entry.read == "links":
            for href in re.findall(r'href="([^"?#]+)', response.content.decode()):
                try:
                    match = resolve(href)
                except Resolver404:
                    continue
                if match.view_name == entry.detail:
                    values.append(next(iter(match.kwargs.values())))
        elif entry.read == "data-id":
            values += re.findall(r'data-id="([^"]+)"', response.content.decode())
        elif entry.read == "xlsx":
            book = openpyxl.load_workbook(io.BytesIO(response.getvalue()), read_only=True)  # streamed or not
            rows = list(book.worksheets[0].iter_rows(values_only=True))[1:]
            values += [row[entry.column] for row in rows if any(cell is not None for cell in row)]
    return values, responses


def _reachable(caller, entry) -> list:
    """The objects of the entry's model whose detail route answers 200 to the caller."""
    model = apps.get_model(entry.model)
    objects = []
    for obj in model._default_manager.all():
        if caller.get(reverse(entry.detail, kwargs=entry.kwargs(obj))).status_code == 200:
            objects.append(obj)
    return objects


def _norm(values) -> list[str]:
    return [str(v) for v in values]


def _check(route, entry, caller, reachable) -> list[str]:
    """The problems of one list route for one actor (empty when listed == reachable)."""
    problems = []
    if isinstance(entry, Count):
        response = caller.get(route.path + entry.query)
        if response.status_code != 200:
            return [f"{route}: answered {response.status_code}"]
        for label, (reader, keep) in entry.counts.items():
            expected = len([o for o in reachable if keep is None or keep(o)])
            shown = reader(response)
            if shown != expected:
                problems.append(f"{route}: {label} shows {shown}, {expected} reachable")
        return problems
    listed, responses = _listed(caller, route.path + entry.query, entry)
    if responses[0].status_code != 200:
        return [f"{route}: answered {responses[0].status_code}"]
    expected = [entry.value(o) for o in reachable if entry.include is None or entry.include(o)]
    if entry.multiset:
        if Counter(_norm(listed)) != Counter(_norm(expected)):
            problems.append(
                f"{route}: listed {sorted(Counter(_norm(listed)).items())}, reachable {sorted(Counter(_norm(expected)).items())}"
            )
    else:
        extra, missing = set(_norm(listed)) - set(_norm(expected)), set(_norm(expected)) - set(_norm(listed))
        if extra or missing:
            problems.append(f"{route}: listed but not reachable {sorted(extra)}, reachable but not listed {sorted(missing)}")
    first = responses[0].json() if entry.read == "json" else None
    if isinstance(first, dict) and "count" in first and first["count"] != len(expected):
        problems.append(f"{route}: count {first['count']}, {len(expected)} reachable")
    return problems


def _routes_for(who):
    routes = []
    for route in list_routes():
        found = registered_listings().get(route.name)
        for entry in found if isinstance(found, tuple) else (found,) if found else ():
            if who == "API client of A":
                if not route.is_api:
                    continue  # an API client opens the API only
                entry = getattr(entry, "for_clients", None) or entry
            routes.append((route, entry))
    return routes


@pytest.mark.parametrize("who", ACTORS)
def test_every_list_shows_exactly_the_objects_detail_shows(who, portfolio, project, other_project):
    caller = _actor(who, project)
    problems, empty = [], []
    for route, entry in _routes_for(who):
        reachable = _reachable(caller, entry)
        problems += _check(route, entry, caller, reachable)
        if not reachable:
            empty.append(str(route))
    assert problems == []
    # The comparison means something: every list has rows for the actor, from both projects for the group.
    assert empty == []
    seen = {c.project_id for c in _reachable(caller, registered_listings()["api-complaint-list"])}
    assert seen == ({project.pk, other_project.pk} if who == "group centre" else {project.pk})


def test_every_list_route_is_registered():
    """A new list, search, export, count or dashboard route fails here until it is in listings.py."""
    known = registered_listings().keys() | registered_not_lists().keys()
    missing = sorted(str(r) for r in list_routes() if r.name not in known)
    assert missing == []


def test_the_registry_names_real_routes_and_models():
    names = {r.name for r in list_routes()}
    assert sorted(set(registered_listings()) - names) == []
    every_name = {r.name for r in all_routes()}
    for found in registered_listings().values():
        for entry in found if isinstance(found, tuple) else (found,):
            apps.get_model(entry.model)  # raises for a misspelt model
            assert entry.detail in every_name, entry.detail
