"""``manage.py bench`` end to end on a small dataset: it seeds every app in proportion and measures
every figure with its query count (the times themselves belong in docs/benchmarks.md, not here)."""

import json

import pytest
from django.core.management import call_command

from complaints.models import Complaint
from defects.models import Defect
from satisfaction.models import Response

FIGURES = {
    "sweep_idle",
    "sweep_due",
    "inbox_page",
    "api_list",
    "api_detail",
    "api_create",
    "dashboard_project",
    "dashboard_group",
    "sync_1000",
    "survey_wave",
}


@pytest.mark.slow
@pytest.mark.django_db
def test_bench_seeds_in_proportion_and_measures_every_figure(tmp_path, capsys):
    out = tmp_path / "bench.json"
    call_command("bench", complaints=200, contracts_per_project=5, repeat=1, json_path=str(out))
    data = json.loads(out.read_text())
    dataset = data["dataset"]
    assert dataset["complaints"] == 200 <= Complaint.objects.count()  # api_create files more
    assert dataset["defects"] == Defect.objects.count() == 20  # one per ten complaints
    assert dataset["survey_responses"] == Response.objects.count() == 100  # one per two complaints
    figures = {f["name"]: f for f in data["figures"]}
    assert set(figures) == FIGURES
    for name, figure in figures.items():
        assert figure["queries"] > 0, name
        assert figure["median_ms"] > 0, name
    # A second run finds the dataset and does not seed again.
    call_command("bench", complaints=200, contracts_per_project=5, repeat=1, only="sweep_idle")
    assert '"seeded": false' in capsys.readouterr().out
    assert Defect.objects.count() == 20
