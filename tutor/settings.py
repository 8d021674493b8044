"""Parley settings, read from the environment.

Every value comes from an environment variable with a typed reader that fails
loudly on a bad value. `make run` and `make test` set DATABASE_URL and
REDIS_URL to embedded servers under var/ when they are not given.
"""

from pathlib import Path
from urllib.parse import unquote

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("PARLEY_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)


def _secret_key() -> str:
    key = env.str("DJANGO_SECRET_KEY", default="")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        from django.core.management.utils import get_random_secret_key

        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(get_random_secret_key())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _database() -> dict:
    if "DATABASE_URL" not in env:
        raise ImproperlyConfigured(
            "DATABASE_URL is not set. Use `make run` / `make test`, which start an "
            "embedded PostgreSQL, or point it at a PostgreSQL server."
        )
    config = env.db("DATABASE_URL")
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("Parley runs on PostgreSQL only; DATABASE_URL must be postgres://…")
    # A unix-socket directory travels percent-encoded in the host part of the URL.
    config["HOST"] = unquote(config.get("HOST") or "")
    config["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
    return config


def _redis_url() -> str:
    url = env.str("REDIS_URL", default="")
    if not url.startswith(("redis://", "rediss://")):
        raise ImproperlyConfigured("REDIS_URL must be set to redis://host:port/db.")
    return url


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "ninja",  # serves Swagger UI from its own static files (without it, from a CDN)
    "tutor",
    "lessons",
    "speech",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "tutor.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "tutor.asgi.application"

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
            ],
        },
    },
]

DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "tutor.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"

# Learner audio and other per-session files.
MEDIA_ROOT = Path(env.str("PARLEY_MEDIA_ROOT", default=str(VAR_DIR / "media")))
# the tutor's synthesised speech (lessons.voice) is cached under MEDIA_ROOT/tts-cache up to this size;
# past it the least recently played files go first
TTS_CACHE_MAX_BYTES = env.int("PARLEY_TTS_CACHE_MAX_BYTES", default=256 * 1024 * 1024)

REDIS_URL = _redis_url()

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        # redis-py 8 times reads out after 5 s by default, the same 5 s channels-redis
        # blocks in BZPOPMIN: the read must be allowed to outlast the pop.
        "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 30}], "capacity": 1500, "expiry": 30},
    }
}

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "end-abandoned-sessions": {
        "task": "tutor.tasks.end_abandoned_sessions",
        "schedule": 60.0,
    },
}

# Limits of the duplex WebSocket (see docs/protocol.md).
PARLEY_WS = {
    "max_binary_frame_bytes": env.int("PARLEY_WS_MAX_BINARY_FRAME_BYTES", default=16 + 6400),
    "max_text_frame_bytes": env.int("PARLEY_WS_MAX_TEXT_FRAME_BYTES", default=8192),
    "frames_per_second": env.float("PARLEY_WS_FRAMES_PER_SECOND", default=120.0),
    "frame_burst": env.int("PARLEY_WS_FRAME_BURST", default=400),
    "max_session_seconds": env.float("PARLEY_WS_MAX_SESSION_SECONDS", default=3600.0),
    "hello_timeout_seconds": env.float("PARLEY_WS_HELLO_TIMEOUT_SECONDS", default=10.0),
    "violations_before_close": env.int("PARLEY_WS_VIOLATIONS_BEFORE_CLOSE", default=50),
    "violation_window_seconds": env.float("PARLEY_WS_VIOLATION_WINDOW_SECONDS", default=10.0),
    "flush_interval_seconds": env.float("PARLEY_WS_FLUSH_INTERVAL_SECONDS", default=1.0),
    "abandoned_after_seconds": env.float("PARLEY_WS_ABANDONED_AFTER_SECONDS", default=900.0),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
}

if not DEBUG:
    SESSION_COOKIE_HTTPONLY = True
    CSRF_COOKIE_HTTPONLY = False
    SECURE_CONTENT_TYPE_NOSNIFF = True
