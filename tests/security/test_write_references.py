"""Issue 10, item 3: writes cannot reach into another project, nor set privileged fields.

1. **References.** Every writable field of an API write (its input serializer) or a page form
   (``<app>/forms.py``) whose name refers to a project-scoped object (``REFERENCE_NAMES``: project,
   unit, customer, contract, complaint, assignee, ...) is registered in ``WRITES`` with a payload
   that succeeds for project A and a way to point the field at project B's object instead. The
   test sends the foreign payload as staff of A, as the group centre (who may see B: then the
   reference must still be consistent with the object's own project) and as A's API client; the
   answer is a refusal (API: 400/404, or the documented 403 for a project code outside an API
   client's scope; page: the form again with an error, or 404) and **every row of every table** is
   unchanged. The valid payload is then sent and succeeds, so the refusal came from the reference.
   ``test_every_reference_field_is_registered`` fails for a new field nobody registered.
2. **Privileged fields.** Every API write on an existing object (every object route of the matrix
   that takes POST/PUT/PATCH) is sent twice from the same state -- plainly, and with extra keys
   for privileged fields (the object's project, status, severity, escalation level, grade, due
   times) -- and the database must end up the same: extra keys are ignored (read-only).
3. **Authority.** Setting the severity by a role without the authority is refused with the
   database unchanged.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
import time_machine
from django import forms as django_forms
from django.apps import apps
from django.db import transaction
from django.urls import resolve, reverse
from rest_framework import serializers
from rest_framework.test import APIClient

from estates.models import Role
from tests.factories import ContractFactory, CustomerFactory, UnitFactory, UserFactory, api_client_with_key

from .conftest import BOOKKEEPING
from .routes import object_routes, protected_routes, registered_factories, registered_roles

NOW = "2026-06-01 10:00 +0800"
REFERENCE_NAMES = {
    "project",
    "unit",
    "units",
    "customer",
    "customer_external_id",
    "contract",
    "building",
    "complaint",
    "source_complaint",
    "assignee",
    "review",
    "defect",
}
APPS = ["estates", "complaints", "defects", "risk", "touchpoints", "segments", "satisfaction", "dashboards"]
DROP = object()
USAGE = {"estates.apiclient"}  # a key's last-used time changes on every request: not a business row


# --- the world: one of everything in A and in B --------------------------------------------------


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(clock, project, other_project):
    from tests.complaints.factories import file_complaint

    w = {}
    for key, p in (("A", project), ("B", other_project)):
        unit = UnitFactory(building__project=p, number=f"{key}-1701")
        customer = CustomerFactory(external_id=f"OWNER-{key}")
        contract = ContractFactory(unit=unit, customers=[customer], external_id=f"CON-{key}")
        complaint = file_complaint(project=p, unit=unit, customer=customer)
        member = UserFactory(username=f"member_{key}", role=Role.CR_STAFF, projects=[p])
        w[key] = SimpleNamespace(
            project=p, code=p.code, unit=unit, customer=customer, contract=contract, complaint=complaint, member=member
        )
    return SimpleNamespace(**w)


def snapshot() -> dict:
    """Every row of every table (bookkeeping tables aside), as sorted tuples of all columns."""
    rows = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in BOOKKEEPING or label in USAGE or model._meta.proxy:
            continue
        rows[label] = sorted(map(repr, model._default_manager.order_by("pk").values_list()))
    return rows


def reset_sequences() -> None:
    """Point every id sequence just past the table's largest id (PostgreSQL does not roll sequences back:
    without this, a write repeated after a rollback would give its new rows other ids)."""
    from django.core.management.color import no_style
    from django.db import connection

    statements = connection.ops.sequence_reset_sql(no_style(), apps.get_models())
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(label for label in before if before[label] != after.get(label))


# --- the registry of writes that name another object ----------------------------------------------


def _patch(**values) -> Callable:
    """A reference to B's object: ``values`` are functions of the world (DROP removes a key)."""

    def apply(w, payload):
        out = dict(payload)
        for key, value in values.items():
            v = value(w)
            if v is DROP:
                out.pop(key, None)
            else:
                out[key] = v
        return out

    return apply


def _drop(w):
    return DROP


@dataclass(frozen=True)
class Write:
    route: str
    valid: Callable  # world -> payload that succeeds for project A
    refs: dict  # field -> patch(world, payload) pointing it at project B's object
    kwargs: Callable = lambda w: {}
    form: bool = False  # a page form (urlencoded, answers 302 on success) rather than JSON
    fields: tuple = ()  # the form's class path and field names this entry covers (pages)
    group_refs: tuple | None = None  # the fields tried by the group centre (default: all but project)
    role: str = Role.CR_MANAGER
    succeeds: tuple = (200, 201)


PROJECT_B = {"project": _patch(project=lambda w: w.B.code)}
COMPLAINT = {"channel": "online", "category": "construction_quality", "title": "卫生间渗水", "description": "天花板渗水。"}

WRITES: dict[str, Write] = {
    "api-complaint-list": Write(
        "api-complaint-list",
        valid=lambda w: {**COMPLAINT, "project": w.A.code, "unit": w.A.unit.number, "customer": w.A.customer.external_id},
        refs={
            **PROJECT_B,
            "unit": _patch(unit=lambda w: w.B.unit.number),
            "customer": _patch(customer=lambda w: w.B.customer.external_id),
        },
    ),
    "api-contacts": Write(
        "api-contacts",
        valid=lambda w: {
            "project": w.A.code,
            "customer": w.A.customer.pk,
            "channel": "phone",
            "direction": "inbound",
            "summary": "回访",
        },
        refs={
            **PROJECT_B,
            "customer": _patch(customer=lambda w: w.B.customer.pk),
            "customer_external_id": _patch(customer=_drop, customer_external_id=lambda w: w.B.customer.external_id),
        },
    ),
    "api-touchpoint-checks": Write(
        "api-touchpoint-checks",
        valid=lambda w: {"project": w.A.code, "point": "SAL-02-1", "status": "met", "evidence": "法务审核意见"},
        refs=PROJECT_B,
    ),
    "defects-api-list": Write(
        "defects-api-list",
        valid=lambda w: {
            "project": w.A.code,
            "title": "屋面渗水",
            "description": "天窗进水",
            "source": "complaint",
            "found_on": "2026-05-01",
            "units": [w.A.unit.number],
            "source_complaint": w.A.complaint.pk,
        },
        refs={
            **PROJECT_B,
            "units": _patch(units=lambda w: [w.B.unit.number]),
            "source_complaint": _patch(source_complaint=lambda w: w.B.complaint.pk),
        },
    ),
    "defects-api-from-complaint": Write(
        "defects-api-from-complaint",
        valid=lambda w: {"complaint": w.A.complaint.pk},
        refs={"complaint": _patch(complaint=lambda w: w.B.complaint.pk)},
        group_refs=(),
    ),
    "api-risk-item-list": Write(
        "api-risk-item-list",
        valid=lambda w: {
            "project": w.A.code,
            "title": "示范单位与交付标准不符",
            "source": "product",
            "customer_view": "marketing",
            "level": "high",
            "deadline": "2026-07-01",
        },
        refs=PROJECT_B,
    ),
    "api-risk-review-list": Write(
        "api-risk-review-list",
        valid=lambda w: {"project": w.A.code, "kind": "pre_opening", "scheduled_on": "2026-06-10"},
        refs=PROJECT_B,
    ),
    "api-risk-factor-list": Write(
        "api-risk-factor-list",
        valid=lambda w: {
            "project": w.A.code,
            "factor_type": "landfill",
            "description": "变电站",
            "distance_m": 300,
            "direction": "N",
            "info_source": "规划图",
        },
        refs=PROJECT_B,
    ),
    "api-risk-promise-list": Write(
        "api-risk-promise-list",
        valid=lambda w: {
            "project": w.A.code,
            "source": "brochure",
            "wording": "赠送车位",
            "kano": "basic",
            "due_milestone": "handover",
        },
        refs=PROJECT_B,
    ),
    "api-parcel-list": Write(
        "api-parcel-list",
        valid=lambda w: {"project": w.A.code, "name": "地块", "attributes": ["near_offices"]},
        refs=PROJECT_B,
    ),
    "satisfaction-trigger-create": Write(
        "satisfaction-trigger-create",
        valid=lambda w: {
            "contract": w.A.contract.external_id,
            "kind": "complaint_closed",
            "occurred_on": "2026-05-30",
            "source_ref": "R-1",
        },
        refs={"contract": _patch(contract=lambda w: w.B.contract.external_id)},
        group_refs=(),
    ),
    "api-complaint-assign": Write(
        "api-complaint-assign",
        kwargs=lambda w: {"pk": w.A.complaint.pk},
        valid=lambda w: {"assignee": w.A.member.username},
        refs={"assignee": _patch(assignee=lambda w: w.B.member.username)},
    ),
    # pages
    "complaints:intake": Write(
        "complaints:intake",
        form=True,
        succeeds=(302,),
        valid=lambda w: {
            **COMPLAINT,
            "channel": "hotline",
            "complainant_count": 1,
            "project": w.A.code,
            "unit": w.A.unit.number,
            "customer": w.A.customer.pk,
        },
        refs={
            **PROJECT_B,
            "unit": _patch(unit=lambda w: w.B.unit.number),
            "customer": _patch(customer=lambda w: w.B.customer.pk),
        },
        fields=("complaints.forms.IntakeForm", "project", "customer", "unit"),
    ),
    "complaints:action": Write(
        "complaints:action",
        form=True,
        succeeds=(302,),
        kwargs=lambda w: {"pk": w.A.complaint.pk, "action": "assign"},
        valid=lambda w: {"assignee": w.A.member.username},
        refs={"assignee": _patch(assignee=lambda w: w.B.member.username)},
        fields=("complaints.forms.AssignForm", "assignee"),
    ),
    "touchpoints:contact-create": Write(
        "touchpoints:contact-create",
        form=True,
        succeeds=(302,),
        kwargs=lambda w: {"customer_pk": w.A.customer.pk},
        valid=lambda w: {
            "project": w.A.project.pk,
            "channel": "phone",
            "direction": "inbound",
            "summary": "回访",
            "sentiment": "neutral",
            "occurred_at": "2026-06-01 09:00",
        },
        refs={"project": _patch(project=lambda w: w.B.project.pk)},
        group_refs=("project",),
        fields=("touchpoints.forms.ContactForm", "project"),
    ),
    "segments:parcels": Write(
        "segments:parcels",
        form=True,
        succeeds=(302,),
        valid=lambda w: {"project": w.A.project.pk, "name": "地块", "attributes": ["near_offices"]},
        refs={"project": _patch(project=lambda w: w.B.project.pk)},
        fields=("segments.forms.ParcelForm", "project"),
    ),
    "defects:create": Write(
        "defects:create",
        form=True,
        succeeds=(302,),
        valid=lambda w: {
            "project": w.A.code,
            "title": "屋面渗水",
            "description": "天窗进水",
            "source": "warranty",
            "found_on": "2026-05-01",
            "units": w.A.unit.number,
            "series": "SJ",
            "households_affected": 1,
        },
        refs={"project": _patch(project=lambda w: w.B.code), "units": _patch(units=lambda w: w.B.unit.number)},
        fields=("defects.forms.DefectForm", "project", "units"),
    ),
}

# Reference fields that are not writes of another project's object, with the reason.
NOT_REFERENCES = {
    "complaints.forms.InboxFilterForm": "a GET filter of the inbox (its choices are the actor's projects and colleagues)",
    "segments.forms.ProjectFilterForm": "a GET filter",
    "satisfaction.forms.InvitationFilterForm": "a GET filter",
    "satisfaction.forms.ScoreFilterForm": "a GET filter",
    "defects.forms.InspectionForm": "a GET filter of the inspection view",
}


def _api_reference_fields() -> set[tuple[str, str]]:
    """(route name, field) for every writable reference field of every API write route's input."""
    found = set()
    for route in protected_routes():
        if not route.is_api:
            continue
        func = resolve(route.path).func
        cls = getattr(func, "cls", None)
        if cls is None:
            continue
        actions = getattr(func, "actions", None) or {}
        if not ({"post", "put", "patch"} & set(actions) or any(hasattr(cls, m) for m in ("post", "put", "patch"))):
            continue
        for attr in dir(cls):
            ser = getattr(cls, attr, None)
            if not (inspect.isclass(ser) and issubclass(ser, serializers.BaseSerializer)):
                continue
            if attr == "serializer_class" and not _is_input(cls):
                continue  # an output serializer: the view reads its input with another one
            found |= {(route.name, name) for name, f in ser().fields.items() if not f.read_only and name in REFERENCE_NAMES}
    return found


def _is_input(cls) -> bool:
    """A view whose ``serializer_class`` is also its input (no separate input serializer)."""
    return not any(
        inspect.isclass(getattr(cls, a, None)) and issubclass(getattr(cls, a), serializers.BaseSerializer)
        for a in dir(cls)
        if a != "serializer_class"
    )


def _form_reference_fields() -> set[tuple[str, str]]:
    found = set()
    for app in APPS:
        try:
            module = importlib.import_module(f"{app}.forms")
        except ImportError:
            continue
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, django_forms.BaseForm) and cls.__module__ == module.__name__:
                found |= {(f"{module.__name__}.{name}", f) for f in cls.base_fields if f in REFERENCE_NAMES}
    return found


def test_every_reference_field_is_registered():
    """A new API input or form field that names a project-scoped object fails here until registered."""
    covered = {(name, f) for name, w in WRITES.items() if not w.form for f in w.refs}
    covered |= {(w.fields[0], f) for w in WRITES.values() if w.form for f in w.fields[1:]}
    api_missing = sorted(_api_reference_fields() - covered)
    form_missing = sorted((cls, f) for cls, f in _form_reference_fields() - covered if cls not in NOT_REFERENCES)
    assert (api_missing, form_missing) == ([], [])


# --- 1. references to another project's objects ---------------------------------------------------

CASES = [
    (name, ref, who)
    for name, w in WRITES.items()
    for ref in w.refs
    for who in ("staff of A", "group centre", *(() if w.form else ("API client of A",)))
    if who != "group centre" or ref in (w.group_refs if w.group_refs is not None else set(w.refs) - {"project"})
]


def _caller(who, w, role):
    if who == "API client of A":
        _c, key = api_client_with_key(name="sales-a", project_codes=[w.A.code])
        caller = APIClient()
        caller.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return caller
    user = UserFactory(
        role=Role.GROUP_CENTRE if who == "group centre" else role, projects=[] if who == "group centre" else [w.A.project]
    )
    if user.role != Role.GROUP_CENTRE:
        user.projects.add(w.A.project)
    caller = APIClient()
    caller.force_login(user)
    return caller


def _send(caller, write, url, payload):
    if write.form:
        return caller.post(url, payload)
    return caller.post(url, payload, format="json")


@pytest.mark.parametrize(("name", "ref", "who"), CASES, ids=lambda v: str(v))
def test_a_write_naming_another_projects_object_is_refused_and_writes_nothing(world, name, ref, who):
    write = WRITES[name]
    caller = _caller(who, world, write.role)
    url = reverse(write.route, kwargs=write.kwargs(world))
    valid = write.valid(world)
    before = snapshot()
    response = _send(caller, write, url, write.refs[ref](world, valid))
    if write.form:  # the form again with its error, a 404, or the action's redirect with an error message
        assert response.status_code in (200, 302, 400, 404), response.status_code
    else:
        assert response.status_code in (400, 403, 404), (response.status_code, response.content[:300])
    if response.status_code == 403:  # only as the answer a code that names no project gets (nothing learnt)
        missing = _send(caller, write, url, {**valid, "project": "NO-SUCH-PROJECT"})
        assert (ref, missing.status_code) == ("project", 403), missing.content[:300]
    assert changed_tables(before, snapshot()) == []
    # The control: the same write naming A's own object succeeds, so the refusal came from the reference.
    response = _send(caller, write, url, valid)
    assert response.status_code in write.succeeds, (response.status_code, response.content[:500])
    assert changed_tables(before, snapshot()) != []


# --- 2. privileged fields on existing objects: ignored ------------------------------------------


HOSTILE = {
    "project": "BJ-XY",
    "project_id": None,
    "status": "closed",
    "severity": 4,
    "level": "major",
    "escalation_level": 5,
    "grade": "A",
    "due_at": "2030-01-01T00:00:00+08:00",
    "response_due_at": "2030-01-01T00:00:00+08:00",
    "resolve_due_at": "2030-01-01T00:00:00+08:00",
    "deadline": "2030-01-01",
    "due_on": "2030-01-01",
    "closed_at": "2030-01-01T00:00:00+08:00",
}
# What the actions need to go through (so the comparison is between two writes that happen), and
# the keys an action legitimately takes as its input (sent in both requests, never as an extra).
PLAIN = {
    "reason": "测试",
    "note": "测试",
    "message": "已联系业主",
    "resolution": "已修复",
    "compensation": "0",
    "closing_note": "已处理",
    "new_wording": "改为赠送储藏室",
    "impact": "无",
    "evidence": "见附件",
    "place": "sales_materials",
    "measures": "更换密封",
    "prevention": "加装泛水",
    "cost": "100.00",
    "satisfied": True,
    "score": 5,
    "segment": "pragmatic",
    "summary": "测试",
    "text": "测试",
}
LEGITIMATE = {
    "api-complaint-set-severity": lambda p: {"severity": "important"},
    "api-complaint-assign": lambda p: {"assignee": UserFactory(role=Role.CR_STAFF, projects=[p]).username},
    "api-risk-item-update": lambda p: {"level": "low", "deadline": "2026-08-01"},
    "api-risk-promise-verify": lambda p: {"result": "kept"},
    "api-risk-review-answer": lambda p: {"result": "ok"},
    "defects-api-draft-measures": lambda p: {"due_on": "2026-07-01"},
}


def _write_object_routes():
    for route in object_routes():
        if not route.is_api or route.name not in registered_factories():
            continue
        func = resolve(route.path).func
        cls = getattr(func, "cls", None)
        if cls is not None and any(hasattr(cls, m) for m in ("post", "put", "patch")):
            yield route


def _plain_body(route, project) -> dict:
    return {**PLAIN, **LEGITIMATE.get(route.name, lambda p: {})(project)}


@pytest.mark.parametrize("route", list(_write_object_routes()), ids=str)
def test_privileged_fields_sent_to_an_object_write_are_ignored(route, clock, project, other_project):
    """The same write with and without extra privileged keys leaves the database in the same state."""
    staff = UserFactory(role=registered_roles().get(route.name, Role.CR_MANAGER), projects=[project])
    caller = APIClient()
    caller.force_login(staff)
    url = reverse(route.name, kwargs=registered_factories()[route.name](project))
    plain = _plain_body(route, project)
    hostile = {**{k: v for k, v in HOSTILE.items() if k not in plain}, "project_id": other_project.pk, **plain}
    results = []
    for body in (plain, hostile):
        reset_sequences()  # both attempts start from the same ids
        with transaction.atomic():
            response = caller.post(url, body, format="json")
            results.append((response.status_code, snapshot()))
            transaction.set_rollback(True)
    (plain_status, plain_rows), (hostile_status, hostile_rows) = results
    assert hostile_status == plain_status or (plain_status >= 400 and hostile_status >= 400), (plain_status, hostile_status)
    assert changed_tables(plain_rows, hostile_rows) == [], "the extra keys changed something"


# --- 3. authority ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.CR_STAFF, Role.PROJECT_MANAGER, Role.DEPARTMENT_HEAD])
def test_a_role_without_authority_cannot_set_the_severity(world, role):
    caller = APIClient()
    caller.force_login(UserFactory(role=role, projects=[world.A.project]))
    before = snapshot()
    body = {"severity": 4, "reason": "想升级"}
    response = caller.post(f"/api/v1/complaints/{world.A.complaint.pk}/set-severity/", body, format="json")
    assert response.status_code in (400, 403), response.content[:300]
    assert changed_tables(before, snapshot()) == []
