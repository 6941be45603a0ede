"""SJ01 entered end to end in the browser, with screenshots under var/screenshots/defects-*.png."""

import os

import pytest
from PIL import Image, ImageDraw

from defects.models import Defect, HandbookEntry, PreventionChecklistItem, Tag
from estates.models import Role
from tests.browser_support import shot
from tests.factories import DepartmentFactory, ProjectFactory, UserFactory

from . import sj01

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def act(page, name: str, fields: dict | None = None):
    form = page.locator(f"form[action$='/{name}/']")
    for field, value in (fields or {}).items():
        form.locator(f"[name='{name}-{field}']").fill(value)
    with page.expect_navigation():
        form.locator(f"button[data-action='{name}']").click()


def test_sj01_from_report_to_the_prevention_checklist_of_a_new_project(browser_page, live_server, settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "media")}}}
    photo = tmp_path / "skylight.jpg"
    image = Image.new("RGB", (1200, 900), (96, 120, 140))
    ImageDraw.Draw(image).rectangle((300, 200, 900, 700), fill=(150, 110, 70))
    image.save(photo, format="JPEG")
    project = ProjectFactory(**sj01.PROJECT)
    new = ProjectFactory(**sj01.NEW_PROJECT)
    wanchuang = DepartmentFactory(code="wanchuang", name="万创", name_en="Wanchuang design")
    li = UserFactory(username="li", first_name="李客服", role=Role.CR_STAFF, projects=[project, new])
    head = UserFactory(username="wu", first_name="吴总", role=Role.DEPARTMENT_HEAD, department=wanchuang, projects=[project, new])
    for kind, name, name_en in sj01.TAGS:
        Tag.objects.create(kind=kind, name=name, name_en=name_en)
    page = browser_page
    url = live_server.url

    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", "li")
    page.fill("#id_password", "pass-Touchstone-1")
    with page.expect_navigation():
        page.click("button[type=submit]")

    # 1. The feedback report.
    page.goto(f"{url}/defects/new/?project={project.code}")
    page.fill("#id_title", sj01.TITLE)
    page.fill("#id_description", sj01.DESCRIPTION)
    page.select_option("#id_source", "warranty")
    page.fill("#id_unit_types", sj01.UNIT_TYPES)
    page.fill("#id_location", "屋面天窗")
    page.fill("#id_households_affected", str(sj01.HOUSEHOLDS))
    page.check("#id_complaint_risk")
    page.fill("#id_cause_analysis", sj01.CAUSES)
    page.select_option("#id_responsible_department", str(wanchuang.pk))
    page.fill("#id_found_on", sj01.FOUND_ON.isoformat())
    for _kind, name, _en in sj01.TAGS:
        page.check(f"label:has-text('{name}') input")
    shot(page, "defects-sj01-1-report-form")
    page.click("form.card button[type=submit]")
    page.wait_for_url("**/defects/*/")
    defect = Defect.objects.get()
    assert defect.code == "SJ01"

    # 2. The review meeting grades it A; without the head it is refused.
    page.goto(f"{url}/defects/meetings/new/?project={project.code}")
    page.fill("#id_held_on", "2006-05-15")
    page.fill("#id_minutes", "天窗渗水专题评审：木质天窗节点不可靠，A级缺陷，限期整改。")
    page.select_option(f"#id_grade_{defect.pk}", "A")
    for name in ("capacity", "technical"):
        page.select_option(f"#id_{name}_{defect.pk}", "feasible")
    page.select_option(f"#id_schedule_{defect.pk}", "limited")
    page.fill(f"#id_problems_{defect.pk}", sj01.CAUSES)
    page.fill(f"#id_due_{defect.pk}", "2006-07-31")
    page.check(f"input[name=attendees][value='{li.pk}']")
    with page.expect_navigation():
        page.click("button.btn.primary[type=submit]")
    assert "吴总" in page.locator(".errorlist").first.inner_text()
    shot(page, "defects-sj01-2-meeting-refused")
    page.check(f"input[name=attendees][value='{head.pk}']")
    page.click("button.btn.primary[type=submit]")
    page.wait_for_url("**/defects/meetings/*/")
    shot(page, "defects-sj01-3-meeting")

    # 3. A photo (thumbnail served through the scope-checked view), then the A path with one rejected verification.
    page.goto(f"{url}/defects/{defect.pk}/")
    page.set_input_files("#id_image", str(photo))
    page.fill("#id_caption", "天窗上盖进水")
    with page.expect_navigation():
        page.click("form[action$='/photos/'] button")
    # Wait for the thumbnail to finish loading (naturalWidth is 0 until then), then check its size.
    width = page.locator(".photo-grid img").evaluate(
        "img => img.complete && img.naturalWidth ? img.naturalWidth"
        " : new Promise(done => img.addEventListener('load', () => done(img.naturalWidth), {once: true}))"
    )
    assert width == 320
    act(page, "draft-measures", {"measures": sj01.MEASURES, "prevention": sj01.PREVENTION})
    act(page, "complete")
    act(page, "accept")
    act(page, "reject", {"reason": "雨后复查：天窗反槛仍有渗水痕迹"})
    assert Defect.objects.get().status == "rectifying"
    act(page, "complete", {"note": "反槛重做，闭水试验48小时无渗漏"})
    act(page, "accept")
    act(page, "verify")
    act(page, "record-cost", {"cost": "280000"})
    assert Defect.objects.get().status == "closed"
    shot(page, "defects-sj01-4-defect-closed")

    # 4. The handbook: searchable in Chinese, printable.
    page.goto(f"{url}/defects/handbook/?q=天然木材")
    assert "SJ01" in page.content()
    shot(page, "defects-sj01-5-handbook")
    page.goto(f"{url}/defects/handbook/{HandbookEntry.objects.get().pk}/")
    shot(page, "defects-sj01-6-handbook-entry")

    # 5. The new project in design tags itself and gets the lesson; design ticks it with evidence.
    page.goto(f"{url}/defects/prevention/{new.code}/")
    page.check("label:has-text('天窗') input")
    page.check("label:has-text('木材') input")
    with page.expect_navigation():
        page.click("form[action$='/tags/'] button")
    item = PreventionChecklistItem.objects.get(project=new)
    page.select_option(f"#id_i{item.pk}-status", "applied")
    page.fill(f"#id_i{item.pk}-evidence", "天窗节点图 A-301：铝合金天窗，无木构件；节点设计会议决议已报工程管理部")
    with page.expect_navigation():
        page.click(f"form[action$='/items/{item.pk}/'] button")
    item.refresh_from_db()
    assert item.status == "applied"
    assert "SJ01" in page.content()
    shot(page, "defects-sj01-7-prevention-checklist")

    page.goto(f"{url}/projects/{project.code}/")
    assert page.locator("text=逾期整改").count() == 1
    shot(page, "defects-project-panel")
    page.goto(f"{url}/defects/handbook/?print=1")
    shot(page, "defects-handbook-print")
    page.goto(f"{url}/defects/")
    shot(page, "defects-list")
    assert page.console_errors == []


def test_defect_reported_from_an_owner_complaint(browser_page, live_server):
    from complaints import services as complaint_services
    from tests.factories import UnitFactory

    project = ProjectFactory(**sj01.PROJECT)
    dept = DepartmentFactory(code="wanchuang", name="万创", name_en="Wanchuang design")
    staff = UserFactory(username="li", first_name="李客服", role=Role.CR_STAFF, projects=[project])
    unit = UnitFactory(building__project=project, number="TA-0608", unit_type="TA")
    complaint = complaint_services.complaint_file(actor=staff, project=project, unit=unit, channel="hotline",
                                                  category="construction_quality", title="屋面天窗漏水",
                                                  description="下雨时天窗上盖进水，木地板泡坏。")
    page = browser_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "li")
    page.fill("#id_password", "pass-Touchstone-1")
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.goto(f"{live_server.url}/defects/from-complaint/{complaint.pk}/")
    assert page.input_value("#id_title") == "屋面天窗漏水"
    assert page.input_value("#id_units") == "TA-0608"
    page.select_option("#id_responsible_department", str(dept.pk))
    shot(page, "defects-from-complaint-form")
    with page.expect_navigation():
        page.click("form.card button[type=submit]")
    defect = Defect.objects.get()
    assert defect.source_complaint == complaint
    assert complaint.reference in page.content()
    shot(page, "defects-from-complaint-defect")
    assert page.console_errors == []
