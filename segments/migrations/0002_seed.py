"""Seed the five segments, the assignment rules and the land-attribute checklists."""

from decimal import Decimal

from django.db import migrations

from segments.fixtures.seed import LAND_ATTRIBUTES, LAND_NEEDS, RULES, SEGMENTS


def seed(apps, schema_editor):
    Segment = apps.get_model("segments", "Segment")
    AssignmentRule = apps.get_model("segments", "AssignmentRule")
    LandAttribute = apps.get_model("segments", "LandAttribute")
    SegmentLandNeed = apps.get_model("segments", "SegmentLandNeed")
    segments = {}
    for order, (code, name, name_en, share, traits, traits_en, motives, motives_en, attitude, attitude_en, needs, needs_en) in enumerate(SEGMENTS):
        segments[code], _ = Segment.objects.update_or_create(code=code, defaults={
            "name": name, "name_en": name_en, "reference_share": Decimal(share) if share else None, "order": order,
            "family_traits": traits, "family_traits_en": traits_en, "motives": motives, "motives_en": motives_en,
            "attitude": attitude, "attitude_en": attitude_en, "needs": needs, "needs_en": needs_en,
        })
    for priority, code, name, conditions in RULES:
        AssignmentRule.objects.update_or_create(priority=priority, defaults={"segment": segments[code], "name": name, **conditions})
    attributes = {}
    for order, (code, category, name, name_en) in enumerate(LAND_ATTRIBUTES):
        attributes[code], _ = LandAttribute.objects.update_or_create(
            code=code, defaults={"category": category, "name": name, "name_en": name_en, "order": order}
        )
    for seg, checklist in LAND_NEEDS.items():
        for attr, weight in checklist.items():
            SegmentLandNeed.objects.update_or_create(segment=segments[seg], attribute=attributes[attr], defaults={"weight": weight})


class Migration(migrations.Migration):
    dependencies = [("segments", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
