"""Staff pages: the inbox, hotline intake, the complaint page with one form per allowed action,
cases, group-complaint clusters, weekly reports and KPIs. Views parse, fetch through scoped
selectors, call one service and render."""

import functools
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from estates import access, panels
from estates.workflow import AuthorityExceeded, InvalidTransition, StaleVersion

from . import reports, rules, selectors, services
from .forms import ACTION_FORMS, AssignForm, CaseForm, InboxFilterForm, IntakeForm
from .models import SEVERITY_CODES, Category, Channel, Complaint, Severity, WeeklyReport

PAGE_SIZE = 25


def _projects(user):
    return list(selectors.projects_for_filter(actor=user))


def _inbox_filters(request) -> tuple[InboxFilterForm, dict]:
    """The inbox's filter form and the filters it accepted (the page and its export share them)."""
    projects = selectors.projects_for_filter(actor=request.user).only("code", "name")  # the options need no more
    form = InboxFilterForm(request.GET or None, projects=list(projects))
    return form, (form.filters() if form.is_valid() else {})


@functools.cache
def _inbox_labels(language: str | None) -> dict:
    """The inbox rows' choice labels in one language, resolved once per process and language
    (``get_FOO_display`` would resolve every label of a field's choices for every row)."""
    with translation.override(language):
        return {
            "severity": {int(v): str(label) for v, label in Severity.choices},
            "status": {v: str(label) for v, label in Complaint.Status.choices},
            "category": {v: str(label) for v, label in Category.choices},
            "channel": {v: str(label) for v, label in Channel.choices},
            "clock_stopped": format_html('<span class="badge warn">{}</span>', _("Clock stopped")),
        }


def _detail_href():
    """The complaint page's URL for a pk: reversed once, then formatted per row."""
    prefix, _pk, suffix = reverse("complaints:detail", kwargs={"pk": 0}).rpartition("0")
    return lambda pk: f"{prefix}{pk}{suffix}"


def _inbox_row(c, *, now, labels, href, tz) -> dict:
    """One inbox row, ready to print: what the template used to look up per cell."""
    status = c.status
    due = (
        c.first_response_due
        if status == Complaint.Status.RECEIVED
        else c.resolution_due
        if status == Complaint.Status.IN_PROGRESS
        else None
    )
    if due is not None:
        due = due.astimezone(tz)
    return {
        "c": c,
        "overdue": rules.is_overdue(
            status=status, first_response_due=c.first_response_due, resolution_due=c.resolution_due, now=now
        ),
        "severity": SEVERITY_CODES[Severity(c.severity)],
        "href": href(c.pk),
        "reference": c.reference or f"#{c.pk}",
        "severity_label": labels["severity"].get(c.severity, c.severity),
        "title": Truncator(c.title).chars(40),
        "unit": c.unit.number if c.unit_id else None,
        "project": c.project.name,
        "category": labels["category"].get(c.category, c.category),
        "channel": labels["channel"].get(c.channel, c.channel),
        "status": labels["status"].get(status, status),
        "assignee": (c.assignee.display_name if c.assignee_id else "") or "—",
        "due": (due.isoformat(), due.strftime("%m-%d %H:%M")) if due is not None else None,
        "level": c.escalation_level,
        "on_hold": status == Complaint.Status.ON_HOLD,
        "filed": c.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
    }


# One inbox row: the markup inbox.html had per row, written by format_html (every value escaped)
# instead of ~15 template lookups, filters and escapes per row.
_ROW_HTML = (
    '<tr class="{overdue}">\n'
    '      <td class="mono"><a href="{href}">{reference}</a></td>\n'
    '      <td><span class="badge sev-{severity}">{severity_label}</span></td>\n'
    '      <td><a href="{href}">{title}</a>{unit}</td>\n'
    "      <td>{project}</td>\n"
    "      <td>{category}</td>\n"
    "      <td>{channel}</td>\n"
    "      <td>{status}</td>\n"
    "      <td>{assignee}</td>\n"
    '      <td class="num">{level}</td>\n'
    "      <td>{left}</td>\n"
    "      <td>{filed}</td>\n"
    "    </tr>"
)


def _inbox_row_html(row: dict, labels: dict) -> str:
    due = row["due"]
    if due is not None:
        left = format_html('<span class="countdown" data-due="{}">{}</span>', *due)
    else:
        left = labels["clock_stopped"] if row["on_hold"] else "—"
    return format_html(
        _ROW_HTML,
        overdue="overdue" if row["overdue"] else "",
        href=row["href"],
        reference=row["reference"],
        severity=row["severity"],
        severity_label=row["severity_label"],
        title=row["title"],
        unit=format_html(' <span class="muted">{}</span>', row["unit"]) if row["unit"] is not None else "",
        project=row["project"],
        category=row["category"],
        channel=row["channel"],
        status=row["status"],
        assignee=row["assignee"],
        level=row["level"],
        left=left,
        filed=row["filed"],
    )


@login_required
def inbox(request):
    form, filters = _inbox_filters(request)
    now = timezone.now()
    qs = selectors.complaint_inbox(actor=request.user, now=now, **filters)
    counts = selectors.tier_counts(qs, now=now, cap=selectors.COUNT_CAP)
    capped = counts["total"] > selectors.COUNT_CAP
    paginator = Paginator(selectors.inbox_page_columns(qs), PAGE_SIZE)
    paginator.count = counts["total"]  # the aggregate already counted the rows: no second COUNT(*)
    page = paginator.get_page(request.GET.get("page"))
    labels, href, tz = _inbox_labels(translation.get_language()), _detail_href(), timezone.get_current_timezone()
    rows = [_inbox_row(c, now=now, labels=labels, href=href, tz=tz) for c in page.object_list]
    for row in rows:
        row["html"] = _inbox_row_html(row, labels)
    tiers = [
        (SEVERITY_CODES[Severity(v)], labels["severity"][v], counts[SEVERITY_CODES[Severity(v)]])
        for v in reversed(Severity.values)
    ]
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "counts": counts,
        "tiers": tiers,
        "capped": capped,
        "cap": selectors.COUNT_CAP,
    }
    return render(request, "complaints/inbox.html", context)


EXPORT_MAX_ROWS = 200_000  # a bound on one file; the filters narrow anything larger


@login_required
def inbox_export(request):
    """The inbox as .xlsx: the page's filters and scope, phones and ID numbers masked by the
    reader's role as the pages mask them, text escaped against formula injection, rows streamed
    from one query (a server-side cursor on PostgreSQL) into a write-only workbook."""
    from estates.xlsx import capped, streamed_xlsx_response

    _form, filters = _inbox_filters(request)
    now = timezone.now()
    qs = selectors.complaint_export(actor=request.user, now=now, **filters)
    user = request.user
    statuses, categories, channels = dict(Complaint.Status.choices), dict(Category.choices), dict(Channel.choices)

    def rows():
        for c in qs.iterator(chunk_size=2000):
            customer = c.customer
            yield [
                c.reference or f"#{c.pk}",
                c.project.code,
                c.project.name,
                Severity(c.severity).label,
                statuses.get(c.status, c.status),
                categories.get(c.category, c.category),
                channels.get(c.channel, c.channel),
                c.title,
                c.unit.number if c.unit_id else "",
                customer.name if customer else "",
                access.id_number_for(user, customer.id_number) if customer else "",
                c.contact_name,
                access.phone_for(user, c.contact_phone),
                c.assignee.display_name if c.assignee_id else "",
                c.escalation_level,
                _("Yes")
                if rules.is_overdue(
                    status=c.status, first_response_due=c.first_response_due, resolution_due=c.resolution_due, now=now
                )
                else "",
                c.created_at,
                c.first_response_due,
                c.resolution_due,
                c.resolved_at,
                c.closed_at,
            ]

    headers = [
        _("Reference"),
        _("Project code"),
        _("Project"),
        _("Severity"),
        _("Status"),
        _("Category"),
        _("Channel"),
        _("Title"),
        _("Unit number"),
        _("Customer"),
        _("ID number"),
        _("Caller's name"),
        _("Phone"),
        _("Assignee"),
        _("Escalation level"),
        _("Overdue"),
        _("Filed at"),
        _("First response due"),
        _("Resolution due"),
        _("Resolved at"),
        _("Closed at"),
    ]
    return streamed_xlsx_response(
        filename=f"complaints-{timezone.localdate():%Y%m%d}.xlsx",
        sheet_title=_("Complaints"),
        headers=headers,
        rows=capped(rows(), EXPORT_MAX_ROWS),
        widths=[16, 10, 16, 8, 8, 12, 10, 36, 10, 10, 20, 10, 14, 10, 6, 6, 17, 17, 17, 17, 17],
    )


@login_required
def intake(request):
    projects = _projects(request.user)
    find = request.GET.get("find", "")
    matches = selectors.customers_for_intake(actor=request.user, find=find)
    customer = None
    initial = {}
    if request.GET.get("customer"):
        customer = selectors.customer_for_intake(actor=request.user, pk=request.GET["customer"])
        if customer is not None:
            initial = {
                "customer": customer.pk,
                "contact_name": customer.name,
                "contact_phone": customer.phone,
                "project": request.GET.get("project", ""),
                "unit": request.GET.get("unit", ""),
            }
    form = IntakeForm(request.POST or None, initial=initial, projects=projects)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        project = next((p for p in projects if p.code == data["project"]), None)
        if data.get("customer"):
            customer = selectors.customer_for_intake(actor=request.user, pk=data["customer"])
            if customer is None:
                form.add_error(None, _("That customer is not in your projects."))
        unit = None
        if data.get("unit") and project is not None:
            from estates import selectors as estate_selectors

            unit = estate_selectors.unit_list(actor=request.user, project=project).filter(number=data["unit"].strip()).first()
            if unit is None:
                form.add_error("unit", _("No such unit in this project."))
        if not form.errors:
            try:
                complaint = services.complaint_file(
                    actor=request.user,
                    project=project,
                    unit=unit,
                    customer=customer,
                    contact_name=data["contact_name"],
                    contact_phone=data["contact_phone"],
                    channel=data["channel"],
                    category=data["category"],
                    title=data["title"],
                    description=data["description"],
                    complainant_count=data["complainant_count"],
                    motive=data["motive"],
                    lawsuit_filed=data["lawsuit_filed"],
                    media_exposed=data["media_exposed"],
                    legal_or_media_risk=data["legal_or_media_risk"],
                    needs_outside_help=data["needs_outside_help"],
                    assignee=request.user if access.project_in_scope(request.user, project) else None,
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("Complaint %(reference)s filed.") % {"reference": complaint.reference})
                return redirect("complaints:detail", pk=complaint.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "complaints/intake.html", {"form": form, "find": find, "matches": matches, "customer": customer}, status=status
    )


def _action_forms(request, complaint, bound=None):
    """One form per action the complaint's status allows (``bound`` replaces one with errors)."""
    forms = []
    for name in selectors.allowed_actions(complaint=complaint):
        form_class, label = ACTION_FORMS[name]
        if bound and bound[0] == name:
            form = bound[1]
        elif form_class is AssignForm:
            form = AssignForm(
                staff=selectors.assignable_staff(project=complaint.project),
                initial={"assignee": complaint.assignee.username if complaint.assignee_id else "", "version": complaint.version},
            )
        else:
            form = form_class(initial={"version": complaint.version})
        forms.append({"name": name, "label": label, "form": form})
    if bound and bound[0] not in {f["name"] for f in forms} and bound[0] != "set-severity":
        # The complaint moved on under the user (optimistic locking): keep their form and its input.
        forms.insert(0, {"name": bound[0], "label": ACTION_FORMS[bound[0]][1], "form": bound[1]})
    if complaint.status != Complaint.Status.CLOSED:
        form_class, label = ACTION_FORMS["set-severity"]
        form = (
            bound[1]
            if bound and bound[0] == "set-severity"
            else form_class(initial={"severity": complaint.severity, "version": complaint.version})
        )
        forms.append({"name": "set-severity", "label": label, "form": form})
    elif bound and bound[0] == "set-severity":
        forms.append({"name": "set-severity", "label": ACTION_FORMS["set-severity"][1], "form": bound[1]})
    return forms


def _change_text(event) -> str:
    """A readable "before → after" for the timeline: statuses and tiers by their labels."""
    labels = {
        "status": dict(Complaint.Status.choices),
        "severity": {code: Severity(v).label for v, code in SEVERITY_CODES.items()},
    }
    parts = []
    for key in ("status", "severity", "assignee", "escalation_level"):
        if key in event.after:
            before, after = event.before.get(key), event.after[key]
            names = labels.get(key, {})
            after_text = str(names.get(after, after))
            parts.append(f"{names.get(before, before)} → {after_text}" if before not in (None, "") else after_text)
    if "satisfied" in event.after:
        parts.append(f"{_('Satisfied') if event.after['satisfied'] else _('Not satisfied')} · {event.after.get('score')}/5")
    return "；".join(parts)


def _render_detail(request, complaint, *, bound=None, status=200):
    now = timezone.now()
    context = {
        "c": complaint,
        "severity": SEVERITY_CODES[Severity(complaint.severity)],
        "overdue": rules.is_overdue(
            status=complaint.status,
            first_response_due=complaint.first_response_due,
            resolution_due=complaint.resolution_due,
            now=now,
        ),
        "actions": _action_forms(request, complaint, bound),
        "case": selectors.complaint_case(complaint=complaint),
        "needs_case": complaint.severity == Severity.MAJOR,
        "timeline": [{"e": e, "change": _change_text(e)} for e in complaint.events.all()],
        # Other apps' sections (defects it revealed, ...), registered through estates.panels.
        "panels": panels.render_context("complaint", request, complaint),
    }
    return render(request, "complaints/detail.html", context, status=status)


@login_required
def detail(request, pk):
    return _render_detail(request, selectors.complaint_get(actor=request.user, pk=pk))


@login_required
@require_POST
def action(request, pk, action):
    if action not in ACTION_FORMS:
        raise Http404
    complaint = selectors.complaint_get(actor=request.user, pk=pk)
    form_class, _label = ACTION_FORMS[action]
    kwargs = {"staff": selectors.assignable_staff(project=complaint.project)} if form_class is AssignForm else {}
    form = form_class(request.POST, **kwargs)
    if not form.is_valid():
        return _render_detail(request, complaint, bound=(action, form), status=400)
    data, user = form.cleaned_data, request.user
    # The version the page showed (optimistic locking): a save over someone else's change is refused.
    seen = {"complaint": complaint, "actor": user, "expected_version": data.get("version")}
    try:
        if action == "respond":
            services.complaint_respond(**seen, message=data["message"])
        elif action == "assign":
            assignee = selectors.staff_by_username(project=complaint.project, username=data["assignee"])
            services.complaint_assign(**seen, assignee=assignee)
        elif action == "hold":
            services.complaint_hold(**seen, reason=data["reason"])
        elif action == "resume":
            services.complaint_resume(**seen)
        elif action == "resolve":
            services.complaint_resolve(**seen, resolution=data["resolution"], compensation=data["compensation"] or 0)
        elif action == "revisit":
            services.complaint_revisit(**seen, satisfied=data["satisfied"], score=data["score"], note=data["note"])
        elif action == "close":
            services.complaint_close(**seen)
        elif action == "reopen":
            services.complaint_reopen(**seen, reason=data["reason"])
        elif action == "escalate":
            services.complaint_escalate(**seen, reason=data["reason"])
        elif action == "set-severity":
            services.complaint_set_severity(**seen, severity=data["severity"], reason=data["reason"])
    except StaleVersion as exc:
        complaint = selectors.complaint_get(actor=request.user, pk=pk)
        _keep_input_at_new_version(request, form, exc, complaint)
        return _render_detail(request, complaint, bound=(action, form), status=409)
    except AuthorityExceeded as exc:
        messages.warning(request, exc.message)
    except InvalidTransition as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        complaint = selectors.complaint_get(actor=request.user, pk=pk)
        return _render_detail(request, complaint, bound=(action, form), status=400)
    else:
        messages.success(request, _("Done: %(action)s.") % {"action": ACTION_FORMS[action][1]})
    return redirect("complaints:detail", pk=pk)


def _keep_input_at_new_version(request, form, exc, complaint) -> None:
    """Someone saved first: show the current complaint with the user's input kept, the conflict
    said plainly, and the hidden version moved on, so a deliberate second submit goes through."""
    form.data = form.data.copy()
    form.data["version"] = str(complaint.version)
    form.add_error(None, exc.message)
    messages.error(request, exc.message)


@login_required
def case_edit(request, pk):
    complaint = selectors.complaint_get(actor=request.user, pk=pk)
    case = selectors.complaint_case(complaint=complaint)
    initial = (
        {f: getattr(case, f) for f in ("title", "background", "causes", "handling", "lessons")}
        if case
        else {"title": complaint.title}
    )
    form = CaseForm(request.POST or None, initial={**initial, "version": complaint.version})
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        expected = values.pop("version", None)
        try:
            case = services.case_write(complaint=complaint, actor=request.user, expected_version=expected, **values)
        except StaleVersion as exc:
            complaint = selectors.complaint_get(actor=request.user, pk=pk)
            _keep_input_at_new_version(request, form, exc, complaint)
            status = 409
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Case saved."))
            return redirect("complaints:case", pk=case.pk)
    return render(request, "complaints/case_form.html", {"c": complaint, "form": form}, status=status)


def _case_search(request) -> str:
    """The case list's search (the page and its export share it)."""
    return request.GET.get("q", "")[:100]


@login_required
def case_list(request):
    q = _case_search(request)
    page = Paginator(selectors.case_list(actor=request.user, search=q), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "complaints/case_list.html", {"page": page, "q": q})


@login_required
def case_export(request):
    """The case list as .xlsx: the page's search and scope, one query, text escaped."""
    from estates.xlsx import capped, streamed_xlsx_response

    qs = selectors.case_list(actor=request.user, search=_case_search(request))
    rows = (
        [
            case.pk,
            case.title,
            case.project.code,
            case.project.name,
            case.complaint.reference,
            case.author.display_name if case.author_id else "",
            timezone.localtime(case.created_at).date(),
            case.background,
            case.causes,
            case.handling,
            case.lessons,
        ]
        for case in qs.iterator(chunk_size=2000)
    )
    return streamed_xlsx_response(
        filename=f"complaint-cases-{timezone.localdate():%Y%m%d}.xlsx",
        sheet_title=_("Cases"),
        headers=[
            _("Case id"),
            _("Title"),
            _("Project code"),
            _("Project"),
            _("Complaint"),
            _("Author"),
            _("Written"),
            _("Background"),
            _("Causes"),
            _("Handling"),
            _("Lessons"),
        ],
        rows=capped(rows, EXPORT_MAX_ROWS),
        widths=[8, 30, 10, 16, 16, 10, 11, 40, 40, 40, 40],
    )


@login_required
def case_detail(request, pk):
    return render(request, "complaints/case_detail.html", {"case": selectors.case_get(actor=request.user, pk=pk)})


@login_required
def cluster_list(request):
    page = Paginator(selectors.cluster_list(actor=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "complaints/cluster_list.html", {"page": page})


@login_required
def cluster_export(request):
    """The group-complaint warnings as .xlsx: the page's scope and threshold, one query, text escaped."""
    from estates.xlsx import capped, streamed_xlsx_response

    categories = dict(Category.choices)
    qs = selectors.cluster_list(actor=request.user)
    rows = (
        [
            cl.pk,
            cl.project.code,
            cl.project.name,
            categories.get(cl.category, cl.category),
            cl.building.name if cl.building_id else cl.signature,
            cl.complainant_count,
            cl.first_at,
            cl.last_at,
        ]
        for cl in qs.iterator(chunk_size=2000)
    )
    return streamed_xlsx_response(
        filename=f"complaint-clusters-{timezone.localdate():%Y%m%d}.xlsx",
        sheet_title=_("Group-complaint warnings"),
        headers=[
            _("Warning id"),
            _("Project code"),
            _("Project"),
            _("Category"),
            _("Building or text"),
            _("Distinct complainants"),
            _("First complaint"),
            _("Latest complaint"),
        ],
        rows=capped(rows, EXPORT_MAX_ROWS),
        widths=[8, 10, 16, 12, 30, 10, 17, 17],
    )


@login_required
def cluster_detail(request, pk):
    cluster = selectors.cluster_get(actor=request.user, pk=pk)
    members = [{"c": c, "severity": SEVERITY_CODES[Severity(c.severity)]} for c in cluster.members.all()]
    return render(
        request,
        "complaints/cluster_detail.html",
        {
            "cluster": cluster,
            "members": members,
            "timeline": selectors.cluster_timeline(cluster=cluster),
            "severity": SEVERITY_CODES[Severity(rules.cluster_severity(cluster.complainant_count))],
        },
    )


def _group_reader(user) -> bool:
    return access.project_ids_for(user) is None


@login_required
def report_list(request):
    if not _group_reader(request.user):
        raise Http404  # the weekly report covers every project: group centre and administrators
    return render(request, "complaints/report_list.html", {"reports": WeeklyReport.objects.order_by("-week_start")[:52]})


def _report(request, week):
    if not _group_reader(request.user):
        raise Http404
    try:
        return WeeklyReport.objects.get(week_start=date.fromisoformat(week))
    except (ValueError, WeeklyReport.DoesNotExist):
        raise Http404 from None


@login_required
def report_detail(request, week):
    report = _report(request, week)
    return render(request, "complaints/report_detail.html", {"report": report, "data": report.data})


@login_required
def report_xlsx(request, week):
    report = _report(request, week)
    response = HttpResponse(
        reports.weekly_report_xlsx(report), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="complaints-week-{report.week_start}.xlsx"'
    return response


@login_required
def kpis(request):
    projects = _projects(request.user)
    today = timezone.localdate()
    try:
        start = date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        start = today - timedelta(days=29)
    try:
        end = date.fromisoformat(request.GET.get("to", ""))
    except ValueError:
        end = today
    start, end = min(start, end), max(start, end)
    code = request.GET.get("project", "")
    project = next((p for p in projects if p.code == code), None)
    figures = selectors.complaint_kpis(actor=request.user, project=project, start=start, end=end)
    cards = []
    for key, label in (
        ("satisfaction_rate", _("Satisfaction")),
        ("on_time_rate", _("On time")),
        ("closure_rate", _("Closure")),
        ("revisit_rate", _("Follow-up call rate")),
    ):
        value, target = figures[key], figures["targets"][key]
        # Satisfaction must exceed its target; the other targets must be met (DOMAIN.md §2).
        met = value is not None and (value > target if key == "satisfaction_rate" else value >= target)
        cards.append({"label": label, "value": value, "target": target, "good": met})
    return render(
        request,
        "complaints/kpis.html",
        {
            "projects": projects,
            "project": project,
            "start": start,
            "end": end,
            "figures": figures,
            "cards": cards,
            "summary": selectors.complaint_project_summary(actor=request.user, project=project, start=start, end=end),
        },
    )
