"""Settings, all configurable through the environment (see README: Configuration).

Each app keeps its own tunables in its `conf.py`, read with defaults from here, so that
rules a decree can change (cut-off hour, office hours, limits) are settings, not code.
"""

import contextlib
import os
import sys
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.translation import gettext_lazy as _


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("TINHSO_VAR_DIR", Path.cwd() / "var"))

DEBUG = env_bool("DEBUG", False)
TESTING = "pytest" in sys.modules
# SECRET_KEY: the environment, else the file SECRET_KEY_FILE (var/secret_key, made once by
# `make demo`); never a key written in the source. Tests get a random key of their own.
SECRET_KEY = os.environ.get("SECRET_KEY", "").strip()
if not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    from tinhso.core import secret_key as _secret_key

    if TESTING:
        SECRET_KEY = _secret_key.new_key()
    else:
        SECRET_KEY = _secret_key.read(_secret_key.default_path()) or ""
    if not SECRET_KEY and DEBUG:
        SECRET_KEY = _secret_key.ensure(_secret_key.default_path())
    if not SECRET_KEY:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set: set the SECRET_KEY environment variable (a long random "
            f"value), or put one in {_secret_key.default_path()} (SECRET_KEY_FILE). "
            "`make demo` creates that file for the demo."
        )
# `.localhost`: the demo's component portals answer on <portal>.localhost (browsers resolve
# every *.localhost name to this machine).
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,.localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "django_htmx",
    "django_filters",
    "tinhso.core",
    "tinhso.directory",
    "tinhso.accounts",
    "tinhso.audit",
    "tinhso.workdays",
    "tinhso.notify",
    "tinhso.onestop",
    "tinhso.documents",
    "tinhso.signing",
    "tinhso.exchange",
    "tinhso.gateway",
    "tinhso.opendata",
    "tinhso.feedback",
    "tinhso.reporting",
    "tinhso.counter",
    "tinhso.meetings",
    "tinhso.security",
    "tinhso.backup",
    "tinhso.portal",
    "tinhso.web",
    # The web portal's CMS (Wagtail) and what it needs.
    "wagtail.contrib.settings",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
]

MIDDLEWARE = [
    "tinhso.core.middleware.ForwardedHeadersMiddleware",  # X-Forwarded-Proto: trusted proxies
    "django.middleware.security.SecurityMiddleware",
    # HOT_PATHS skip the layers below that they never use (HOT_PATH_SKIPS).
    "tinhso.core.middleware.HotPathMiddleware",
    # The database unreachable or the disk full: a 503/507 page, never a 500 (core/faults.py).
    "tinhso.core.faults.FaultMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "tinhso.core.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tinhso.accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tinhso.core.middleware.ContentSecurityPolicyMiddleware",
    "tinhso.core.middleware.RequestContextMiddleware",
]

# The citizens' dossier lookup, the hottest public path (issue 18), answers without a
# session, a user, CSRF, messages or HTMX: the same bytes with fewer layers.
HOT_PATHS = ["/api/v1/onestop/lookup/"]
HOT_PATH_SKIPS = [
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tinhso.accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "tinhso.urls"
WSGI_APPLICATION = "tinhso.wsgi.application"

TEMPLATES = [
    {
        # Django's, quiet about the one library it is told to replace (web.template_backend)
        "BACKEND": "tinhso.web.template_backend.Templates",
        "NAME": "django",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tinhso.web.context_processors.navigation",
            ],
            # `date` for numeric formats at a third of the cost (tinhso.web.fast_date)
            "builtins": ["tinhso.web.fast_date"],
            # `{% translate "literal" %}` at a tenth of the cost (tinhso.web.templatetags.fast_i18n)
            "libraries": {"i18n": "tinhso.web.templatetags.fast_i18n"},
        },
    }
]

# Selects, options, inputs and text areas written in Python: the same bytes, a form page's
# widgets at a fraction of the CPU (tinhso.web.form_renderer).
FORM_RENDERER = "tinhso.web.form_renderer.FormRenderer"

# Database: SQLite (WAL) by default so one command brings the platform up;
# PostgreSQL in production: DATABASE_URL=postgres://user:pass@host:5432/tinhso
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'tinhso.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
# A persistent connection is checked before each request reuses it, so that after the
# database restarts the first request reconnects instead of failing (README: Faults).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env_bool("DB_CONN_HEALTH_CHECKS", True)
# What reads a queryset with .iterator() (every select of agencies or people on a form)
# runs one query instead of a server-side cursor's DECLARE, FETCH and CLOSE (three round
# trips and a cursor the server materialises); nothing streams a large table that way,
# and a pooler in transaction mode (PgBouncer) needs it so.
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
        "transaction_mode": "IMMEDIATE",
    }
# Read replica (README: Read replica): a streaming replica of the PostgreSQL primary, read
# only by the read-heavy selectors that opt in (tinhso.core.replica); writes never go there.
# Past REPLICA_MAX_LAG_SECONDS of lag, or unreachable, reads fall back to the primary.
REPLICA_MAX_LAG_SECONDS = float(os.environ.get("REPLICA_MAX_LAG_SECONDS", "30"))
REPLICA_CHECK_SECONDS = float(os.environ.get("REPLICA_CHECK_SECONDS", "2"))  # lag re-measured
REPLICA_RETRY_SECONDS = float(os.environ.get("REPLICA_RETRY_SECONDS", "10"))  # after a failure
if os.environ.get("DATABASE_REPLICA_URL"):
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("DATABASE_REPLICA_URL needs a PostgreSQL DATABASE_URL.")
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"],
        conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
        conn_health_checks=True,
        disable_server_side_cursors=True,
    )
    DATABASES["replica"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        "connect_timeout": int(os.environ.get("REPLICA_CONNECT_TIMEOUT", "2")),
    }
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["tinhso.core.replica.ReplicaRouter"]
    MIDDLEWARE.append("tinhso.core.replica.ReplicaMiddleware")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = ["tinhso.accounts.backends.LockoutModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": int(os.environ.get("PASSWORD_MIN_LENGTH", "10"))},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "tinhso.accounts.validators.CharacterClassValidator"},
]
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT", str(2 * 3600)))
# Failed passwords / one-time codes: LOGIN_MAX_FAILURES free attempts, then a delay of
# LOGIN_DELAY_SECONDS doubling at each failure up to LOGIN_LOCKOUT_MINUTES (no hard lock).
LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
LOGIN_DELAY_SECONDS = int(os.environ.get("LOGIN_DELAY_SECONDS", "30"))
LOGIN_LOCKOUT_MINUTES = int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15"))
LOGIN_IP_MAX_FAILURES = int(os.environ.get("LOGIN_IP_MAX_FAILURES", "20"))  # per client IP
ACCOUNTS_REGISTER_RATE = os.environ.get("ACCOUNTS_REGISTER_RATE", "10/h")  # per client IP
ACCOUNTS_PASSWORD_RESET_RATE = os.environ.get("ACCOUNTS_PASSWORD_RESET_RATE", "10/h")
API_TOKEN_DAYS = int(os.environ.get("API_TOKEN_DAYS", "90"))  # lifetime of an API token
if TESTING:  # hashing with 1M PBKDF2 rounds would dominate the test suite's time
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Vietnamese unless the visitor switches; set to follow the browser's Accept-Language.
LANGUAGE_FROM_BROWSER = env_bool("LANGUAGE_FROM_BROWSER", False)
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
with contextlib.suppress(OSError):  # whitenoise warns on every start when it is missing
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))

# Files: local disk by default; any S3-compatible store with STORAGE_BACKEND=s3
# (needs django-storages installed; see README).
# The local storage publishes a file only once written whole (a full disk leaves nothing
# half-written and answers `storage_full`: tinhso/core/storage.py).
_default_storage: dict = {"BACKEND": "tinhso.core.storage.FileSystemStorage"}
if os.environ.get("STORAGE_BACKEND") == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("S3_BUCKET", "tinhso"),
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
            "access_key": os.environ.get("S3_ACCESS_KEY"),
            "secret_key": os.environ.get("S3_SECRET_KEY"),
        },
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "tinhso.core.staticfiles.KeptAddressStorage"
    },
}
WHITENOISE_USE_FINDERS = True
# A static file missing from the manifest (collectstatic not re-run after an upgrade)
# gets its plain URL instead of turning every page into a server error.
WHITENOISE_MANIFEST_STRICT = False
# Under the tests too: Django's test client builds the middleware for every client, and
# WhiteNoise would index every static file each time (a tenth of a second a test); it
# looks a file up when one is asked for instead.
WHITENOISE_AUTOREFRESH = DEBUG or TESTING

# The web portal (Wagtail). Editors sign in through tinhso's own login (second factor
# included); the CMS lives at /cms/. Uploads are bounded; documents are served by a view
# (never a public media URL), so an unpublished collection's file is not reachable.
WAGTAIL_SITE_NAME = os.environ.get("WAGTAIL_SITE_NAME", "Cổng thông tin điện tử tỉnh")
WAGTAILADMIN_BASE_URL = os.environ.get("TINHSO_SITE_URL", "http://127.0.0.1:8000")
WAGTAILADMIN_LOGIN_URL = "accounts:login"
WAGTAIL_FRONTEND_LOGIN_URL = "accounts:login"
WAGTAIL_PAGE_MODEL = "wagtailcore.Page"  # Wagtail's default, spelled out for the type checker
WAGTAIL_I18N_ENABLED = False
WAGTAIL_ENABLE_UPDATE_CHECK = False  # no calls home from a government network
WAGTAIL_GRAVATAR_PROVIDER_URL = None  # nor to gravatar.com for editors' avatars
WAGTAIL_ALLOW_UNICODE_SLUGS = False
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 5 * 1024 * 1024
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 40_000_000
WAGTAILIMAGES_EXTENSIONS = ["jpg", "jpeg", "png", "webp"]
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "xlsx", "odt", "ods"]
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILADMIN_RICH_TEXT_EDITORS = {
    "default": {
        "WIDGET": "wagtail.admin.rich_text.DraftailRichTextArea",
        "OPTIONS": {"features": ["h2", "h3", "bold", "italic", "ol", "ul", "link"]},
    }
}

# Background work: the Django Tasks API (django-tasks backport) with its DB backend.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# Cache, shared by every web process (rate-limit counters live here): Redis when
# REDIS_URL / CACHE_URL (redis://...) is set, else a table in the database. Never a
# per-process memory cache, which would give each gunicorn worker its own limits.
_CACHE_URL = os.environ.get("CACHE_URL") or os.environ.get("REDIS_URL") or ""
CACHES: dict[str, dict[str, Any]]
if _CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            "BACKEND": "tinhso.core.cache.RedisCache",
            "LOCATION": _CACHE_URL,
            "KEY_PREFIX": "tinhso",
        }
    }
    # Sessions read from Redis, written through to the database (which stays the record:
    # a Redis restart signs no one out). Saves a query on every signed-in page.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {
            "BACKEND": "tinhso.core.cache.DatabaseCache",
            "LOCATION": "tinhso_cache",
            "OPTIONS": {"MAX_ENTRIES": 1_000_000},
        }
    }
# Template fragments that are a function of their `{% cache %}` key (menus drawn per
# language and access): in each process's memory, not worth a round trip to Redis.
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "tinhso-fragments",
    "OPTIONS": {"MAX_ENTRIES": 2000},
}
# Client IP: X-Forwarded-For is believed only when the connecting peer is one of these
# proxies (addresses or networks, e.g. "127.0.0.1,10.0.0.0/8"); default none: REMOTE_ADDR.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
# Rate limits ("N/period": s, min, h, day; "5/15min"), counted in the shared cache.
ONESTOP_LOOKUP_RATE = os.environ.get("ONESTOP_LOOKUP_RATE", "30/min")  # per client IP
ONESTOP_LOOKUP_CODE_RATE = os.environ.get("ONESTOP_LOOKUP_CODE_RATE", "10/day")  # per dossier
# The public catalogue pages are kept rendered per web process for visitors who are not
# logged in (tinhso.core.pagecache); 0 renders them for every visit. A change is seen at
# once on this machine; the time bounds only other machines' copies. At 60 s each web
# process drew every page of the catalogue again each minute (a tenth of the peak's
# procedure pages: 20-30 ms each); at 300 s, a fiftieth.
PUBLIC_PAGE_SECONDS = float(os.environ.get("PUBLIC_PAGE_SECONDS", "300"))
# Papers uploaded with a submission that failed are kept this long for the next try.
ONESTOP_PENDING_UPLOAD_HOURS = int(os.environ.get("ONESTOP_PENDING_UPLOAD_HOURS", "24"))

# Integration gateway (LGSP) data plane, `tinhso gateway serve` (see tinhso/gateway/server.py)
GATEWAY_URL = os.environ.get("GATEWAY_URL", "")  # where tinhso's connectors reach it
GATEWAY_WAL_DIR = os.environ.get("GATEWAY_WAL_DIR", "")  # write-ahead files (var/gateway)
GATEWAY_LOG_FSYNC = env_bool("GATEWAY_LOG_FSYNC", False)  # fsync each record (power cuts)
GATEWAY_LOG_KEY_FILE = os.environ.get("GATEWAY_LOG_KEY_FILE", "")  # Ed25519 batch-signing key
GATEWAY_TSA_URL = os.environ.get("GATEWAY_TSA_URL", "")  # RFC 3161 time-stamping authority
GATEWAY_MAX_BODY_BYTES = int(os.environ.get("GATEWAY_MAX_BODY_BYTES", str(10 * 1024 * 1024)))
GATEWAY_CONFIG_REFRESH_SECONDS = float(os.environ.get("GATEWAY_CONFIG_REFRESH_SECONDS", "2"))
# data-plane processes on the one port (SO_REUSEPORT); 0: one per core, at most 4
GATEWAY_PROCESSES = int(os.environ.get("GATEWAY_PROCESSES", "0"))
GATEWAY_TRUST_CERT_HEADER = env_bool("GATEWAY_TRUST_CERT_HEADER", False)
GATEWAY_ALERT_FAILURES = int(os.environ.get("GATEWAY_ALERT_FAILURES", "5"))
GATEWAY_INGEST_SECONDS = float(os.environ.get("GATEWAY_INGEST_SECONDS", "1"))
GATEWAY_CONNECTOR_KEY = os.environ.get("GATEWAY_CONNECTOR_KEY", "")  # tinhso's own consumer key

# E-mail: console in development; SMTP when EMAIL_HOST is set.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.filebased.EmailBackend",
)
# Without an SMTP server, e-mails are written as files here (one file per worker run).
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "tinhso@localhost")

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "tinhso.core.api.AutoSchema",
    # The API answers JSON, whatever the Accept header (errors included); the browsable
    # HTML API is off: the documentation is /api/docs/.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # One JSON parser for the whole API, with a bounded nesting depth.
    "DEFAULT_PARSER_CLASSES": [
        "tinhso.core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Tokens for other systems first, so that unauthenticated calls get a 401 with
        # `WWW-Authenticate: Token`; the browser session counts only after the second
        # factor for officials.
        "tinhso.accounts.authentication.ApiTokenAuthentication",
        "tinhso.accounts.authentication.SecondFactorSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "tinhso.core.api.exception_handler",
    # limit 1–200, offset 0–1,000,000; anything else is a 400 (tinhso.core.pagination).
    "DEFAULT_PAGINATION_CLASS": "tinhso.core.pagination.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "tinhso API",
    "DESCRIPTION": "API của nền tảng chính quyền số tỉnh (tinhso).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "minimum": 0, "maximum": 10**18 - 1},
        "register_format": {"type": "string", "enum": ["pdf", "xlsx"]},
        "catalog_format": {"type": "string", "enum": ["json", "xlsx"]},
    },
    "PREPROCESSING_HOOKS": ["tinhso.core.api.without_cms_endpoints"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "tinhso.core.api.publish_error_codes",
    ],
    # Several models share field names (`kind`, `status`, `source`...): name their enums
    # instead of letting drf-spectacular hash them (a path that stops importing only
    # produces a schema warning, which tests/test_api_schema.py reports).
    "ENUM_NAME_OVERRIDES": {
        "UserKindEnum": "tinhso.accounts.models.User.Kind",
        "AgencyKindEnum": "tinhso.directory.models.Agency.Kind",
        "AgencyStatusEnum": "tinhso.directory.models.Agency.Status",
        "DossierChannelEnum": "tinhso.onestop.models.Channel",
        "ReturnMethodEnum": "tinhso.onestop.models.ReturnMethod",
        "IncomingDocumentSourceEnum": "tinhso.documents.models.IncomingDocument.Source",
        "IncomingDocumentStatusEnum": "tinhso.documents.models.IncomingDocument.Status",
        "OutgoingDocumentStatusEnum": "tinhso.documents.models.OutgoingDocument.Status",
    },
}

# Security. Production (DEBUG off) gets secure cookies and HSTS unless told otherwise.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
# Served over HTTPS in production (nginx terminates TLS and sets X-Forwarded-Proto).
# `make demo` sets SECURE_COOKIES=0 to run over plain http on 127.0.0.1; the test suite
# (Django's test client and live server speak plain http) does the same by default.
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not (DEBUG or TESTING))
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", SESSION_COOKIE_SECURE)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain http
# Believed only from TRUSTED_PROXIES: ForwardedHeadersMiddleware drops it from anyone else.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
CONTENT_SECURITY_POLICY = os.environ.get(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'",
)
SILENCED_SYSTEM_CHECKS = env_list("SILENCED_SYSTEM_CHECKS")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},  # its page log is kept in audit, not on the console
    },
}

# Platform identity (the demo province by default).
TINHSO_PROVINCE_NAME = os.environ.get("TINHSO_PROVINCE_NAME", "Tỉnh Sông Lam (demo)")
# The address people reach this instance at: links in e-mails/SMS are built from it.
# Unset, it follows the port `make demo PORT=N` / `tinhso serve --port N` runs on.
TINHSO_SITE_URL = (
    os.environ.get("TINHSO_SITE_URL") or f"http://127.0.0.1:{os.environ.get('PORT') or '8000'}"
).rstrip("/")
# Name shown in officials' authenticator apps next to their one-time codes.
TINHSO_OTP_ISSUER = os.environ.get("TINHSO_OTP_ISSUER", f"tinhso {TINHSO_PROVINCE_NAME}")

# Digital signatures (signing app). A time-stamp authority turns PAdES B-B into B-T/B-LT.
SIGNING_TSA_URL = os.environ.get("SIGNING_TSA_URL") or None
SIGNING_PUBLIC_URL = os.environ.get("SIGNING_PUBLIC_URL") or None  # CRL address in issued certs
SIGNING_PKCS11_MODULE = os.environ.get("SIGNING_PKCS11_MODULE", "")
SIGNING_PKCS11_PIN = os.environ.get("SIGNING_PKCS11_PIN") or None
SIGNING_VERIFY_MAX_BYTES = int(os.environ.get("SIGNING_VERIFY_MAX_BYTES", str(30 * 1024 * 1024)))
SIGNING_SIGN_MAX_BYTES = int(os.environ.get("SIGNING_SIGN_MAX_BYTES", str(50 * 1024 * 1024)))


def env_time(name: str, default: str):
    from datetime import time

    hours, minutes = os.environ.get(name, default).split(":")
    return time(int(hours), int(minutes))


# Working days (rules a decree can change): office half-days and the one-stop cut-off.
WORKDAYS_MORNING_START = env_time("WORKDAYS_MORNING_START", "07:30")
WORKDAYS_MORNING_END = env_time("WORKDAYS_MORNING_END", "11:30")
WORKDAYS_AFTERNOON_START = env_time("WORKDAYS_AFTERNOON_START", "13:00")
WORKDAYS_AFTERNOON_END = env_time("WORKDAYS_AFTERNOON_END", "17:00")
WORKDAYS_CUTOFF = env_time("WORKDAYS_CUTOFF", "15:00")
WORKDAYS_CUTOFF_SHIFTS_START = env_bool("WORKDAYS_CUTOFF_SHIFTS_START", True)

# Online payment (one-stop; see onestop/payments/conf.py). PAYMENT_PROVIDERS: dotted paths
# of provider classes (none by default: fees are then paid at the counter). The sandbox
# gateway, which moves no money, exists only with PAYMENT_SANDBOX=1 (`make demo` and the
# test suite): every page then says so, and `check --deploy` refuses it.
PAYMENT_PROVIDERS = env_list("PAYMENT_PROVIDERS")
PAYMENT_SANDBOX = env_bool("PAYMENT_SANDBOX", TESTING)
PAYMENT_CALLBACK_MAX_BYTES = int(os.environ.get("PAYMENT_CALLBACK_MAX_BYTES", "4096"))
PAYMENT_CALLBACK_RATE = os.environ.get("PAYMENT_CALLBACK_RATE", "300/min")
PAYMENT_CALLBACK_REJECTED_RATE = os.environ.get("PAYMENT_CALLBACK_REJECTED_RATE", "20/10min")
PAYMENT_RECEIPT_SERIES = os.environ.get("PAYMENT_RECEIPT_SERIES", "BL")

# Field reports (feedback): a tile server only where the province runs one (the map draws
# the communes' boundaries without tiles otherwise; add its origin to img-src of the CSP).
FEEDBACK_TILE_URL = os.environ.get("FEEDBACK_TILE_URL", "")
FEEDBACK_TILE_ATTRIBUTION = os.environ.get("FEEDBACK_TILE_ATTRIBUTION", "")
FEEDBACK_SUBMIT_RATE = os.environ.get("FEEDBACK_SUBMIT_RATE", "20/hour")  # per account/device/IP
