"""Only what the three floor views need: no apps, no middleware, no sessions, auth or
messages, no i18n; the same PostgreSQL database (DATABASE_URL) with tinhso's persistent
connections (CONN_MAX_AGE 60, health checks on) and the same time zone."""

import os
from pathlib import Path

import dj_database_url

HERE = Path(__file__).resolve().parent
SECRET_KEY = os.environ.get("SECRET_KEY", "floor-only-not-a-secret-key-0123456789abcdefghijkl")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "floor.urls"
WSGI_APPLICATION = "floor.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [HERE / "templates"],
        "OPTIONS": {"context_processors": []},
    }
]
DATABASES = {
    "default": dj_database_url.parse(
        os.environ["DATABASE_URL"], conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60"))
    )
}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
USE_I18N = False
USE_TZ = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
LOGGING = {  # the wrong-digit lookups are 404s, which Django logs as warnings
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler", "level": "ERROR"}},
    "root": {"handlers": ["console"], "level": "ERROR"},
}
