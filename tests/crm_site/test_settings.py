"""Settings from the environment: production is strict, development runs on the embedded defaults."""

import os
import secrets
import subprocess
import sys

from django.conf import settings

MANAGE = str(settings.BASE_DIR / "manage.py")


def run_manage(*args, env_overrides: dict, drop=(), tmp_path) -> subprocess.CompletedProcess:
    # Browser test modules set DJANGO_ALLOW_ASYNC_UNSAFE in os.environ; a deployment never has it.
    drop = {*drop, "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("PYTEST")}
    env.update({"TOUCHSTONE_VAR_DIR": str(tmp_path), **env_overrides})
    return subprocess.run([sys.executable, MANAGE, *args], env=env, capture_output=True, text=True, timeout=120,
                          cwd=settings.BASE_DIR, check=False)


def production_env(**extra) -> dict:
    return {"TOUCHSTONE_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "crm.example.com",
            "DEBUG": "false", **extra}


def test_check_deploy_passes_in_production(tmp_path):
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=production_env(), tmp_path=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key(tmp_path):
    env = production_env()
    del env["SECRET_KEY"]

    result = run_manage("check", env_overrides=env, drop=("SECRET_KEY",), tmp_path=tmp_path)

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set in production" in result.stderr
    assert not (tmp_path / "secret_key").exists()


def test_production_refuses_to_start_without_allowed_hosts(tmp_path):
    env = production_env()
    del env["ALLOWED_HOSTS"]

    result = run_manage("check", env_overrides=env, drop=("ALLOWED_HOSTS",), tmp_path=tmp_path)

    assert result.returncode != 0
    assert "ImproperlyConfigured: ALLOWED_HOSTS must be set in production" in result.stderr


def test_an_unknown_environment_name_is_refused(tmp_path):
    result = run_manage("check", env_overrides={"TOUCHSTONE_ENV": "staging"}, tmp_path=tmp_path)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr


def test_development_generates_and_keeps_a_secret_key(tmp_path):
    first = run_manage("shell", "--no-imports", "-c", "from django.conf import settings; print(settings.SECRET_KEY)",
                       env_overrides={"TOUCHSTONE_ENV": "development"}, drop=("SECRET_KEY",), tmp_path=tmp_path)
    second = run_manage("shell", "--no-imports", "-c", "from django.conf import settings; print(settings.SECRET_KEY)",
                        env_overrides={"TOUCHSTONE_ENV": "development"}, drop=("SECRET_KEY",), tmp_path=tmp_path)

    assert first.returncode == 0, first.stderr
    key = (tmp_path / "secret_key").read_text().strip()
    assert len(key) >= 50
    assert first.stdout.strip() == second.stdout.strip() == key
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_the_embedded_defaults_need_no_server(tmp_path):
    code = ("from django.conf import settings as s; "
            "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.CACHES['default']['BACKEND'], s.EMAIL_BACKEND)")
    unset = ("DATABASE_URL", "REDIS_URL", "EMAIL_BACKEND")
    result = run_manage("shell", "--no-imports", "-c", code, env_overrides={}, drop=unset, tmp_path=tmp_path)

    assert result.stdout.split() == [
        "django.db.backends.sqlite3", "filesystem://", "django.core.cache.backends.locmem.LocMemCache",
        "django.core.mail.backends.console.EmailBackend",
    ]


def test_time_zone_and_languages():
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _name in settings.LANGUAGES] == ["zh-hans", "en"]
