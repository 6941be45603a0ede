"""Item 16: two staff edit the same complaint — the second save gets a conflict, never a lost update.

The complaint carries a ``version`` bumped by every write (``Complaint.save`` on the locked rows the
services hold, and the sweep's bulk writes). Pages post the version they showed in a hidden field;
the API gives it as an ``ETag`` and takes an optional ``If-Match``. The check runs under the row lock
in ``complaints.services.common._lock``, so two saves at once cannot both pass it.
"""

import re
import threading
from html.parser import HTMLParser

import pytest
import time_machine
from django.db import close_old_connections, connection
from django.test import Client
from django.urls import reverse

from complaints import services
from complaints.escalation import complaints_sweep
from complaints.models import Complaint, ComplaintEvent, Severity
from estates.models import Role
from estates.workflow import StaleVersion
from tests.complaints.conftest import MONDAY_10, _fast_passwords, _rules_seeded  # noqa: F401 - autouse fixtures
from tests.complaints.factories import file_complaint
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

STALE_ZH = "该投诉已被他人修改"


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        yield traveller


class _Forms(HTMLParser):
    """The complaint page's action forms: {action: {"version": ..., "textarea": ..., "selected": ...}}."""

    def __init__(self):
        super().__init__()
        self.forms, self._current, self._in_textarea = {}, None, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            m = re.search(r"action-([\w-]+)", attrs.get("class") or "")
            self._current = m.group(1) if m else "form"
            self.forms[self._current] = {"textarea": ""}
        elif self._current and tag == "input" and attrs.get("name") == "version":
            self.forms[self._current]["version"] = attrs.get("value")
        elif self._current and tag == "textarea":
            self._in_textarea = True
        elif self._current and tag == "option" and "selected" in attrs:
            self.forms[self._current]["selected"] = attrs.get("value")

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._in_textarea = False
        elif tag == "form":
            self._current = None

    def handle_data(self, data):
        if self._in_textarea and self._current:
            self.forms[self._current]["textarea"] += data


def forms_of(response) -> dict:
    parser = _Forms()
    parser.feed(response.content.decode())
    return parser.forms


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def second_staff(project):
    return UserFactory(username="staff_b", role=Role.CR_STAFF, projects=[project])


@pytest.fixture
def in_progress(project, staff):
    c = file_complaint(project=project, actor=staff)
    return services.complaint_respond(complaint=c, actor=staff, message="已联系业主")


# --- Pages -----------------------------------------------------------------------------------------


def test_two_staff_put_it_on_hold_the_second_gets_a_conflict_and_keeps_their_text(in_progress, staff, second_staff):
    c = in_progress
    url = reverse("complaints:detail", args=[c.pk])
    a, b = logged_in(staff), logged_in(second_staff)
    seen_a, seen_b = forms_of(a.get(url))["hold"]["version"], forms_of(b.get(url))["hold"]["version"]
    assert seen_a == seen_b == str(c.version)

    first = a.post(reverse("complaints:action", args=[c.pk, "hold"]), {"reason": "等业主周六回电", "version": seen_a})
    assert first.status_code == 302
    second = b.post(reverse("complaints:action", args=[c.pk, "hold"]), {"reason": "等物业查看水管 B", "version": seen_b})

    assert second.status_code == 409
    body = second.content.decode()
    assert STALE_ZH in body
    kept = forms_of(second)["hold"]
    assert kept["textarea"].strip() == "等物业查看水管 B"  # the second user's input is not lost
    c.refresh_from_db()
    assert kept["version"] == str(c.version)  # and a deliberate resubmit is measured against the current row
    holds = ComplaintEvent.objects.filter(complaint=c, kind=ComplaintEvent.Kind.HELD)
    assert [e.detail for e in holds] == ["等业主周六回电"]  # the DB has the first, with its audit event
    assert holds.get().actor == staff


def test_two_managers_set_the_severity_the_second_gets_a_conflict_and_the_first_stands(project, in_progress):
    c = in_progress
    m1 = UserFactory(username="mgr_1", role=Role.CR_MANAGER, projects=[project])
    m2 = UserFactory(username="mgr_2", role=Role.CR_MANAGER, projects=[project])
    url = reverse("complaints:detail", args=[c.pk])
    a, b = logged_in(m1), logged_in(m2)
    va, vb = forms_of(a.get(url))["set-severity"]["version"], forms_of(b.get(url))["set-severity"]["version"]
    action = reverse("complaints:action", args=[c.pk, "set-severity"])

    assert a.post(action, {"severity": Severity.IMPORTANT, "reason": "业主情绪激动", "version": va}).status_code == 302
    second = b.post(action, {"severity": Severity.ORDINARY, "reason": "已安抚", "version": vb})

    assert second.status_code == 409
    assert STALE_ZH in second.content.decode()
    assert forms_of(second)["set-severity"]["selected"] == str(Severity.ORDINARY)
    c.refresh_from_db()
    assert c.severity == Severity.IMPORTANT
    assert list(
        ComplaintEvent.objects.filter(complaint=c, kind=ComplaintEvent.Kind.SEVERITY_SET).values_list("actor", flat=True)
    ) == [m1.pk]

    # Resubmitting from the conflict page (it carries the current version) is a deliberate overwrite.
    again = b.post(
        action, {"severity": Severity.ORDINARY, "reason": "已安抚", "version": forms_of(second)["set-severity"]["version"]}
    )
    assert again.status_code == 302
    c.refresh_from_db()
    assert c.severity == Severity.ORDINARY


def test_a_form_posted_without_a_version_works_as_before(in_progress, staff):
    c = in_progress
    response = logged_in(staff).post(reverse("complaints:action", args=[c.pk, "hold"]), {"reason": "等业主回电"})
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.status == Complaint.Status.ON_HOLD


def test_two_staff_edit_the_case_the_second_gets_a_conflict_and_keeps_their_text(in_progress, staff, second_staff):
    c = in_progress
    url = reverse("complaints:case-edit", args=[c.pk])
    a, b = logged_in(staff), logged_in(second_staff)
    va, vb = forms_of(a.get(url))["form"]["version"], forms_of(b.get(url))["form"]["version"]
    parts = {"title": "渗水", "background": "背景", "causes": "原因", "handling": "处理", "lessons": "教训"}

    assert a.post(url, {**parts, "lessons": "A 的教训", "version": va}).status_code == 302
    second = b.post(url, {**parts, "lessons": "B 的教训", "version": vb})

    assert second.status_code == 409
    body = second.content.decode()
    assert STALE_ZH in body and "B 的教训" in body
    assert c.case.lessons == "A 的教训"


# --- Services --------------------------------------------------------------------------------------


def test_every_write_bumps_the_version_and_a_stale_one_is_refused_with_nothing_written(in_progress, staff, manager):
    c = in_progress
    v = Complaint.objects.get(pk=c.pk).version
    services.complaint_hold(complaint=c, actor=staff, reason="等业主", expected_version=v)
    v2 = Complaint.objects.get(pk=c.pk).version
    assert v2 > v
    events = ComplaintEvent.objects.count()
    with pytest.raises(StaleVersion):
        services.complaint_resume(complaint=c, actor=staff, expected_version=v)
    with pytest.raises(StaleVersion):  # a stale repeat of the first save is refused too, not a silent no-op
        services.complaint_hold(complaint=c, actor=staff, reason="等业主", expected_version=v)
    with pytest.raises(StaleVersion):
        services.complaint_escalate(complaint=c, actor=manager, reason="升级", expected_version=v)
    assert ComplaintEvent.objects.count() == events
    assert Complaint.objects.get(pk=c.pk).version == v2
    services.complaint_resume(complaint=c, actor=staff, expected_version={v2, v2 + 7})  # any of several (If-Match lists)
    assert Complaint.objects.get(pk=c.pk).version > v2


def test_a_stale_beyond_authority_resolve_escalates_nothing(in_progress, staff):
    c = in_progress
    stale = Complaint.objects.get(pk=c.pk).version
    services.complaint_hold(complaint=c, actor=staff, reason="等业主")
    services.complaint_resume(complaint=c, actor=staff)
    with pytest.raises(StaleVersion):
        services.complaint_resolve(complaint=c, actor=staff, resolution="赔偿", compensation=10**8, expected_version=stale)
    c.refresh_from_db()
    assert c.escalation_level == 0
    assert not c.escalations.exists()


def test_the_sweep_bumps_the_version_of_what_it_escalates(project, staff, clock):
    c = file_complaint(project=project, actor=staff)
    v = Complaint.objects.get(pk=c.pk).version
    clock.shift(60 * 60 * 24 * 5)
    complaints_sweep()
    c.refresh_from_db()
    assert c.escalation_level >= 1
    assert c.version > v


# --- API -------------------------------------------------------------------------------------------


def test_the_api_gives_an_etag_and_refuses_a_stale_if_match_with_412(api, in_progress):
    c = in_progress
    url = f"/api/v1/complaints/{c.pk}/"
    got = api.get(url)
    etag = got["ETag"]
    assert etag == f'"v{Complaint.objects.get(pk=c.pk).version}"'

    held = api.post(url + "hold/", {"reason": "等业主"}, format="json", HTTP_IF_MATCH=etag)
    assert held.status_code == 200
    assert held["ETag"] != etag and held.json()["status"] == "on_hold"
    events = ComplaintEvent.objects.count()

    stale = api.post(url + "resume/", {}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert set(stale.json()) == {"detail"} and STALE_ZH in stale.json()["detail"]
    c.refresh_from_db()
    assert c.status == Complaint.Status.ON_HOLD and ComplaintEvent.objects.count() == events

    for refused in ("W/" + held["ETag"], "v1", '"x"', ""):  # weak, unquoted, foreign, empty: never a match
        assert api.post(url + "resume/", {}, format="json", HTTP_IF_MATCH=refused).status_code == 412
    assert api.post(url + "resume/", {}, format="json", HTTP_IF_MATCH=f'"v999", {held["ETag"]}').status_code == 200


def test_the_api_without_if_match_answers_exactly_as_before(api, in_progress):
    c = in_progress
    url = f"/api/v1/complaints/{c.pk}/"
    before = api.get(url).json()
    assert "version" not in before and "etag" not in before  # the representation is the contract's, unchanged
    assert api.post(url + "hold/", {"reason": "等业主"}, format="json").status_code == 200
    assert api.post(url + "resume/", {}, format="json").status_code == 200
    assert api.post(url + "resume/", {}, format="json", HTTP_IF_MATCH="*").status_code == 200  # * : any version
    assert api.get(url).json().keys() == before.keys()


def test_the_schema_documents_if_match_and_412_on_the_actions(api):
    schema = api.get("/api/schema/?format=json").json()
    hold = schema["paths"]["/api/v1/complaints/{id}/hold/"]["post"]
    assert any(p["name"] == "If-Match" and p["in"] == "header" and not p.get("required") for p in hold["parameters"])
    assert "412" in hold["responses"]


# --- Two saves at once (PostgreSQL) ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_saves_at_once_with_the_same_version_exactly_one_wins(project, staff, second_staff):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    c = services.complaint_respond(complaint=file_complaint(project=project, actor=staff), actor=staff, message="已联系")
    seen = Complaint.objects.get(pk=c.pk).version
    barrier, outcomes = threading.Barrier(2), []

    def save(actor, reason):
        try:
            barrier.wait()
            services.complaint_hold(complaint=c, actor=actor, reason=reason, expected_version=seen)
            outcomes.append("saved")
        except StaleVersion:
            outcomes.append("conflict")
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=save, args=(u, r)) for u, r in ((staff, "A"), (second_staff, "B"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "saved"]
    assert ComplaintEvent.objects.filter(complaint=c, kind=ComplaintEvent.Kind.HELD).count() == 1


# --- Risk items: the same pattern on the item's edit form and update endpoint ------------------------


@pytest.fixture
def risk_item(project, staff):
    from tests.risk.factories import open_item

    return open_item(project, staff)


def _risk_edit(item, **changes) -> dict:
    values = {
        "title": item.title,
        "level": item.level,
        "source": item.source,
        "customer_view": item.customer_view,
        "owner": "",
        "deadline": item.deadline.isoformat(),
        "description": item.description,
        "measures": item.measures,
    }
    return {**values, **changes}


def test_two_staff_edit_a_risk_item_the_second_gets_a_conflict_and_keeps_their_text(risk_item, staff, second_staff):
    from risk.models import Event as RiskEvent
    from risk.models import RiskItem

    item = risk_item
    url = reverse("risk:item-detail", args=[item.pk])
    a, b = logged_in(staff), logged_in(second_staff)
    version = re.compile(r'name="version" value="(\d+)"')
    va, vb = version.search(a.get(url).content.decode()).group(1), version.search(b.get(url).content.decode()).group(1)
    action = reverse("risk:item-action", args=[item.pk, "update"])

    assert a.post(action, _risk_edit(item, measures="A：撤下楼书，重新印刷", version=va)).status_code == 302
    second = b.post(action, _risk_edit(item, measures="B：在售楼处张贴说明", version=vb))

    assert second.status_code == 409
    body = second.content.decode()
    assert "该风险项已被他人修改" in body and "B：在售楼处张贴说明" in body
    item.refresh_from_db()
    assert item.measures == "A：撤下楼书，重新印刷"
    assert version.search(body).group(1) == str(item.version)
    updates = RiskEvent.objects.filter(subject=RiskEvent.Subject.ITEM, subject_id=item.pk, kind="updated")
    assert updates.count() == 1 and updates.get().actor == staff
    assert RiskItem.objects.get(pk=item.pk).version > int(va)


def test_the_risk_item_api_refuses_a_stale_if_match_and_works_without_one(api, risk_item):
    url = f"/api/v1/risk/items/{risk_item.pk}/"
    etag = api.get(url)["ETag"]
    first = api.post(url + "update/", {"measures": "第一次"}, format="json", HTTP_IF_MATCH=etag)
    assert first.status_code == 200 and first["ETag"] != etag
    stale = api.post(url + "update/", {"measures": "第二次"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412 and set(stale.json()) == {"detail"}
    risk_item.refresh_from_db()
    assert risk_item.measures == "第一次"
    assert api.post(url + "update/", {"measures": "不带 If-Match"}, format="json").status_code == 200
