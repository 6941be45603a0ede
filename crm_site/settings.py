"""Touchstone settings: read from the environment here, and nowhere else.

Two modes, chosen by ``TOUCHSTONE_ENV``:
- ``development`` (default): the embedded defaults — SQLite under ``var/``, Celery on kombu's
  filesystem transport (no server), email to the console, a secret key generated under ``var/``.
- ``production``: DEBUG off, ``SECRET_KEY`` and ``ALLOWED_HOSTS`` required, secure cookies and HSTS.
``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL and Redis in either mode.
"""

import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("TOUCHSTONE_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
TOUCHSTONE_ENV = env.str("TOUCHSTONE_ENV", default="development")
if TOUCHSTONE_ENV not in ("development", "production"):
    raise ImproperlyConfigured("TOUCHSTONE_ENV must be 'development' or 'production'")
PRODUCTION = TOUCHSTONE_ENV == "production"

DEBUG = env.bool("DEBUG", default=not PRODUCTION)


def _secret_key() -> str:
    key = env.str("SECRET_KEY", default="")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in production")
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in production")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The feature apps, in dependency order; crm_site/celery.py reads each one's beat.py.
TOUCHSTONE_APPS = ["estates", "touchpoints", "complaints", "defects", "risk", "segments", "satisfaction"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crm_site",
    *TOUCHSTONE_APPS,
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "crm_site.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "crm_site.middleware.SecurityHeadersMiddleware",
    "crm_site.idempotency.IdempotencyMiddleware",
    "crm_site.security_middleware.SecurityEventMiddleware",
]

ROOT_URLCONF = "crm_site.urls"
WSGI_APPLICATION = "crm_site.wsgi.application"
AUTH_USER_MODEL = "estates.User"
# Django's ModelBackend behind the login throttle (estates/security.py).
AUTHENTICATION_BACKENDS = ["estates.security.ThrottledModelBackend"]
LOGIN_THROTTLE_FAILURES = env.int("LOGIN_THROTTLE_FAILURES", default=5)
LOGIN_THROTTLE_WINDOW_SECONDS = 15 * 60
LOGIN_THROTTLE_LOCK_SECONDS = 15 * 60
WEBHOOK_TIMEOUT_SECONDS = env.int("WEBHOOK_TIMEOUT_SECONDS", default=10)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "crm_site.context_processors.navigation",
            ],
            "builtins": ["estates.templatetags.touchstone"],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'touchstone.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60 if PRODUCTION else 0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the worker write while the web reads; the timeout rides out short write locks.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
    # The test database is a file, not memory, so that a real Celery worker started by a test can open it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test_touchstone.sqlite3")}
IS_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")
if IS_POSTGRES:
    # The JIT spent over a second compiling one dashboard aggregate; our queries are index-driven.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # A frozen Redis must not hang a request that reads the cache (the API throttle): give up after
    # a few seconds; the throttle then lets the request through (crm_site/api/throttling.py).
    CACHES = {
        "default": {
            "BACKEND": "crm_site.cache.PooledRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_timeout": env.float("REDIS_SOCKET_TIMEOUT", default=2.0),
                "socket_connect_timeout": env.float("REDIS_SOCKET_TIMEOUT", default=2.0),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "touchstone"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/echarts", BASE_DIR / "node_modules" / "echarts" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(VAR_DIR / "media")}},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploaded files are never served from a public URL (no urlpattern serves MEDIA_URL): views check scope first.
MEDIA_URL = "/private-media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="touchstone@localhost")
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "crm_site.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "crm_site.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "crm_site.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["crm_site.api.throttling.ActorRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"actor": env.str("API_THROTTLE_RATE", default="6000/min")},
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer", "rest_framework.renderers.BrowsableAPIRenderer"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DATETIME_FORMAT": "iso-8601",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Touchstone API",
    "DESCRIPTION": "Customer-relations centre API for sales systems and call centres.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI's default validator badge is fetched from validator.swagger.io: no outside network.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "crm_site.api.schema.add_error_responses",
    ],
    # Choice sets that share a field name across apps get explicit component names (else W001).
    "ENUM_NAME_OVERRIDES": {
        "RiskItemStatusEnum": "risk.models.RiskItem.Status",
        "RiskItemSourceEnum": "risk.models.RiskItem.Source",
        "RiskReviewStatusEnum": "risk.models.Review.Status",
        "SalesPromiseSourceEnum": "risk.models.SalesPromise.Source",
        "RiskReviewKindEnum": "risk.models.ReviewKind",
        "DefectStatusEnum": "defects.models.Defect.Status",
        "DefectSourceEnum": "defects.models.Defect.Source",
        "ComplaintChannelEnum": "complaints.models.Channel",
        "SurveyChannelEnum": "satisfaction.models.Channel",
    },
}
IDEMPOTENCY_TTL_HOURS = 24
# Seconds a worker may serve an API client from its own cache when a change bypassed the services
# (they invalidate every worker at once): estates/api_client_cache.py.
API_CLIENT_CACHE_SECONDS = env.float("API_CLIENT_CACHE_SECONDS", default=30)

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
if REDIS_URL:
    # A frozen Redis must not hang a request that publishes after commit: give up after a few
    # seconds instead (the transactional outbox keeps the work and beat drains it later).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_timeout": env.float("REDIS_SOCKET_TIMEOUT", default=2.0),
        "socket_connect_timeout": env.float("REDIS_SOCKET_TIMEOUT", default=2.0),
    }
if not REDIS_URL:
    _broker_dir = VAR_DIR / "broker"
    for sub in ("queue", "processed", "control"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # kombu's default is ./control, relative to wherever the worker was started.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 300
CELERY_TASK_TIME_LIMIT = 360
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Security ---------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 12 * 3600
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Every handler masks full phone and ID numbers, whoever logged them.
    "filters": {"mask_personal_data": {"()": "estates.security_logging.PersonalDataMaskingFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask_personal_data"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # kombu warns "No hostname was supplied" on every connection of the filesystem transport.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "kombu.connection": {"level": "ERROR"}},
}

TOUCHSTONE_LABEL = _("Touchstone")

# Covering indexes (INCLUDE) are a PostgreSQL optimisation of the open-complaint counts; SQLite,
# the embedded development database, builds the same index without the extra columns.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
