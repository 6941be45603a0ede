"""The list registry: every list, search, export, count and dashboard route, and how to read it.

Built on the route matrix (``routes.list_routes()``: every non-admin, non-public route without an
object id). Each such route is either a ``Listing`` here -- how to pull ids out of its answer and
which detail route serves the same objects -- or named in ``NOT_LISTS`` with the reason it lists
no project data. ``test_every_list_route_is_registered`` fails for a route in neither, so a new
list is covered the moment it is mounted.

Apps may add their own in ``tests/<app>/scope_factories.py`` (``LISTINGS = {...}`` and
``NOT_LISTS = {...}``); the central entries below cover what existed when the registry was built.

A ``Listing`` says:

- ``model``: the listed objects (``app_label.Model``); every row of it in the test database is a
  candidate.
- ``detail``: the route that shows one of them; ``kwargs(obj)`` addresses it (default ``pk``).
  An object is *reachable* by an actor when that route answers 200 to the actor.
- ``read``: how to read the ids out of the list's answer --
  ``"json"`` (paginated ``results`` or a bare list, field ``key``, every page followed),
  ``"links"`` (hrefs of the page that resolve to ``detail``, every ``?page=`` followed),
  ``"data-id"`` (``data-id="..."`` attributes on the page's rows),
  ``"xlsx"`` (column ``column`` of the first sheet, header row skipped).
- ``value(obj)``: what the list shows for a reachable object (default its pk; a project code for
  exports that carry no id). With ``multiset=True`` the lists are compared as counts per value
  (an export row per object, identified only by its project).
- ``query``: appended to the path (``?status=all`` where the default view hides closed rows).
- ``include(obj)``: only objects it accepts are meant to be listed (a default filter of the page).
  A paginated JSON answer's ``count`` must equal the number of those objects.

``Count`` entries are pages/endpoints that show only numbers: each number must equal the count of
reachable objects of a model (optionally filtered).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


def _pk(obj):
    return obj.pk


def _pk_kwargs(obj) -> dict:
    return {"pk": obj.pk}


def _code_kwargs(obj) -> dict:
    return {"code": obj.code}


def _project_code(obj) -> str:
    return obj.project.code


def _project_kwargs(obj) -> dict:
    return {"code": obj.project.code}


@dataclass(frozen=True)
class Listing:
    model: str
    detail: str
    read: str  # json | links | data-id | xlsx
    key: str = "id"
    column: int = 0
    kwargs: Callable = _pk_kwargs
    value: Callable = _pk
    multiset: bool = False
    query: str = ""
    include: Callable | None = None  # a predicate: only these objects are meant to be listed
    for_clients: Listing | None = None  # how an API client reads it, when its detail differs (pages are staff-only)


@dataclass(frozen=True)
class Count:
    """A route that shows numbers: each reader(response) must equal len(reachable objects of model)."""

    model: str
    detail: str
    counts: dict  # label -> (reader(response) -> int, predicate(obj) -> bool or None)
    kwargs: Callable = _pk_kwargs
    query: str = ""


def _attr_sum(name: str):
    """The sum of the numbers a page shows in ``name="N"`` attributes."""

    def read(response):
        return sum(int(n) for n in re.findall(rf'{name}="(\d+)"', response.content.decode()))

    return read


def _json_count(response) -> int:
    return response.json()["count"]


def _path(*keys):
    def read(response):
        data = response.json()
        for key in keys:
            data = data[key]
        return data

    return read


def _open_defect(obj) -> bool:
    return obj.status != "closed"


# --- the registry ----------------------------------------------------------------------------------

PROJECT_PAGE = {"model": "estates.Project", "kwargs": _code_kwargs, "value": lambda o: o.code, "key": "code"}

LISTINGS: dict[str, Listing | Count] = {
    # estates
    "api-project-list": Listing(model="estates.Project", detail="api-project-detail", read="json", kwargs=_code_kwargs),
    "api-unit-list": Listing(model="estates.Unit", detail="api-unit-detail", read="json"),
    "api-customer-list": Listing(model="estates.Customer", detail="api-customer-detail", read="json"),
    "estates:project-list": Listing(detail="estates:project-detail", read="links", **PROJECT_PAGE),
    "estates:customer-list": Listing(model="estates.Customer", detail="estates:customer-detail", read="links"),
    "estates:project-list-export": Listing(detail="estates:project-detail", read="xlsx", column=0, **PROJECT_PAGE),
    "estates:customer-list-export": Listing(model="estates.Customer", detail="estates:customer-detail", read="xlsx", column=0),
    # touchpoints
    "api-touchpoint-checks": Listing(
        model="touchpoints.PointCheck", detail="api-project-detail", read="json", kwargs=_project_kwargs
    ),
    # A contact belongs to a project (its customer holds a contract there): reachable with its project.
    "api-contacts": Listing(
        model="touchpoints.CustomerContact", detail="api-project-detail", read="json", kwargs=_project_kwargs
    ),
    "touchpoints:index": Listing(detail="touchpoints:project-checks", read="links", **PROJECT_PAGE),
    # complaints
    "api-complaint-list": Listing(model="complaints.Complaint", detail="api-complaint-detail", read="json"),
    "api-complaint-kpis": Count(
        model="complaints.Complaint", detail="api-complaint-detail", counts={"counts.filed": (_path("counts", "filed"), None)}
    ),
    "complaints:kpis": Count(
        model="complaints.Complaint", detail="complaints:detail", counts={"filed by category": (_attr_sum("data-filed"), None)}
    ),
    "complaints:inbox": Listing(
        model="complaints.Complaint", detail="complaints:detail", read="links", include=lambda o: o.status != "closed"
    ),
    "complaints:inbox-export": Listing(
        model="complaints.Complaint",
        detail="complaints:detail",
        read="xlsx",
        column=0,
        value=lambda o: o.reference or f"#{o.pk}",
        include=lambda o: o.status != "closed",
    ),
    "complaints:cases": Listing(model="complaints.Case", detail="complaints:case", read="links"),
    "complaints:clusters": Listing(
        model="complaints.GroupCluster", detail="complaints:cluster", read="links", include=lambda o: o.complainant_count >= 2
    ),  # the page lists group warnings
    "complaints:cases-export": Listing(model="complaints.Case", detail="complaints:case", read="xlsx", column=0),
    "complaints:clusters-export": Listing(
        model="complaints.GroupCluster",
        detail="complaints:cluster",
        read="xlsx",
        column=0,
        include=lambda o: o.complainant_count >= 2,
    ),
    # defects
    "defects-api-list": Listing(model="defects.Defect", detail="defects-api-detail", read="json"),
    "defects-api-summary": Count(
        model="defects.Defect",
        detail="defects-api-detail",
        counts={"total": (_path("total"), None), "open": (_path("open"), _open_defect)},
    ),
    "defects:index": Listing(model="defects.Defect", detail="defects:detail", read="links"),
    "defects-api-handbook": Listing(
        model="defects.HandbookEntry",
        detail="defects:handbook-detail",
        read="json",
        for_clients=Listing(model="defects.HandbookEntry", detail="api-project-detail", read="json", kwargs=_project_kwargs),
    ),
    "defects:handbook-export": Listing(
        model="defects.HandbookEntry", detail="defects:handbook-detail", read="xlsx", column=0, value=lambda o: o.code
    ),
    "defects:prevention-index": Listing(
        detail="defects:prevention", read="links", include=lambda o: o.stage in ("design", "construction"), **PROJECT_PAGE
    ),
    "defects:meeting-list": Listing(model="defects.ReviewMeeting", detail="defects:meeting-detail", read="links"),
    "defects:index-export": Listing(
        model="defects.Defect", detail="defects:detail", read="xlsx", column=0, value=lambda o: o.code, multiset=True
    ),
    "defects:meeting-list-export": Listing(model="defects.ReviewMeeting", detail="defects:meeting-detail", read="xlsx", column=0),
    "defects:handbook": Listing(model="defects.HandbookEntry", detail="defects:handbook-detail", read="links"),
    # risk
    "api-risk-item-list": Listing(model="risk.RiskItem", detail="api-risk-item-detail", read="json"),
    "api-risk-review-list": Listing(model="risk.Review", detail="api-risk-review-detail", read="json"),
    "api-risk-factor-list": Listing(model="risk.AdverseFactor", detail="api-risk-factor-detail", read="json"),
    "api-risk-promise-list": Listing(model="risk.SalesPromise", detail="api-risk-promise-detail", read="json"),
    "risk:index": Listing(detail="risk:project-detail", read="links", **PROJECT_PAGE),
    "risk:item-list": Listing(model="risk.RiskItem", detail="risk:item-detail", read="links"),
    "risk:item-export": Listing(
        model="risk.RiskItem", detail="risk:item-detail", read="xlsx", column=0, value=_project_code, multiset=True
    ),
    # segments
    "api-parcel-list": Listing(model="segments.ParcelAssessment", detail="api-parcel-detail", read="json"),
    "segments:parcels": Listing(model="segments.ParcelAssessment", detail="segments:parcel-detail", read="links"),
    "segments:parcels-export": Listing(model="segments.ParcelAssessment", detail="segments:parcel-detail", read="xlsx", column=0),
    "api-segment-shares": Count(model="estates.Customer", detail="api-customer-detail", counts={"total": (_path("total"), None)}),
    "segments:index": Listing(detail="estates:project-detail", read="data-id", **PROJECT_PAGE),
    # satisfaction
    "satisfaction-results": (
        Count(
            model="satisfaction.Response",
            detail="satisfaction-invitation-detail",
            kwargs=lambda o: {"pk": o.invitation_id},
            counts={"headline.responses": (_path("headline", "responses"), None)},
        ),
        Count(
            model="satisfaction.Invitation",
            detail="satisfaction-invitation-detail",
            counts={"headline.sent": (_path("headline", "sent"), lambda o: o.sent_at is not None)},
        ),
    ),
    "satisfaction:index": (
        Count(
            model="satisfaction.Response",
            detail="satisfaction:invitation-detail",
            kwargs=lambda o: {"pk": o.invitation_id},
            counts={"responses": (_attr_sum("data-responses"), None)},
        ),
        Count(
            model="satisfaction.Invitation",
            detail="satisfaction:invitation-detail",
            counts={"sent": (_attr_sum("data-sent"), lambda o: o.sent_at is not None)},
        ),
    ),
    "satisfaction-invitation-list": Listing(
        model="satisfaction.Invitation", detail="satisfaction-invitation-detail", read="json"
    ),
    "satisfaction:invitation-list": Listing(
        model="satisfaction.Invitation", detail="satisfaction:invitation-detail", read="links"
    ),
    "satisfaction:follow-up-list": Listing(model="satisfaction.FollowUp", detail="satisfaction:follow-up-detail", read="links"),
    "satisfaction:invitation-list-export": Listing(
        model="satisfaction.Invitation", detail="satisfaction:invitation-detail", read="xlsx", column=0
    ),
    "satisfaction:follow-up-list-export": Listing(
        model="satisfaction.FollowUp", detail="satisfaction:follow-up-detail", read="xlsx", column=0
    ),
    "satisfaction:export": Listing(
        model="satisfaction.Response",
        detail="satisfaction:invitation-detail",
        read="xlsx",
        column=0,
        kwargs=lambda o: {"pk": o.invitation_id},
        value=_project_code,
        multiset=True,
    ),
    # dashboards
    "dashboards:group-dashboard": Listing(detail="dashboards:project-dashboard", read="links", **PROJECT_PAGE),
    "dashboards:group-export": Listing(detail="dashboards:project-dashboard", read="xlsx", column=2, **PROJECT_PAGE),
}

# Routes without an object id that list no project data, with the reason.
FORM = "a form (GET shows an empty form; nothing listed)"
POST_ONLY = "POST only (GET answers 405)"
CATALOGUE = "a group-wide catalogue: the same rows for every member of staff, no project data"
NOT_LISTS: dict[str, str] = {
    "home": "redirects to the user's start page",
    "api-sync-contracts": POST_ONLY,
    "defects-api-from-complaint": POST_ONLY,
    "satisfaction-trigger-create": POST_ONLY,
    "segments:recompute-start": POST_ONLY,
    "satisfaction:run-start": POST_ONLY,
    "estates:notification-list": "the caller's own notifications (filtered by recipient, not by project)",
    "api-touchpoint-catalogue": CATALOGUE,
    "api-touchpoint-points": CATALOGUE,
    "touchpoints:index-export": CATALOGUE,  # the page's catalogue list as .xlsx (the project table is not exported)
    "touchpoints:touchpoint-create": FORM,
    "touchpoints:touchpoint-edit": FORM,
    "touchpoints:point-create": FORM,
    "touchpoints:point-edit": FORM,
    "complaints:intake": FORM,
    "complaints:reports": "the group-wide weekly reports (group centre and administrators only)",
    "defects:create": FORM,
    "defects:inspection": FORM,
    "defects:meeting-create": FORM,
    "risk:template-list": CATALOGUE,
    "api-risk-factor-types": CATALOGUE,
    "api-segment-list": CATALOGUE,
    "api-segment-rules": CATALOGUE,
    "segments:rules": CATALOGUE,
    "segments:rule-create": FORM,
    "segments:rule-edit": FORM,
    "satisfaction-wave-list": CATALOGUE,
    "satisfaction:wave-list": CATALOGUE,
    "satisfaction:wave-create": FORM,
    "satisfaction:template-list": CATALOGUE,
    "api-segment-recompute": "the group-wide segment recompute jobs (progress counters, no project data)",
    "satisfaction:run-list": "the group-wide daily survey job's runs (progress counters, no project data)",
    "dashboards:project-dashboard-home": "redirects to the dashboard of the user's first project",
}
