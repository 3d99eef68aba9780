"""Settings for the 融资服务门户, read from the environment (see README: 环境变量).

One module for every environment: the embedded default (SQLite, a filesystem Celery broker) needs
no server; ``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL and Redis.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

from portal.env import env_bool, env_int, env_list, env_optional, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PORTAL_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
# The default key only serves development and tests: ``check --deploy`` rejects it (security.W009
# and portal.E001), so a production deployment must set SECRET_KEY.
INSECURE_DEV_SECRET_KEY = "django-insecure-dev-only-rongzi-portal-do-not-deploy"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", INSECURE_DEV_SECRET_KEY)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

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
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "portal",
    "regions",
    "accounts",
    "enterprises",
    "banks",
    "policies",
    "applications",
    "notifications",
    "workdays",
    "needs",
    "catalogue",
    "eligibility",
    "dashboards",
    "axes",
    "audit",
    "privacy",
    "idempotency",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A database or Redis outage answers 503 with a Chinese message, never 500.
    "portal.middleware.BackendUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A write retried with the same Idempotency-Key replays its first answer (no second record).
    "idempotency.middleware.IdempotencyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portal.middleware.PrivatePagesMiddleware",
    "dashboards.middleware.CatalogueViewMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one SQLite file: wait for locks instead of failing, and take the
    # write lock at BEGIN so two writers never deadlock upgrading a read lock.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A file, not memory, so that a real worker process in the tests sees the test database.
    # Named per process so that test runs side by side never share a database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-portal-{os.getpid()}.sqlite3")}
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    options = DATABASES["default"].setdefault("OPTIONS", {})
    # JIT compilation costs 100-230 ms on the dashboards' large aggregates and saves nothing on
    # this workload's short queries (measured on PostgreSQL 15); DB_JIT=1 turns it back on.
    if not env_bool("DB_JIT", False):
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
    # Server-side binding lets psycopg prepare a statement run DB_PREPARE_THRESHOLD times on a
    # connection, so PostgreSQL plans it once per connection instead of on every request (the
    # case queries' joins cost 2-4 ms to plan and well under 1 ms to run). Empty turns it off,
    # as a pooler in transaction mode (PgBouncer without prepared-statement support) needs.
    if os.environ.get("DB_PREPARE_THRESHOLD", "5").strip():
        options["server_side_binding"] = True
        options["prepare_threshold"] = env_int("DB_PREPARE_THRESHOLD", 5)
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

# --- Cache, broker ----------------------------------------------------------------------------
REDIS_URL = env_optional("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "portal.cache.PortalRedisCache",  # Django's, with its clients reused
            "LOCATION": REDIS_URL,
            # Fail fast while Redis is down: the request answers 503 instead of hanging.
            "OPTIONS": {"socket_connect_timeout": 3, "socket_timeout": 5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Anonymous catalogue lists are cached this long (0 = off); every catalogue write invalidates them.
CATALOGUE_CACHE_SECONDS = env_int("CATALOGUE_CACHE_SECONDS", 300)
# The dashboards' numbers per scope and filters are kept this long (0 = off); exports and
# bulletins always count afresh.
DASHBOARD_CACHE_SECONDS = env_int("DASHBOARD_CACHE_SECONDS", 60)

BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 240)
# The visibility timeout must exceed every time limit and countdown, or Redis redelivers a task
# that is still running; it is set alike for the broker and the result backend
# (tests/reliability/test_celery_config.py checks every registered task against it).
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 2 * 3600)
# Pending rows (routings, notification deliveries) older than this are re-driven by the sweepers
# (beat runs them every SWEEP_INTERVAL_SECONDS, portal/celery.py).
SWEEP_AFTER_SECONDS = env_int("SWEEP_AFTER_SECONDS", 120)
# The hourly saved-search sweep looks back this far, so a run missed while the worker was down is
# covered by the next one (alerts already sent are deduplicated).
SAVED_SEARCH_SWEEP_HOURS = env_int("SAVED_SEARCH_SWEEP_HOURS", 3)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Asia/Shanghai"
if REDIS_URL:
    # Short socket timeouts: while Redis is down a request fails fast (503 or, after a commit, a
    # row left pending for the sweeper) instead of hanging.
    _redis_transport = {
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
        "socket_connect_timeout": 3,
        "socket_timeout": 10,
    }
    CELERY_BROKER_TRANSPORT_OPTIONS = dict(_redis_transport)
    CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = dict(_redis_transport)
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Auth -------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "landing"
# django-axes first: it refuses a locked-out username+IP before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
# Two counts (django-axes >= 6 takes a list of combinations): username + address locks at
# AXES_FAILURE_LIMIT; the username alone, from any address, locks at AXES_USERNAME_FAILURE_LIMIT,
# which stops guessing spread over many addresses while a stranger still needs that many tries
# to lock a firm out (accounts.lockout.PortalAxesHandler weighs the two).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_USERNAME_FAILURE_LIMIT = env_int("AXES_USERNAME_FAILURE_LIMIT", 20)
AXES_HANDLER = "accounts.lockout.PortalAxesHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# Axes masks these in its log lines: a username may be a phone number.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "password", "otp"]
# Fernet key(s) encrypting TOTP secrets at rest, comma-separated (the first encrypts, all
# decrypt). Unset, a key derived from SECRET_KEY serves DEBUG and the development SECRET_KEY only;
# a deployment refuses to use TOTP and `check --deploy` fails (accounts.E001).
TOTP_ENCRYPTION_KEY = env_list("TOTP_ENCRYPTION_KEY", [])
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Locale -----------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", True)
S3_BUCKET = env_optional("S3_BUCKET")
if S3_BUCKET:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env_optional("S3_ENDPOINT_URL"),
            "access_key": env_optional("S3_ACCESS_KEY_ID"),
            "secret_key": env_optional("S3_SECRET_ACCESS_KEY"),
            "region_name": env_optional("S3_REGION"),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT)},
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 20 * 1024 * 1024)

# --- Email and SMS ----------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "融资服务门户 <noreply@localhost>")
SMS_BACKEND = env_str("SMS_BACKEND", "portal.sms.ConsoleSmsBackend")

# --- Security headers and cookies -------------------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
# Sessions are read from the cache (written through to the database, which stays the record):
# a signed-in page saves a query. Logout deletes the session from both; a deactivated user's
# session is refused by the user lookup, which every request still makes (is_active and
# session_generation are checked there, never cached).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- API --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "accounts.authentication.PortalTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.PortalPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_ANON_RATE", "600/minute"),
        "user": env_str("API_USER_RATE", "2000/minute"),
    },
    "EXCEPTION_HANDLER": "portal.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "融资服务门户 API",
    "DESCRIPTION": "政策、信贷产品、资格测算与融资需求接口。金额单位：元（整数）。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "status"; name each enum after its model rather than a hash.
    "ENUM_NAME_OVERRIDES": {
        "PublicationStatusEnum": "policies.models.Status",
        "FinancingNeedStatusEnum": "needs.states.Status",
        "ApplicationStatusEnum": "applications.states.Status",
    },
}

# --- Logging ----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Domain -----------------------------------------------------------------------------------
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - the contract's published demo password
SESSION_EXPIRE_AT_BROWSER_CLOSE = False
PASSWORD_RESET_TIMEOUT = int(timedelta(days=1).total_seconds())

# --- Personal information (PIPL): retention, run nightly by privacy.retention_sweep -------------
# Closed needs keep their contact details and files this long, then are anonymised.
PRIVACY_NEED_RETENTION_DAYS = env_int("PRIVACY_NEED_RETENTION_DAYS", 3 * 365)
# A firm's deletion request not handled by staff within this many days is carried out anyway.
PRIVACY_DELETION_GRACE_DAYS = env_int("PRIVACY_DELETION_GRACE_DAYS", 15)
PRIVACY_ACCESS_LOG_RETENTION_DAYS = env_int("PRIVACY_ACCESS_LOG_RETENTION_DAYS", 3 * 365)

# The embedded default keeps its database, broker queue and uploads under var/.
for _folder in (
    VAR_DIR,
    BROKER_DIR / "queue",
    BROKER_DIR / "processed",
    BROKER_DIR / "control",
    STATIC_ROOT,
    MEDIA_ROOT,
):
    _folder.mkdir(parents=True, exist_ok=True)
