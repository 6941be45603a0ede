"""Seed the domain's targets (DOMAIN.md §2): SLA policies, the default working calendar, the
default escalation ladder and handler authority limits. All of them are editable records."""

from datetime import date, timedelta
from decimal import Decimal

from django.db import migrations

ORDINARY, IMPORTANT, HOT, MAJOR = 0, 1, 2, 3

# channel -> (basis, first-response hours for an ordinary complaint). Online within 24 h and the
# customer-information system within 4 h are the developer's own targets; the others are ours.
CHANNELS = {
    "online": ("clock", 24),
    "info_system": ("clock", 4),
    "media": ("clock", 2),
    "hotline": ("working", 2),
    "visit": ("working", 2),
    "letter": ("working", 15),
}
# A more serious complaint is answered at least this fast (same unit as the policy).
FIRST_RESPONSE_CAP = {HOT: 4, MAJOR: 2}
# Resolution targets that keep an ordinary complaint from ageing into "hot" (one week):
# clock hours, or working hours on the 7.5-hour default calendar.
RESOLUTION = {
    "clock": {ORDINARY: 120, IMPORTANT: 96, HOT: 72, MAJOR: 48},
    "working": {ORDINARY: 30, IMPORTANT: 22.5, HOT: 15, MAJOR: 7.5},
}
REVISIT = {ORDINARY: 48, IMPORTANT: 48, HOT: 24, MAJOR: 24}

# Public holidays and make-up working days (调休) as published by the State Council.
HOLIDAYS = [
    (date(2025, 10, 1), 8, "国庆节、中秋节"),
    (date(2026, 2, 15), 9, "春节"),
    (date(2026, 10, 1), 7, "国庆节"),
]
MAKEUP_DAYS = [
    (date(2025, 9, 28), "国庆节调休"),
    (date(2025, 10, 11), "国庆节调休"),
    (date(2026, 2, 14), "春节调休"),
    (date(2026, 2, 28), "春节调休"),
    (date(2026, 9, 20), "国庆节调休"),
    (date(2026, 10, 10), "国庆节调休"),
]

LADDER = [
    (0, "经办人", "Handler", "", "handler"),
    (1, "项目客户关系经理", "Project customer-relations manager", "cr_manager", "project"),
    (2, "城市公司客户关系中心", "City customer-relations centre", "cr_manager", "city"),
    (3, "集团客户关系中心", "Group customer-relations centre", "group_centre", "group"),
]

AUTHORITY = [
    ("cr_staff", Decimal("2000"), IMPORTANT, False),
    ("department_head", Decimal("5000"), IMPORTANT, False),
    ("project_manager", Decimal("20000"), HOT, False),
    ("cr_manager", Decimal("50000"), HOT, True),
    ("group_centre", Decimal("1000000"), MAJOR, True),
    ("admin", Decimal("1000000"), MAJOR, True),
]


def seed(apps, schema_editor):
    WorkCalendar = apps.get_model("complaints", "WorkCalendar")
    CalendarDay = apps.get_model("complaints", "CalendarDay")
    SlaPolicy = apps.get_model("complaints", "SlaPolicy")
    EscalationLevel = apps.get_model("complaints", "EscalationLevel")
    AuthorityLimit = apps.get_model("complaints", "AuthorityLimit")

    calendar, _ = WorkCalendar.objects.get_or_create(
        name="标准工作日历",
        defaults={
            "name_en": "Standard working calendar",
            "intervals": [["09:00", "12:00"], ["13:30", "18:00"]],
            "weekdays": [1, 2, 3, 4, 5],
            "is_default": True,
        },
    )
    for start, days, name in HOLIDAYS:
        for i in range(days):
            CalendarDay.objects.get_or_create(
                calendar=calendar, date=start + timedelta(days=i), defaults={"kind": "holiday", "name": name}
            )
    for day, name in MAKEUP_DAYS:
        CalendarDay.objects.get_or_create(calendar=calendar, date=day, defaults={"kind": "workday", "name": name})

    for channel, (basis, first_response) in CHANNELS.items():
        for severity in (ORDINARY, IMPORTANT, HOT, MAJOR):
            SlaPolicy.objects.get_or_create(
                channel=channel,
                severity=severity,
                defaults={
                    "basis": basis,
                    "calendar": calendar if basis == "working" else None,
                    "first_response_hours": Decimal(str(min(first_response, FIRST_RESPONSE_CAP.get(severity, first_response)))),
                    "resolution_hours": Decimal(str(RESOLUTION[basis][severity])),
                    "revisit_hours": Decimal(str(REVISIT[severity])),
                },
            )

    for level, name, name_en, role, scope in LADDER:
        EscalationLevel.objects.get_or_create(
            level=level, defaults={"name": name, "name_en": name_en, "notify_role": role, "scope": scope}
        )
    for role, compensation, close_severity, may_set in AUTHORITY:
        AuthorityLimit.objects.get_or_create(
            role=role,
            defaults={"max_compensation": compensation, "max_close_severity": close_severity, "may_set_severity": may_set},
        )


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
