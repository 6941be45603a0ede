import importlib

from django.db import migrations, models

# On SQLite, adding a NOT NULL column remakes complaints_complaint (create, copy, drop, rename):
# the rollup triggers on it would vanish with the old table and the revisit triggers that read it
# would break the rename. So they are dropped first and installed again after (which also marks
# every day for the next rollup refresh). PostgreSQL adds the column in place; nothing to do.
rollups = importlib.import_module("complaints.migrations.0004_dashboard_rollups")


def sqlite_triggers_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        rollups.uninstall(apps, schema_editor)


def sqlite_triggers_install(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        rollups.install(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0003_kpi_indexes"),
        ("complaints", "0004_dashboard_rollups"),
    ]

    operations = [
        migrations.RunPython(sqlite_triggers_drop, sqlite_triggers_install),
        migrations.AddField(
            model_name="complaint",
            name="version",
            field=models.PositiveIntegerField(default=1, editable=False, verbose_name="version"),
        ),
        migrations.RunPython(sqlite_triggers_install, sqlite_triggers_drop),
    ]
