"""Seed the departments the catalogue needs and the seven-stage touchpoint catalogue."""

from django.db import migrations

from touchpoints.fixtures.catalogue import CATALOGUE, DEPARTMENTS


def seed(apps, schema_editor):
    Department = apps.get_model("estates", "Department")
    Touchpoint = apps.get_model("touchpoints", "Touchpoint")
    SensitivityPoint = apps.get_model("touchpoints", "SensitivityPoint")
    departments = {}
    for code, name, name_en in DEPARTMENTS:
        departments[code], _ = Department.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en})
    for t_order, (stage, code, name, name_en, dept, points) in enumerate(CATALOGUE):
        tp, _ = Touchpoint.objects.update_or_create(
            code=code,
            defaults={"stage": stage, "name": name, "name_en": name_en, "department": departments[dept], "order": t_order},
        )
        for p_order, (grade, p_name, p_name_en, standard, standard_en) in enumerate(points, start=1):
            SensitivityPoint.objects.update_or_create(
                code=f"{code}-{p_order}",
                defaults={"touchpoint": tp, "name": p_name, "name_en": p_name_en, "grade": grade, "standard": standard,
                          "standard_en": standard_en, "order": p_order},
            )


def unseed(apps, schema_editor):
    Touchpoint = apps.get_model("touchpoints", "Touchpoint")
    Touchpoint.objects.filter(code__in=[row[1] for row in CATALOGUE]).delete()


class Migration(migrations.Migration):
    dependencies = [("touchpoints", "0001_initial"), ("estates", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
