"""No Docker engine runs here, so the deployment files are checked against the settings instead."""

import re
from pathlib import Path

import environ
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_compose_has_the_five_parts_of_the_topology():
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(SERVICES)


def test_every_long_running_service_has_a_health_check_or_is_beat():
    for name in ("web", "worker", "postgres", "redis"):
        assert "healthcheck" in SERVICES[name], name


def test_app_services_run_the_right_commands():
    assert SERVICES["web"]["command"][:2] == ["gunicorn", "crm_site.wsgi"]
    assert SERVICES["worker"]["command"][:4] == ["celery", "-A", "crm_site", "worker"]
    assert SERVICES["beat"]["command"][:4] == ["celery", "-A", "crm_site", "beat"]
    assert SERVICES["beat"]["deploy"]["replicas"] == 1
    assert SERVICES["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]


def test_app_environment_names_exist_in_settings_and_urls_point_at_the_compose_services():
    settings_src = (ROOT / "crm_site" / "settings.py").read_text()
    for name in ("web", "worker", "beat"):
        env = SERVICES[name]["environment"]
        for var in env:
            assert re.search(rf'"{var}"', settings_src), f"{var} is not read by settings"
        assert env["TOUCHSTONE_ENV"] == "production"
        db = environ.Env.db_url_config(env["DATABASE_URL"].replace("${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}", "pw"))
        assert db["ENGINE"] == "django.db.backends.postgresql"
        assert db["HOST"] == "postgres" and db["NAME"] == SERVICES["postgres"]["environment"]["POSTGRES_DB"]
        assert env["REDIS_URL"].startswith("redis://redis:6379")
        assert SERVICES[name]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_secrets_are_required_not_defaulted():
    env = SERVICES["web"]["environment"]
    assert ":?" in env["SECRET_KEY"] and ":?" in env["ALLOWED_HOSTS"]


def test_web_health_check_hits_an_existing_url(client, db):
    assert "/healthz" in " ".join(SERVICES["web"]["healthcheck"]["test"])
    assert client.get("/healthz").json() == {"status": "ok"}


def test_dockerfile_builds_assets_without_a_cdn_and_runs_gunicorn_config():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "npm ci" in dockerfile and "collectstatic" in dockerfile
    assert (ROOT / "gunicorn.conf.py").exists()
