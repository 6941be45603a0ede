"""The route matrix: every URL the project serves, read from the URL configuration.

A new route is in the matrix the moment it is mounted. Object routes (those with kwargs) need a
*scope factory*: a function ``make(project) -> url kwargs`` that creates an object of ``project``
and returns the kwargs that address it. Estates' factories are below; each feature app adds its
own in ``tests/<app>/scope_factories.py``::

    FACTORIES = {"complaints:complaint-detail": make_complaint, "api-complaint-detail": make_complaint}
    PUBLIC = {"satisfaction:public-survey"}   # token pages anyone may open (optional)
    UNSCOPED = {"risk:template-detail": "group-wide catalogue"}   # object routes of no project (with why)

``test_every_object_route_has_a_scope_factory`` fails for an object route nobody registered.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.urls import URLResolver, get_resolver
from django.utils.regex_helper import normalize

# Routes anyone may use. Token pages for owners are public by name: "public-..." (any namespace).
PUBLIC_NAMES = {"login", "logout", "set_language", "healthz", "api-schema", "api-docs", "admin:login", "admin:logout"}
PUBLIC_NAME_PREFIX = "public-"

SAMPLES = {"int": "987654", "str": "no-such-thing", "slug": "no-such-thing", "path": "987654",
           "uuid": "00000000-0000-0000-0000-000000000000"}
_CONVERTER = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>\w+)>")


@dataclass(frozen=True)
class Route:
    name: str | None  # "namespace:url_name", or None for unnamed admin redirects
    path: str  # a concrete path with sample values in place of the kwargs
    kwargs: dict = field(default_factory=dict, hash=False, compare=False)  # kwarg name -> converter

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def is_admin(self) -> bool:
        return self.path.startswith("/admin/")

    @property
    def url_name(self) -> str:
        return (self.name or "").rsplit(":", 1)[-1]

    def __str__(self):
        return f"{self.name or '-'} {self.path}"


def _piece(pattern) -> tuple[str, dict]:
    if hasattr(pattern, "_route"):
        kwargs = {}

        def fill(m):
            conv = m.group("conv") or "str"
            kwargs[m.group("name")] = conv
            return SAMPLES.get(conv, "987654")

        return _CONVERTER.sub(fill, str(pattern._route)), kwargs
    fmt, params = normalize(pattern.regex.pattern)[0]
    return fmt % dict.fromkeys(params, SAMPLES["int"]), dict.fromkeys(params, "regex")


def _walk(resolver, prefix: str, namespaces: list[str], kwargs: dict):
    for p in resolver.url_patterns:
        piece, found = _piece(p.pattern)
        if isinstance(p, URLResolver):
            ns = [*namespaces, p.namespace] if p.namespace else namespaces
            yield from _walk(p, prefix + piece, ns, {**kwargs, **found})
        else:
            name = ":".join([*namespaces, p.name]) if p.name else None
            yield Route(name=name, path="/" + prefix + piece, kwargs={**kwargs, **found})


def all_routes() -> list[Route]:
    seen, routes = set(), []
    for route in _walk(get_resolver(), "", [], {}):
        if route.path not in seen:
            seen.add(route.path)
            routes.append(route)
    return routes


def _app_modules() -> list:
    return [
        importlib.import_module(f"tests.{module_file.parent.name}.scope_factories")
        for module_file in sorted(Path(__file__).resolve().parents[1].glob("*/scope_factories.py"))
        if module_file.parent.name != "security"
    ]


def _app_registrations() -> tuple[dict[str, Callable], set[str], dict[str, str], dict[str, str]]:
    factories, public, unscoped, roles = dict(ESTATES_FACTORIES), set(), {}, {}
    for module in _app_modules():
        factories.update(getattr(module, "FACTORIES", {}))
        public |= set(getattr(module, "PUBLIC", ()))
        unscoped.update(getattr(module, "UNSCOPED", {}))
        roles.update(getattr(module, "ROLES", {}))  # routes only a given role may open on its own project
    return factories, public, unscoped, roles


def is_public(route: Route) -> bool:
    return route.name in PUBLIC_NAMES or route.name in registered_public() or route.url_name.startswith(PUBLIC_NAME_PREFIX)


def protected_routes() -> list[Route]:
    return [r for r in all_routes() if not is_public(r)]


def object_routes() -> list[Route]:
    """Non-admin, non-public routes that address one object through their kwargs."""
    return [r for r in protected_routes() if r.kwargs and not r.is_admin]


def list_routes() -> list[Route]:
    """Non-admin, non-public routes without kwargs (lists, dashboards, forms)."""
    return [r for r in protected_routes() if not r.kwargs and not r.is_admin]


# --- estates' scope factories ---------------------------------------------------------------------


def make_project(project) -> dict:
    return {"code": project.code}


def make_customer(project) -> dict:
    from tests.factories import ContractFactory, UnitFactory

    contract = ContractFactory(unit=UnitFactory(building__project=project))
    return {"pk": contract.customers.get().pk}


def make_unit(project) -> dict:
    from tests.factories import UnitFactory

    return {"pk": UnitFactory(building__project=project).pk}


ESTATES_FACTORIES: dict[str, Callable] = {
    "estates:project-detail": make_project,
    "api-project-detail": make_project,
    "estates:customer-detail": make_customer,
    "api-customer-detail": make_customer,
    "api-unit-detail": make_unit,
}

_REGISTRY: tuple[dict, set, dict, dict] | None = None


def registered_factories() -> dict[str, Callable]:
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = _app_registrations()
    return _REGISTRY[0]


def registered_public() -> set[str]:
    registered_factories()
    return _REGISTRY[1]


def registered_unscoped() -> dict[str, str]:
    """Object routes that address nothing of a project (group-wide catalogues), with the reason."""
    registered_factories()
    return _REGISTRY[2]


def registered_listings() -> dict:
    """List routes and how to read them (tests/security/listings.py, plus apps' ``LISTINGS``)."""
    from .listings import LISTINGS

    found = dict(LISTINGS)
    for module in _app_modules():
        found.update(getattr(module, "LISTINGS", {}))
    return found


def registered_not_lists() -> dict[str, str]:
    """Routes without an object id that list no project data, with the reason."""
    from .listings import NOT_LISTS

    found = dict(NOT_LISTS)
    for module in _app_modules():
        found.update(getattr(module, "NOT_LISTS", {}))
    return found


def registered_roles() -> dict[str, str]:
    """The role the scope test's staff member needs for a route (default: customer-relations staff)."""
    registered_factories()
    return _REGISTRY[3]


def missing_kwargs(kwargs: dict) -> dict:
    """Kwargs naming an object that does not exist (same shape as a real one)."""
    return {name: (2_000_000_000 if conv == "int" else "NO-SUCH-OBJECT") for name, conv in kwargs.items()}
