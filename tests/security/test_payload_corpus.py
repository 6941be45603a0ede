"""Item 9: a payload corpus in every user text field and file name is never active markup.

The corpus (script tags, ``javascript:`` links in multi-line / tab / entity-encoded / mixed-case
forms, SVG onload, attribute and ``</textarea>`` breakouts, template syntax, spreadsheet formulas)
is generated with hypothesis. The fields are discovered from the models of every app: each
CharField / TextField / FileField that holds free text (not choices, not an identifier validated on
input — see ``SKIP``), so a new text field is covered the moment it is added.

Every row the route matrix's scope factories create (one object per object route) has each such
field overwritten with a drawn payload straight in the database — the strongest case: whatever got
in, by any path, must come out inert. Then every page of the matrix (lists, details, dashboards,
forms) is rendered and parsed with ``html.parser``: no injected element or attribute (nothing named
``tsxss``, no ``on*=`` handler, no script without ``src`` other than JSON data islands, no
``href``/``src``/``action`` with a ``javascript:``/``vbscript:``/``data:text`` scheme after the
browser's own whitespace stripping). Every Excel file the pages offer is opened with openpyxl: no
formula cell. Notification e-mails are plain text, keep every payload and never fail on one.
"""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.core import mail
from django.db import models
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from estates.models import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MARK = "tsxss"
APPS = ("estates", "complaints", "defects", "risk", "touchpoints", "segments", "satisfaction", "crm_site")

# --- the corpus -----------------------------------------------------------------------------------

BASE = [
    f"<script>{MARK}(1)</script>",
    f"<ScRiPt src=//evil.example/{MARK}.js></sCrIpT>",
    f"<svg onload={MARK}(1)>",
    f"<svg/onload={MARK}(1)//",
    f"<img src=x onerror={MARK}(1)>",
    f'"><img src=x onerror={MARK}(1)>',
    f"'><{MARK}>",
    f'" onmouseover="{MARK}(1)" x="',
    f"' onmouseover='{MARK}(1)' x='",
    f'" autofocus onfocus="{MARK}(1)',
    f"</textarea><script>{MARK}(1)</script>",
    f"</title><{MARK}>",
    f"</script><script>{MARK}(1)</script>",
    f"</style><{MARK}>",
    f'<a href="javascript:{MARK}(1)">x</a>',
    f'<a href="java\nscript:{MARK}(1)">x</a>',
    f'<a href="java\tscript:{MARK}(1)">x</a>',
    f'<a href="&#106;avascript:{MARK}(1)">x</a>',
    f'<a href="&#x6A;avascript&colon;{MARK}(1)">x</a>',
    f"javascript:{MARK}(1)",
    f" JaVaScRiPt:{MARK}(1)",
    f"java\nscript:{MARK}(1)",
    f"vbscript:{MARK}(1)",
    f"data:text/html,<script>{MARK}(1)</script>",
    f'<iframe srcdoc="<script>{MARK}(1)</script>">',
    f"<math><mtext><table><mglyph><style><img src=x onerror={MARK}(1)>",
    f"<{MARK}>",
    f"<div {MARK}=1>",
    "{{ " + MARK + " }}{% debug %}",
    "{{7*7}}" + MARK + "${7*7}",
    f'=HYPERLINK("http://evil.example/{MARK}","x")',
    f'+cmd|"/c calc"!A0 {MARK}',
    f"-2+3+cmd|{MARK}",
    f"@SUM(1+1)*cmd|{MARK}",
    f"=1+1 {MARK}",
    f"标题\r\n{MARK}: injected-header",
]


def _entity_encoded(word: str, picks: list[bool]) -> str:
    return "".join(f"&#{ord(ch)};" if pick else ch for ch, pick in zip(word, picks, strict=False))


@st.composite
def javascript_links(draw) -> str:
    """``javascript:`` with what browsers ignore or decode: case, tabs/newlines inside, entities, leading spaces."""
    word = "".join(c.upper() if draw(st.booleans()) else c for c in "javascript")
    cut = draw(st.integers(0, len(word)))
    word = word[:cut] + draw(st.sampled_from(["", "\t", "\n", "\r\n", "&#9;", "&#10;"])) + word[cut:]
    if draw(st.booleans()):
        word = _entity_encoded(word, draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word))))
    colon = draw(st.sampled_from([":", "&colon;", "&#58;", "&#x3a;"]))
    link = f"{draw(st.sampled_from(['', ' ', chr(1)]))}{word}{colon}{MARK}(1)"
    return draw(st.sampled_from([link, f'<a href="{link}">x</a>', f"<a href='{link}'>x</a>", f"<a href={link}>x</a>"]))


def payloads(max_length: int | None = None) -> st.SearchStrategy[str]:
    """One payload, optionally wrapped in ordinary text, that fits ``max_length``."""
    base = st.one_of(st.sampled_from(BASE), javascript_links())
    wrapped = st.builds(
        lambda before, p, after: f"{before}{p}{after}",
        st.sampled_from(["", "业主反映：", "A ", "\n"]),
        base,
        st.sampled_from(["", " 请处理", "\n第二行"]),
    )
    strategy = st.one_of(base, wrapped)
    if max_length:
        short = [p for p in BASE if len(p) <= max_length] or [f"<{MARK}>"[:max_length]]
        strategy = strategy.filter(lambda p: len(p) <= max_length) | st.sampled_from(short)
    return strategy


# --- the fields -----------------------------------------------------------------------------------

# Identifiers validated on input, codes, secrets and machine-written columns: not free text.
SKIP_NAMES = re.compile(
    r"^(password|phone|contact_phone|id_number|key_prefix|key_hash|secret|dedupe_key|complainant_key|signature|kind|event|"
    r"method|path|content_type|principal|key|ip_address|url|kpi_key|phase|status_before|status_after|before|after|actor_type|"
    r"occurrence|source_ref|series|object_id|error)$"
)
SKIP_MODELS = {
    "crm_site.IdempotencyRecord": "replayed response bodies (JSON), written by the middleware",
    "crm_site.Heartbeat": "the worker's liveness row",
    "estates.LoginThrottle": "counters keyed by username and address",
    "estates.OutboxEvent": "machine-written event rows",
    "estates.WebhookAttempt": "machine-written delivery attempts",
    "estates.SecurityEvent": "machine-written audit rows (read-only in the admin)",
}


def _unique_fields(model) -> set[str]:
    names = {f.name for f in model._meta.concrete_fields if f.unique}
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint):
            names |= set(constraint.fields)
    for together in model._meta.unique_together:
        names |= set(together)
    return names


def user_text_fields() -> list[tuple[type[models.Model], models.Field]]:
    found = []
    for model in apps.get_models():
        if model._meta.app_label not in APPS or model._meta.label in SKIP_MODELS:
            continue
        unique = _unique_fields(model)
        for f in model._meta.concrete_fields:
            text = isinstance(f, (models.CharField, models.TextField, models.FileField))
            if not text or isinstance(f, (models.EmailField, models.URLField, models.SlugField)) or f.primary_key:
                continue
            if f.choices or f.name in unique or SKIP_NAMES.match(f.name):
                continue
            found.append((model, f))
    return found


def test_the_fields_are_discovered_from_the_models():
    labels = {f"{m._meta.label}.{f.name}" for m, f in user_text_fields()}
    # A sample of what must be there (so a too eager SKIP cannot empty the corpus unnoticed).
    for expected in (
        "complaints.Complaint.title",
        "complaints.Complaint.description",
        "complaints.Case.lessons",
        "defects.Defect.description",
        "defects.DefectPhoto.caption",
        "defects.DefectPhoto.image",
        "risk.RiskItem.measures",
        "touchpoints.CustomerContact.summary",
        "satisfaction.Answer.value_text",
        "estates.Customer.name",
        "estates.Project.name",
        "estates.Notification.title",
        "segments.ParcelAssessment.note",
        "crm_site.ScorecardActual.note",
    ):
        assert expected in labels, expected
    assert len(labels) > 100


def poison(data, fields) -> None:
    """Overwrite the field in every row with a drawn payload (one UPDATE per field)."""
    for model, f in fields:
        limit = getattr(f, "max_length", None)
        if isinstance(f, models.FileField):
            value = "uploads/" + data.draw(payloads(80), label=f.name).replace("/", "_") + ".jpg"
        else:
            value = data.draw(payloads(limit), label=f"{model.__name__}.{f.name}")
        model._base_manager.update(**{f.attname: value})


# --- the checks -----------------------------------------------------------------------------------

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "srcset"}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:text", "data:application")
INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")


class ActiveMarkup(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = [(n, v or "") for n, v in attrs]
        if MARK in tag:
            self.found.append(f"<{tag}>")
        names = dict(attrs)
        if tag == "script" and not names.get("src") and names.get("type") != "application/json":
            self.found.append("<script> without src")
        for name, value in attrs:
            if name.startswith("on") or MARK in name or name == "srcdoc":
                self.found.append(f"<{tag} {name}=…>")
            if name in URL_ATTRIBUTES and INVISIBLE.sub("", value).lower().startswith(BAD_SCHEMES):
                self.found.append(f"<{tag} {name}={value[:40]!r}>")
            if name in URL_ATTRIBUTES and tag == "script" and MARK in value:
                self.found.append(f"<script src={value[:40]!r}>")

    handle_startendtag = handle_starttag


def active_markup(html: str) -> list[str]:
    parser = ActiveMarkup()
    parser.feed(html)
    parser.close()
    return parser.found


def formula_cells(content: bytes) -> list[str]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content))
    return [
        f"{ws.title}!{c.coordinate}={c.value!r}"
        for ws in book.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.data_type == "f"
    ]


def test_the_checks_catch_what_they_must():
    assert active_markup(f'<p><svg onload="{MARK}()"></p>')
    assert active_markup(f'<a href=" java\tscript:{MARK}()">')
    assert active_markup(f'<a href="&#106;avascript:{MARK}()">')
    assert active_markup(f"<textarea></textarea><{MARK}>")
    assert active_markup("<script>x()</script>")
    assert not active_markup(f'<p>&lt;script&gt;{MARK}()&lt;/script&gt;</p><input value="&quot; onmouseover=&quot;{MARK}">')
    assert not active_markup(
        '<script type="application/json">{"a": "\\u003Cscript\\u003E"}</script><script src="/static/x.js"></script>'
    )
    from openpyxl import Workbook

    book, buffer = Workbook(), io.BytesIO()
    book.active.append(["=1+1", "'=1+1", "text"])
    book.save(buffer)
    assert formula_cells(buffer.getvalue()) == ["Sheet!A1='=1+1'"]


# --- pages, dashboards and exports ----------------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def world(project):
    """One object per object route (the matrix's scope factories), a notification, and a reader who sees everything."""
    from estates.notifications import notify

    from .test_headers_and_redirects import _page_urls

    urls = _page_urls(project)
    reader = UserFactory(username="reader", role=Role.GROUP_CENTRE, is_superuser=True, is_staff=True, projects=[project])
    notify(recipients=[reader], kind="test", title="通知", body="正文", dedupe_key="corpus", project=project)
    client = Client()
    client.force_login(reader)
    return client, urls


@settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(data=st.data())
def test_payloads_in_every_text_field_are_inert_on_every_page_and_export(world, data):
    client, urls = world
    poison(data, user_text_fields())
    pages = exports = shown = 0
    for url in urls:
        response = client.get(url)
        assert response.status_code < 500, url
        kind = response.get("Content-Type", "")
        if response.status_code == 200 and kind.startswith("text/html"):
            body = response.content.decode()
            assert active_markup(body) == [], url
            assert "pbkdf2_sha256$" not in body and "md5$" not in body, url  # no template evaluated from data
            pages += 1
            shown += MARK in body
        elif response.status_code == 200 and kind.startswith(XLSX):
            assert formula_cells(response.getvalue()) == [], url
            exports += 1
    assert pages >= 40 and exports >= 3, (pages, exports)
    assert shown >= 30, shown  # the payloads did reach the pages (as text)


def test_formula_text_in_every_field_stays_text_in_every_export(world):
    """Deterministic: every field starts like a formula (the shortest that fits); every export has no formula cell."""
    client, urls = world
    for model, f in user_text_fields():
        limit = getattr(f, "max_length", None) or 200
        value = next(
            p for p in (f'=HYPERLINK("http://evil.example/{MARK}","x")', f"=1+1 {MARK}", "=1+1", "=1") if len(p) <= limit
        )
        model._base_manager.update(**{f.attname: value if not isinstance(f, models.FileField) else f"uploads/{value}.jpg"})
    exports = 0
    for url in urls:
        response = client.get(url)
        assert response.status_code < 500, url
        if response.status_code == 200 and response.get("Content-Type", "").startswith(XLSX):
            assert formula_cells(response.getvalue()) == [], url
            exports += 1
    assert exports >= 3


# --- e-mails --------------------------------------------------------------------------------------


@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(title=payloads(200), body=payloads())
def test_notification_emails_are_plain_text_and_never_fail_on_a_payload(project, title, body):
    from estates.models import Notification
    from estates.notifications import notify
    from estates.tasks import notification_email_send

    recipient = UserFactory(role=Role.CR_MANAGER, projects=[project], email="mgr@example.com")
    mail.outbox.clear()
    ids = notify(
        recipients=[recipient], kind="test", title=title, body=body, dedupe_key=f"corpus:{recipient.pk}", project=project
    )
    Notification.objects.filter(pk__in=ids).update(emailed_at=None)
    mail.outbox.clear()
    assert notification_email_send(notification_ids=ids) == 1
    [message] = mail.outbox
    assert message.content_subtype == "plain" and not getattr(message, "alternatives", None)
    assert "\n" not in message.subject and "\r" not in message.subject
    assert body.strip() in message.body


def test_a_complaint_filed_with_payloads_notifies_and_mails_without_error(project, manager):
    """The real path: a complaint whose title and description are payloads is filed and its
    notifications are e-mailed (a newline in the title used to make the subject a bad header)."""
    from estates.models import Notification
    from estates.tasks import notification_email_send
    from tests.complaints.factories import file_complaint

    manager.email = "mgr@example.com"
    manager.save(update_fields=["email"])
    file_complaint(
        project=project, title=f"渗水\r\n{MARK}: x <script>{MARK}()</script>", description=BASE[10], lawsuit_filed=True
    )
    ids = list(Notification.objects.filter(recipient=manager).values_list("pk", flat=True))
    assert ids
    Notification.objects.filter(pk__in=ids).update(emailed_at=None)
    mail.outbox.clear()
    assert notification_email_send(notification_ids=ids) == len(ids)
