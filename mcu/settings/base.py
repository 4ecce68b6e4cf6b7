"""Every setting of the desk, read from the environment (see .env.example).

With nothing set the desk runs on an embedded default: SQLite in ``var/``, a Celery
broker on the filesystem (no server), a secret key generated once into ``var/``.
``DATABASE_URL`` selects PostgreSQL, ``REDIS_URL`` selects Redis as broker and cache.

Importing the settings writes nothing: the folders of ``var/`` and the generated key are
made when the desk starts (``mcu.apps.McuConfig.ready``).
"""

import secrets
from datetime import timedelta
from pathlib import Path

import environ

from .env import env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))


def _stored_secret_key(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return ""


DEBUG = env_bool("DEBUG", True)
# Development only: a key generated once and kept in var/ across restarts. When the file is
# not there yet, this process makes a key and McuConfig.ready() stores it (first one wins).
SECRET_KEY = env_secret("SECRET_KEY") or _stored_secret_key(VAR_DIR / "secret_key")
GENERATED_SECRET_KEY_FILE = None
if not SECRET_KEY:
    SECRET_KEY = secrets.token_urlsafe(50)
    GENERATED_SECRET_KEY_FILE = VAR_DIR / "secret_key"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

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
    "django_htmx",
    "axes",
    "mcu",
    "deadlines",
    "cases",
    "channels",
    "analytics",
]

MIDDLEWARE = [
    "mcu.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "mcu.middleware.DeskLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "mcu.middleware.MunicipalityTimezoneMiddleware",
    "mcu.middleware.PrivateResponseMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last: it turns a locked-out login into the lockout page (django-axes).
    "axes.middleware.AxesMiddleware",
]

# The benchmark (bench/) counts each request's SQL statements in an ``X-DB-Queries``
# header; only when asked, never on a real desk.
if env_bool("DESK_BENCH_QUERY_COUNT", False):
    MIDDLEWARE.insert(0, "mcu.middleware.QueryCountHeaderMiddleware")

ROOT_URLCONF = "mcu.urls"
WSGI_APPLICATION = "mcu.wsgi.application"

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
                "django.template.context_processors.i18n",
                "mcu.context_processors.desk",
            ],
        },
    },
]

# Selects drawn in Python, the rest as Django draws it (mcu/rendering.py).
FORM_RENDERER = "mcu.rendering.DeskFormRenderer"

# Database: SQLite in var/ unless DATABASE_URL says otherwise.
_env = environ.Env()
DATABASES = {
    "default": _env.db_url_config(
        env_secret("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'desk.sqlite3'}"
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + IMMEDIATE transactions: the web process, the worker and beat write at once
    # without "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env_int("DB_CONN_MAX_AGE", 60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A streaming replica for analytics and exports (mcu/db_routers.py, docs/scaling.md).
DATABASE_REPLICA_URL = env_secret("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = environ.Env.db_url_config(DATABASE_REPLICA_URL)
    DATABASES["replica"].setdefault("CONN_MAX_AGE", env_int("DB_CONN_MAX_AGE", 60))
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    # The test run has one database: the replica is the same one.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["mcu.db_routers.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
#: "development" or "production" (mcu/settings/__init__.py picks the module)
DJANGO_ENV = "development"

AUTH_USER_MODEL = "mcu.User"

REDIS_URL = env_secret("REDIS_URL")
if REDIS_URL:
    CACHES = {
        # A miss, not a 500, while Redis is away (mcu/cache.py); never a long wait for it.
        "default": {
            "BACKEND": "mcu.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes: every login through authenticate() — the desk's page and the admin's —
# counts failures per username and address; after AXES_FAILURE_LIMIT the pair is locked
# for AXES_COOLOFF_MINUTES (429 with a Russian page), a success resets the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
# Behind the reverse proxy the client's address is in X-Forwarded-For.
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

# Content-Security-Policy (django-csp): scripts only from the desk itself, no inline
# script or handler anywhere (the desk's script binds its handlers). Inline *styles* are
# allowed: htmx and the admin's widgets set style attributes, a far smaller risk.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
# The camera for photos of the work done; nothing else.
PERMISSIONS_POLICY = "camera=(self), geolocation=(), microphone=(), payment=(), usb=()"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Russian first, English second; times stored in UTC and shown in the municipality's zone.
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", "Русский"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# The apps' static files without what the desk never serves (mcu/staticfiles.py).
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "mcu.staticfiles.DeskAppDirectoriesFinder",
]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if DEBUG:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "mcu-desk@localhost")

# Telegram notifications are optional: set the bot token to switch them on.
TELEGRAM_BOT_TOKEN = env_secret("TELEGRAM_BOT_TOKEN")
TELEGRAM_API_URL = env_str("TELEGRAM_API_URL", "https://api.telegram.org")

REST_FRAMEWORK = {
    # Token first: a missing or bad token is a 401 with ``WWW-Authenticate: Token`` (DRF
    # takes the header from the first class); the desk's own pages use the session. Keys
    # are kept hashed (mcu.tokens).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "mcu.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "mcu.api.pagination.DeskPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "mcu.api.schema.DeskAutoSchema",
    "EXCEPTION_HANDLER": "mcu.api.exceptions.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "mcu.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Per token of an integration account (channels.api.throttles): single items and
    # batches of up to 1,000 items. Over the rate: 429 with Retry-After.
    # Open311 (channels.open311): per client key, like the ingest.
    "DEFAULT_THROTTLE_RATES": {
        "ingest": env_str("INGEST_THROTTLE_RATE", "600/min"),
        "ingest_batch": env_str("INGEST_BATCH_THROTTLE_RATE", "60/min"),
        "open311": env_str("OPEN311_THROTTLE_RATE", "600/min"),
    },
}
# API keys (mcu.tokens): the term of a new key, and how long a rotated key keeps working
# so that the integration can switch to its new key without a gap.
API_TOKEN_LIFETIME_DAYS = env_int("API_TOKEN_LIFETIME_DAYS", 365)
API_TOKEN_ROTATION_GRACE_HOURS = env_int("API_TOKEN_ROTATION_GRACE_HOURS", 24)
SPECTACULAR_SETTINGS = {
    "TITLE": "API МЦУ: сообщения и обращения жителей",
    "DESCRIPTION": (
        "Сообщения и обращения жителей муниципального центра управления: приём от "
        "интеграций («Инцидент Менеджмент», ПОС), работа по делам, сроки, аналитика. "
        "Вход по токену интеграции (`Authorization: Token …`) или по сессии рабочего места. "
        "[Вернуться в рабочее место](/)"
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"CaseStatusEnum": "cases.choices.CaseStatus"},
}

# Celery: Redis when REDIS_URL is set, else kombu's filesystem transport (no server).
CELERY_BROKER_DIR = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
else:
    CELERY_BROKER_URL = "filesystem://"
    # The folders are made at start-up (McuConfig.ready); the control folder (exchange
    # tables) would otherwise be "control/" in the working directory.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "out"),
        "data_folder_out": str(CELERY_BROKER_DIR / "out"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
# Queues by kind of work (docs/scaling.md), so a long import or report never holds up the
# minute's sweep: a worker per queue in docker-compose.yml, rundesk consumes them all.
# Every task is routed by name here (tests/mcu/test_celery_queues.py checks none is left
# to the default).
CELERY_TASK_QUEUES_BY_KIND = ("deadlines", "notifications", "imports", "reports")
CELERY_TASK_DEFAULT_QUEUE = "reports"
CELERY_TASK_ROUTES = {
    "deadlines.*": {"queue": "deadlines"},
    "cases.close_unreacted": {"queue": "deadlines"},  # the reaction wait is a clock too
    "mcu.deliver_notifications": {"queue": "notifications"},
    "channels.*": {"queue": "imports"},
    "analytics.*": {"queue": "reports"},
    "cases.retention_erase": {"queue": "reports"},  # a nightly batch over old cases
}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ACKS_LATE = True
# A task whose worker dies (killed, out of memory) goes back to the queue, not lost: with
# late acknowledgement this is what makes it redelivered. Every task is idempotent.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The beat schedule lives in one place: mcu/celery.py (STYLE §6.6).

# Uploads: answers carry photos and PDFs from the field.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024 * 1024
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_MB", 20) * 1024 * 1024
ATTACHMENT_MAX_FILES = 10
# The largest body any form may send: every attachment at its limit, plus the text.
MAX_REQUEST_BYTES = ATTACHMENT_MAX_FILES * ATTACHMENT_MAX_BYTES + 1024 * 1024
# Any other body (JSON, a plain form): a view may allow more (``max_body_bytes``).
MAX_BODY_BYTES = env_int("MAX_BODY_KB", 1024) * 1024
# The import of exports (channels.imports): the file, what its archive may unpack to, rows.
IMPORT_MAX_UPLOAD_BYTES = env_int("IMPORT_MAX_UPLOAD_MB", 20) * 1024 * 1024
IMPORT_MAX_UNCOMPRESSED_BYTES = env_int("IMPORT_MAX_UNCOMPRESSED_MB", 300) * 1024 * 1024
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 100_000)
# Nesting deeper than this in a JSON body is refused with a 400 (not a RecursionError).
API_JSON_MAX_DEPTH = 32

DEMO_PASSWORD = env_secret("DEMO_PASSWORD", "demo")

# The number an appeal gets at its 59-ФЗ registration when none is typed in: fields
# prefix (the municipality's), yyyy, yy and pk.
APPEAL_NUMBER_FORMAT = env_str("APPEAL_NUMBER_FORMAT", "{prefix}-О-{yy}-{pk:06d}")

# Duplicates and problem clusters (channels.clusters): how far back a new post is compared
# with earlier ones, and how far back a post about an answered case counts as a repeat.
DUPLICATE_WINDOW_DAYS = env_int("DUPLICATE_WINDOW_DAYS", 7)
REPEAT_WINDOW_DAYS = env_int("REPEAT_WINDOW_DAYS", 90)
# Routing suggestions (channels.suggestions): no model below this many routed cases.
ROUTING_MIN_SAMPLES = env_int("ROUTING_MIN_SAMPLES", 30)

# 152-ФЗ ст. 5 ч. 7: residents' names and contacts are erased from cases finished this
# many days ago (``manage.py retention_erase``, daily from beat).
PERSONAL_DATA_RETENTION_DAYS = env_int("PERSONAL_DATA_RETENTION_DAYS", 3 * 365)

# API keys never reach a log: the filter blanks them in every record (an Open311 client
# sends its key in the query string, which the development server logs).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "mcu.logs.RedactSecrets"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

SESSION_COOKIE_AGE = 12 * 60 * 60  # one working day and a half
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Deadlines (DESIGN §4) and the delivery of their notifications (mcu/notifications.py).
DEADLINES = {
    # Clocks marked per conditional UPDATE of the sweep; each batch is one transaction.
    "SWEEP_BATCH_SIZE": env_int("DEADLINES_SWEEP_BATCH_SIZE", 1000),
    # Seconds a process trusts its cached calendar version before re-reading it.
    "CALENDAR_VERSION_TTL": env_int("DEADLINES_CALENDAR_VERSION_TTL", 5),
}
# Analytics (DESIGN §6): seconds the counts of past periods (the rating's sparklines, the
# summary's trends) are kept in the cache; 0: counted on every request.
ANALYTICS_HISTORY_CACHE_SECONDS = env_int("ANALYTICS_HISTORY_CACHE_SECONDS", 600)
NOTIFICATION_MAX_ATTEMPTS = env_int("NOTIFICATION_MAX_ATTEMPTS", 5)
# Seconds before the first retry of a transient error; doubled on every further try.
NOTIFICATION_RETRY_BACKOFF = env_int("NOTIFICATION_RETRY_BACKOFF", 60)
# A claimed row whose worker died is sent again after this many seconds.
NOTIFICATION_LEASE_SECONDS = env_int("NOTIFICATION_LEASE_SECONDS", 600)
NOTIFICATION_HTTP_TIMEOUT = env_int("NOTIFICATION_HTTP_TIMEOUT", 10)
# Absolute links in e-mail and Telegram, e.g. https://mcu.example.ru
DESK_BASE_URL = env_str("DESK_BASE_URL")
