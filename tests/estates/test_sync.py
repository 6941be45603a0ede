"""POST /api/v1/sync/contracts/ clause by clause (API_CONTRACT.md "Portfolio sync")."""

import json
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from estates.models import Building, Contract, Customer, Project, Unit
from tests.estates.conftest import SYNC_URL, row_counts, sync_batch
from tests.factories import ContractFactory, api_client_with_key

pytestmark = pytest.mark.django_db


def token_client(*codes: str) -> APIClient:
    _client, key = api_client_with_key(project_codes=list(codes))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def wide_api(project):
    """A sales system scoped to SZ-GG and to two projects that do not exist yet."""
    return token_client("SZ-GG", "NEW-1", "NEW-BAD")


def post(client, data):
    return client.post(SYNC_URL, data, format="json")


# --- creating, re-sending, updating ------------------------------------------------------------


def test_sync_creates_every_record_and_counts_them(api, project, record):
    response = post(api, [record(1), record(2), record(3)])

    assert response.status_code == 200
    assert response.json() == {"created": 3, "updated": 0, "unchanged": 0, "errors": []}
    assert row_counts() == {"projects": 1, "buildings": 3, "units": 3, "customers": 3, "contracts": 3, "links": 3}


def test_sync_writes_every_field_of_the_record(api, project, record):
    post(api, [record(7)])

    contract = Contract.objects.select_related("project", "unit__building").get(external_id="C-7")
    assert (contract.project, contract.unit.building.name, contract.unit.number) == (project, "8", "8-0007")
    assert contract.unit.area_m2 == Decimal("89.50")
    assert (contract.signed_on, contract.handover_on) == (date(2025, 3, 1), date(2026, 6, 30))
    customer = contract.customers.get()
    assert (customer.external_id, customer.name, customer.phone) == ("P-7", "业主7", "13900000007")
    assert (customer.children_ages, customer.elderly_living_in, customer.income_band) == ([6], False, "mid")


def test_resending_the_same_batch_changes_nothing(api, project):
    batch = sync_batch(1, 20)
    post(api, batch)
    before = row_counts()
    stamps = dict(Customer.objects.values_list("external_id", "updated_at"))

    response = post(api, batch)

    assert response.json() == {"created": 0, "updated": 0, "unchanged": 20, "errors": []}
    assert row_counts() == before
    assert dict(Customer.objects.values_list("external_id", "updated_at")) == stamps


def test_an_update_of_one_field_counts_one_updated(api, project, record):
    batch = [record(1), record(2), record(3)]
    post(api, batch)
    batch[1]["customers"][0]["phone"] = "13700000000"

    response = post(api, batch)

    assert response.json() == {"created": 0, "updated": 1, "unchanged": 2, "errors": []}
    assert Customer.objects.get(external_id="P-2").phone == "13700000000"
    assert Customer.objects.get(external_id="P-1").phone == "13900000001"


def test_an_update_moves_updated_at_of_the_changed_row_only(api, project, record):
    with time_machine.travel(timezone.make_aware(timezone.datetime(2026, 1, 5, 9, 0)), tick=False):
        post(api, [record(1), record(2)])
    later = timezone.make_aware(timezone.datetime(2026, 1, 6, 9, 0))
    changed = record(2)
    changed["customers"][0]["name"] = "王小明"
    changed["handover_on"] = "2026-07-31"

    with time_machine.travel(later, tick=False):
        post(api, [record(1), changed])

    assert Customer.objects.get(external_id="P-2").updated_at == later
    assert Contract.objects.get(external_id="C-2").updated_at == later
    assert Customer.objects.get(external_id="P-1").updated_at < later


def test_a_record_without_handover_date_keeps_the_one_we_have(api, project, record):
    post(api, [record(1)])
    later = record(1)
    del later["handover_on"]

    response = post(api, [later])

    assert response.json()["unchanged"] == 1
    assert Contract.objects.get(external_id="C-1").handover_on == date(2026, 6, 30)


def test_a_null_handover_date_clears_it(api, project, record):
    post(api, [record(1)])
    later = record(1)
    later["handover_on"] = None

    response = post(api, [later])

    assert response.json()["updated"] == 1
    assert Contract.objects.get(external_id="C-1").handover_on is None


def test_a_changed_project_name_updates_the_project(api, project, record):
    response = post(api, [record(1, project_name="光谷花园二期")])

    assert response.json()["created"] == 1
    project.refresh_from_db()
    assert project.name == "光谷花园二期"


def test_a_buyer_removed_from_a_contract_is_unlinked(api, project, record):
    rec = record(1)
    rec["customers"].append({"external_id": "P-SPOUSE", "name": "配偶", "phone": "13600000000"})
    post(api, [rec])
    rec["customers"].pop()

    response = post(api, [rec])

    assert response.json()["updated"] == 1
    assert list(Contract.objects.get(external_id="C-1").customers.values_list("external_id", flat=True)) == ["P-1"]
    assert Customer.objects.filter(external_id="P-SPOUSE").exists()


def test_a_customer_in_two_contracts_is_one_row(api, project, record):
    first, second = record(1), record(2)
    second["customers"] = first["customers"]

    response = post(api, [first, second])

    assert response.json()["created"] == 2
    assert Customer.objects.filter(external_id="P-1").count() == 1
    assert Customer.objects.get(external_id="P-1").contracts.count() == 2


def test_an_empty_batch_answers_zero_counts(api):
    response = post(api, [])

    assert response.status_code == 200
    assert response.json() == {"created": 0, "updated": 0, "unchanged": 0, "errors": []}


# --- invalid records: reported by index, nothing of them written ---------------------------------


def _drop(path):
    def mutate(rec):
        target = rec
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return mutate


def _set(path, value):
    def mutate(rec):
        target = rec
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def _bad_checksum(rec):
    id_number = rec["customers"][0]["id_number"]
    rec["customers"][0]["id_number"] = id_number[:17] + ("0" if id_number[17] != "0" else "1")


INVALID = {
    "missing external_id": (_drop(["external_id"]), ["external_id"]),
    "missing project": (_drop(["project"]), ["project"]),
    "missing unit number": (_drop(["unit", "number"]), ["unit"]),
    "missing customers": (_drop(["customers"]), ["customers"]),
    "empty customers": (_set(["customers"], []), ["customers"]),
    "missing signed_on": (_drop(["signed_on"]), ["signed_on"]),
    "missing customer name": (_drop(["customers", 0, "name"]), ["customers"]),
    "signed_on not a date": (_set(["signed_on"], "01/03/2025"), ["signed_on"]),
    "signed_on a number": (_set(["signed_on"], 20250301), ["signed_on"]),
    "area not a number": (_set(["unit", "area_m2"], "large"), ["unit"]),
    "area negative": (_set(["unit", "area_m2"], -3), ["unit"]),
    "customers not a list": (_set(["customers"], "P-1"), ["customers"]),
    "project not an object": (_set(["project"], "NEW-BAD"), ["project"]),
    "children ages not ints": (_set(["customers", 0, "household", "children_ages"], ["six"]), ["customers"]),
    "elderly not a bool": (_set(["customers", 0, "household", "elderly"], "sometimes"), ["customers"]),
    "unknown income band": (_set(["customers", 0, "household", "income_band"], "rich"), ["customers"]),
    "id number bad checksum": (_bad_checksum, ["customers"]),
    "id number wrong shape": (_set(["customers", 0, "id_number"], "12345"), ["customers"]),
    "phone too short": (_set(["customers", 0, "phone"], "12345"), ["customers"]),
    "phone with letters": (_set(["customers", 0, "phone"], "1380013800A"), ["customers"]),
    "handover before signing": (_set(["handover_on"], "2025-02-28"), ["handover_on"]),
    "project code with spaces": (_set(["project", "code"], "NEW BAD"), ["project"]),
    "same buyer twice": (lambda r: r["customers"].append(dict(r["customers"][0])), ["customers"]),
    "impossible date": (_set(["signed_on"], "2025-02-30"), ["signed_on"]),
    "area with too many digits": (_set(["unit", "area_m2"], 123456789.5), ["unit"]),
    "child age huge": (_set(["customers", 0, "household", "children_ages"], [10**30]), ["customers"]),
    "external id too long": (_set(["external_id"], "C" * 65), ["external_id"]),
    "name null": (_set(["customers", 0, "name"], None), ["customers"]),
    "unit an array": (_set(["unit"], ["3", "3-1502"]), ["unit"]),
    "email longer than the column": (_set(["customers", 0, "email"], "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".com"), ["customers"]),
    "project name longer than the column": (_set(["project", "name"], "项" * 201), ["project"]),
    "unit type longer than the column": (_set(["unit", "unit_type"], "A" * 41), ["unit"]),
}


@pytest.mark.parametrize(("mutate", "error_keys"), INVALID.values(), ids=INVALID.keys())
def test_an_invalid_record_is_reported_and_nothing_of_it_written(wide_api, project, record, mutate, error_keys):
    bad = record(2, project_code="NEW-BAD", project_name="新项目", city="广州")
    bad["unit"]["number"] = "BAD-UNIT"
    bad["customers"][0]["external_id"] = "P-BAD"
    mutate(bad)

    response = post(wide_api, [record(1), bad, record(3)])

    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["updated"], body["unchanged"]) == (2, 0, 0)
    assert [e["index"] for e in body["errors"]] == [1]
    assert sorted(body["errors"][0]["errors"]) == error_keys
    assert not Project.objects.filter(code="NEW-BAD").exists()
    assert not Unit.objects.filter(number="BAD-UNIT").exists()
    assert not Customer.objects.filter(external_id="P-BAD").exists()
    assert not Contract.objects.filter(external_id="C-2").exists()
    assert set(Contract.objects.values_list("external_id", flat=True)) == {"C-1", "C-3"}


def test_a_record_that_is_not_an_object_is_reported(api, project, record):
    response = post(api, [record(1), "C-2", 42, None])

    body = response.json()
    assert response.status_code == 200
    assert body["created"] == 1
    assert [e["index"] for e in body["errors"]] == [1, 2, 3]
    assert Contract.objects.count() == 1


def test_the_id_number_check_character_x_is_accepted_in_lower_case(api, project, record):
    rec = record(1)
    rec["customers"][0]["id_number"] = "11010519491231002x"

    response = post(api, [rec])

    assert response.json()["errors"] == []
    assert Customer.objects.get(external_id="P-1").id_number == "11010519491231002X"


def test_a_contract_twice_in_the_batch_is_an_error_for_the_second(api, project, record):
    again = record(2)
    again["external_id"] = "C-1"

    response = post(api, [record(1), again])

    body = response.json()
    assert body["created"] == 1
    assert body["errors"] == [{"index": 1, "errors": {"external_id": ["该合同在本批次中重复出现。"]}}]
    assert not Customer.objects.filter(external_id="P-2").exists()
    assert Contract.objects.get(external_id="C-1").unit.number == "2-0001"


def test_a_unit_twice_in_the_batch_is_an_error_for_the_second(api, project, record):
    same_unit = record(2)
    same_unit["unit"] = record(1)["unit"]

    response = post(api, [record(1), same_unit])

    body = response.json()
    assert body["created"] == 1
    assert body["errors"] == [{"index": 1, "errors": {"unit": ["该房屋在本批次中重复出现。"]}}]
    assert not Contract.objects.filter(external_id="C-2").exists()
    assert not Customer.objects.filter(external_id="P-2").exists()


# --- scope --------------------------------------------------------------------------------------


def test_a_record_for_a_project_outside_scope_is_an_error_for_that_record(api, project, other_project, record):
    foreign = record(2, project_code="BJ-XY", project_name="北京西苑", city="北京")

    response = post(api, [record(1), foreign])

    body = response.json()
    assert body["created"] == 1
    assert body["errors"] == [{"index": 1, "errors": {"project": ["项目 BJ-XY 不在您的权限范围内。"]}}]
    assert not Contract.objects.filter(project=other_project).exists()
    assert not Customer.objects.filter(external_id="P-2").exists()


def test_a_record_for_an_unknown_project_outside_scope_creates_nothing(api, project, record):
    response = post(api, [record(1, project_code="GZ-NEW", project_name="广州新盘", city="广州")])

    assert response.json()["errors"][0]["index"] == 0
    assert not Project.objects.filter(code="GZ-NEW").exists()


def test_a_project_code_given_to_the_client_before_it_exists_is_created(wide_api, project, record):
    response = post(wide_api, [record(1, project_code="NEW-1", project_name="新项目一期", city="广州")])

    assert response.json() == {"created": 1, "updated": 0, "unchanged": 0, "errors": []}
    created = Project.objects.get(code="NEW-1")
    assert (created.name, created.city) == ("新项目一期", "广州")
    assert Building.objects.filter(project=created).count() == 1


def test_an_existing_contract_of_a_foreign_project_cannot_be_taken_over(api, project, other_project):
    ContractFactory(external_id="C-1", unit__building__project=other_project)
    taken = sync_batch(1, 1)

    response = post(api, taken)

    body = response.json()
    assert body["created"] == 0
    assert body["errors"] == [{"index": 0, "errors": {"external_id": ["该合同所属项目不在您的权限范围内。"]}}]
    assert Contract.objects.get(external_id="C-1").project == other_project


def test_staff_of_the_project_may_sync_through_their_session(staff_api, project, other_project, record):
    response = post(staff_api, [record(1), record(2, project_code="BJ-XY")])

    body = response.json()
    assert body["created"] == 1
    assert [e["index"] for e in body["errors"]] == [1]


# --- bad bodies: 400, never 500, nothing written -------------------------------------------------


def test_more_than_1000_records_is_400_and_nothing_written(api, project):
    response = post(api, sync_batch(1, 1001))

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["每批最多 1000 份合同。"]}
    assert Contract.objects.count() == 0
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [{"external_id": "C-1"}, "C-1", 42, None],
    ids=["object", "string", "number", "null"],
)
def test_a_body_that_is_not_a_list_is_400(api, project, body):
    response = api.post(SYNC_URL, json.dumps(body), content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["请求体应为合同列表。"]}
    assert Contract.objects.count() == 0


@pytest.mark.parametrize(
    "raw",
    [b'[{"external_id": "C-1",', b"not json at all", b'[{"external_id": "C-1"}]]', "[{\"name\": \"王\"}]".encode("gb18030")],
    ids=["truncated", "text", "trailing", "gb18030"],
)
def test_malformed_or_non_utf8_json_is_400(api, project, raw):
    response = api.post(SYNC_URL, raw, content_type="application/json")

    assert response.status_code == 400
    assert "detail" in response.json()
    assert Contract.objects.count() == 0


def test_a_10_mb_body_is_400_and_nothing_written(api, project, record):
    rec = record(1)
    rec["customers"][0]["name"] = "王" * (10 * 1024 * 1024 // 3)
    raw = json.dumps([rec], ensure_ascii=False).encode()
    assert len(raw) > 10 * 1024 * 1024 - 1024

    response = api.post(SYNC_URL, raw, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"detail": "请求体过大。"}
    assert Contract.objects.count() == 0


def test_a_10_mb_batch_of_small_records_is_400(api, project):
    batch = sync_batch(1, 1000)
    for rec in batch:
        rec["customers"][0]["email"] = "x" * 10_600 + "@example.com"
    raw = json.dumps(batch).encode()
    assert len(raw) > 10 * 1024 * 1024

    response = api.post(SYNC_URL, raw, content_type="application/json")

    assert response.status_code == 400
    assert Contract.objects.count() == 0


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/x-www-form-urlencoded"])
def test_a_body_that_is_not_json_is_refused_without_a_500(api, project, content_type):
    response = api.post(SYNC_URL, b"[]", content_type=content_type)

    assert response.status_code == 415
    assert Contract.objects.count() == 0


def test_an_overflowing_number_is_an_error_for_its_record(api, project, record):
    raw = json.dumps([record(1), record(2)]).replace('"area_m2": 89.5', '"area_m2": 1e400', 1).encode()

    response = api.post(SYNC_URL, raw, content_type="application/json")

    body = response.json()
    assert response.status_code == 200
    assert [e["index"] for e in body["errors"]] == [0]
    assert list(Contract.objects.values_list("external_id", flat=True)) == ["C-2"]


def test_json_with_nan_is_400(api, project):
    response = api.post(SYNC_URL, b'[{"unit": {"area_m2": NaN}}]', content_type="application/json")

    assert response.status_code == 400


def test_a_form_encoded_body_is_refused_without_a_500(api, project):
    response = api.post(SYNC_URL, {"external_id": "C-1"}, format="multipart")

    assert response.status_code in (400, 415)
    assert Contract.objects.count() == 0


def test_a_retried_write_reports_each_error_once(api, project, other_project, monkeypatch):
    """A concurrent insert makes the first write pass fail; the retry must not repeat its errors."""
    from django.db import IntegrityError
    from django.db.models.query import QuerySet

    ContractFactory(external_id="C-1", unit__building__project=other_project)
    real_bulk_create, calls = QuerySet.bulk_create, []

    def flaky_bulk_create(self, objs, *args, **kwargs):
        if self.model is Contract and not calls:
            calls.append(1)
            raise IntegrityError("duplicate key (simulated concurrent sync)")
        return real_bulk_create(self, objs, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "bulk_create", flaky_bulk_create)

    response = post(api, sync_batch(1, 2))

    body = response.json()
    assert calls == [1]
    assert body["created"] == 1
    assert [e["index"] for e in body["errors"]] == [0]
    assert Contract.objects.filter(external_id="C-2").count() == 1


# --- customers_changed: what dependent apps (segments) hear after commit -------------------------


@pytest.fixture
def heard():
    from estates.signals import customers_changed

    calls = []

    def receiver(sender, customer_ids, **kwargs):
        calls.append(sorted(Customer.objects.filter(pk__in=customer_ids).values_list("external_id", flat=True)))

    customers_changed.connect(receiver, weak=False)
    yield calls
    customers_changed.disconnect(receiver)


def test_a_sync_announces_the_customers_it_created_after_commit(api, project, heard, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post(api, sync_batch(1, 2))

    assert heard == [["P-1", "P-2"]]


def test_a_resend_announces_nothing(api, project, heard, django_capture_on_commit_callbacks):
    post(api, sync_batch(1, 2))

    with django_capture_on_commit_callbacks(execute=True):
        post(api, sync_batch(1, 2))

    assert heard == []


def test_an_update_announces_only_the_changed_customer(api, project, record, heard, django_capture_on_commit_callbacks):
    batch = [record(1), record(2)]
    post(api, batch)
    batch[1]["customers"][0]["household"]["elderly"] = True

    with django_capture_on_commit_callbacks(execute=True):
        post(api, batch)

    assert heard == [["P-2"]]


def test_a_customer_owning_in_another_scope_is_not_rewritten(api, project, other_project, record):
    """A sales system for project A may not rename a buyer whose contracts are in project B only."""
    from tests.factories import ContractFactory, CustomerFactory, UnitFactory

    outsider = CustomerFactory(external_id="P-SHARED", name="原名", phone="13900000001")
    ContractFactory(unit=UnitFactory(building__project=other_project), customers=[outsider])
    rec = record(900)
    rec["customers"] = [{"external_id": "P-SHARED", "name": "改名", "phone": "13900000002"}]
    response = api.post("/api/v1/sync/contracts/", [rec], format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["created"] == 0
    assert body["errors"][0]["index"] == 0
    assert "customers" in body["errors"][0]["errors"]
    outsider.refresh_from_db()
    assert (outsider.name, outsider.phone) == ("原名", "13900000001")
