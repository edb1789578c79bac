"""Settings for the sample Django app, all from environment variables (twelve-factor style,
as a Kubernetes Deployment sets them).

  SECRET_KEY     required unless DEBUG=1
  DEBUG          0 or 1 (also true/false); default 0
  ALLOWED_HOSTS  comma-separated; default "localhost,127.0.0.1,[::1]"
  STATIC_ROOT    where collectstatic writes; default ./staticfiles (the image uses /app/staticfiles)
  STATIC_URL     default /static/ (must match the web tier's static URL path)
  MEDIA_ROOT     uploads folder; default ./media
  MEDIA_URL      default /media/
  DATABASE_PATH  a SQLite file; without it the app has no database (and /api/heartbeats answers 503)

Works on Django 3.2 (Debian 12's python3-django) and on 4.2 and later.
"""

import os
from pathlib import Path

import django
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip()
    if raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"environment variable {name} must be 0 or 1 (or false/true), got {raw!r}")


def env_list(name: str, default: str) -> list:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_url_path(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip() or default
    if not (value.startswith("/") and value.endswith("/")):
        raise ImproperlyConfigured(f"environment variable {name} must start and end with '/', got {value!r}")
    return value


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "environment variable SECRET_KEY is required when DEBUG=0 (in a cluster, set it from a Secret)"
        )
    SECRET_KEY = "insecure-key-for-DEBUG-only"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

# The admin's apps are installed for its static files (collectstatic copies its CSS and scripts, which
# the web tier serves like any static file); its URLs need a database and are not mounted here.
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "pages",
]

MIDDLEWARE = [
    # First, so health probes (whose Host is the pod IP) never meet the ALLOWED_HOSTS check.
    "pages.middleware.HealthCheckMiddleware",
    "pages.middleware.ServedByMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "mysite.urls"
WSGI_APPLICATION = "mysite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    },
]

# The sample needs no database server: SQLite when DATABASE_PATH is set (a shared volume in a cluster,
# e.g. a folder on the uploads volume that NGINX does not serve), none otherwise. `manage.py migrate`
# creates the tables; a real app points this at PostgreSQL or MySQL.
DATABASE_PATH = os.environ.get("DATABASE_PATH", "").strip()
if DATABASE_PATH:
    os.makedirs(os.path.dirname(os.path.abspath(DATABASE_PATH)), exist_ok=True)
    # A writer waits up to 20 s for another (the worker, a migration) rather than failing.
    DATABASES = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": DATABASE_PATH, "OPTIONS": {"timeout": 20}}
    }
else:
    DATABASES = {}

USE_TZ = True

# Behind NGINX: the web tier sets X-Forwarded-Host and X-Forwarded-Proto itself, replacing
# whatever a client sent, so trusting them is safe only when every request comes through it. Django never
# reads X-Forwarded-For: REMOTE_ADDR stays the proxy's address (see /api/info).
USE_X_FORWARDED_HOST = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

STATIC_URL = env_url_path("STATIC_URL", "/static/")
STATIC_ROOT = os.environ.get("STATIC_ROOT") or str(BASE_DIR / "staticfiles")
MEDIA_URL = env_url_path("MEDIA_URL", "/media/")
MEDIA_ROOT = os.environ.get("MEDIA_ROOT") or str(BASE_DIR / "media")

# ManifestStaticFilesStorage: collectstatic writes content-hashed copies (site.3f2a...css)
# and staticfiles.json; {% static %} then emits the hashed names, so NGINX can cache them
# for a long time. Django 4.2 added STORAGES and 5.1 removed STATICFILES_STORAGE; a project
# may set only one of the two.
STATICFILES_BACKEND = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
if django.VERSION >= (4, 2):
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": STATICFILES_BACKEND},
    }
else:
    STATICFILES_STORAGE = STATICFILES_BACKEND

# Errors to stderr, where Gunicorn and uWSGI (and kubectl logs) pick them up.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"django": {"handlers": ["stderr"], "level": "WARNING"}},
}
