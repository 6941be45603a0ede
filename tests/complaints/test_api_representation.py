"""The complaint detail is rendered as plain dicts (issue 9: throughput): exactly what the
serializers, which stay the schema's source, render — for every shape a complaint can take."""

import json

import pytest
from django.test import RequestFactory
from rest_framework.request import Request

from complaints import selectors, services
from complaints.apis import ComplaintDetailOutputSerializer, ComplaintOutputSerializer, complaint_representation
from tests.complaints.factories import file_complaint, unit_in
from tests.factories import CustomerFactory, api_client_with_key

pytestmark = pytest.mark.django_db


def _serialized(complaint, actor, serializer_class):
    request = Request(RequestFactory().get("/"))
    request.user = actor
    return json.loads(json.dumps(serializer_class(complaint, context={"request": request}).data))


def _plain(complaint, actor, **kwargs):
    return json.loads(json.dumps(complaint_representation(complaint, actor, **kwargs)))


def _complaints(project, staff, manager):
    bare = file_complaint(project=project, actor=staff, contact_name="", contact_phone="")
    full = file_complaint(
        project=project,
        actor=staff,
        unit=unit_in(project),
        customer=CustomerFactory(),
        contact_name="王女士",
        contact_phone="13812345678",
        complainant_count=3,
        lawsuit_filed=True,
        media_exposed=True,
    )
    services.complaint_assign(complaint=full, actor=manager, assignee=staff)
    services.complaint_respond(complaint=full, actor=staff, message="已联系业主")
    services.complaint_resolve(complaint=full, actor=staff, resolution="已维修", compensation=100)
    return [bare.pk, full.pk]


def test_plain_detail_equals_the_serializers_for_every_actor(project, staff, manager):
    masked, _key = api_client_with_key(name="masked", project_codes=[project.code])
    unmasked, _key = api_client_with_key(name="unmasked", project_codes=[project.code], sees_personal_data=True)
    for pk in _complaints(project, staff, manager):
        for actor in (masked, unmasked, staff, manager):
            complaint = selectors.complaint_get_for_api(actor=actor, pk=pk)
            expected = _serialized(complaint, actor, ComplaintDetailOutputSerializer)
            plain = _plain(complaint, actor, events=True)
            assert plain == expected
            assert list(plain) == list(expected)  # same keys in the same order
            assert _plain(complaint, actor) == _serialized(complaint, actor, ComplaintOutputSerializer)
    assert expected["events"] and expected["assignee"] == staff.username and expected["unit"]


def test_detail_endpoint_renders_what_the_create_endpoint_renders(project, api):
    created = api.post(
        "/api/v1/complaints/",
        {
            "project": project.code,
            "channel": "online",
            "category": "construction_quality",
            "title": "渗水",
            "description": "漏水",
            "contact": {"name": "李先生", "phone": "13900001111"},
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    detail = api.get(f"/api/v1/complaints/{created.json()['id']}/")
    assert detail.status_code == 200
    assert detail.json() == created.json()
    assert detail.json()["contact"]["phone"] != "13900001111"  # masked for a client without personal data


def test_list_endpoint_renders_what_the_serializer_renders(project, staff, manager, api_client_key, api):
    client, _key = api_client_key
    _complaints(project, staff, manager)
    rows = api.get("/api/v1/complaints/").json()["results"]
    assert len(rows) == 2
    for row in rows:
        complaint = selectors.complaint_get_for_api(actor=client, pk=row["id"])
        assert row == _serialized(complaint, client, ComplaintOutputSerializer)
