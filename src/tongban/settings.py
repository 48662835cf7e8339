"""Tongban settings: one module, every value read from the environment.

Each value goes through a small typed helper that fails loudly on a bad value,
so a misconfigured deployment stops at start-up rather than misbehaving later.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("TONGBAN_VAR_DIR", PROJECT_DIR / "var"))

DEFAULT_SECRET_KEY = "tongban-development-only-secret-key-change-me"  # noqa: S105


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str, default: str) -> str:
    """Read a secret from NAME, or from the file named by NAME_FILE (Docker/K8s secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_name!r} cannot be read: {exc}") from exc
    return os.environ.get(name, default)


#: development | production | test
TONGBAN_ENV = env_str("TONGBAN_ENV", "development")
if TONGBAN_ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured(
        f"TONGBAN_ENV must be development, production or test, got {TONGBAN_ENV!r}"
    )
PRODUCTION = TONGBAN_ENV == "production"

SECRET_KEY = env_secret("SECRET_KEY", DEFAULT_SECRET_KEY)
# Debug pages only when a developer asks for them (DEBUG=1): `make run` shows the real 404/500
# pages and the real speed. Never in production (core/production.py refuses it).
DEBUG = env_bool("DEBUG", False)
#: Sandbox conveniences for staff while developing and in the demo (e.g. moving a sandbox
#: parcel on by hand); never in production.
DEMO_MODE = env_bool("DEMO_MODE", not PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["*"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "csp",
    "import_export",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "tongban.core",
    "tongban.identity",
    "tongban.catalog",
    "tongban.workflow",
    "tongban.exchange",
    "tongban.credit",
    "tongban.cases",
    "tongban.certificates",
    # Development and test stand-ins. Before payments: its `payments` command is the payments
    # app's one plus `payments sandbox` (the fake bank).
    "tongban.sandbox",
    "tongban.payments",
    "tongban.delivery",
    "tongban.counter",
    "tongban.evaluation",
    "tongban.stats",
    "tongban.workbench",
    "tongban.portal",
    "tongban.api",
    "tongban.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # django-csp with the settings' policy built once per process (core/csp_policy.py). Once,
    # this high: static files, the boundary's refusals and every view's answer pass through it.
    "tongban.core.csp_policy.CachedPolicyCSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before anything reads the session, the user or the body: refuses NUL, deep JSON, …
    "tongban.core.boundary.InputBoundaryMiddleware",
    # X-Frame-Options on every answer from here down (it only sets a header on the way out).
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A guide API 304 and a repeated search answered here, in the reader's language, after
    # the input check; the rest of the stack is for views (portal/middleware.py).
    "tongban.portal.middleware.PortalAnswerMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tongban.urls"
WSGI_APPLICATION = "tongban.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'tongban.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the worker and the web process write without "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif env_bool("DATABASE_PREPARED_STATEMENTS", True):
    # PostgreSQL: parameters bound by the server, and a statement run 5 times on a connection
    # is prepared there, so the server neither parses nor plans it again (ADR 0015: the mixed
    # load's database CPU 3.3 → ~2.0 ms a request). Set 0 behind a pooler in transaction mode
    # that does not track prepared statements (PgBouncer before 1.21).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"server_side_binding": True, "prepare_threshold": 5}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "identity.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:home"

# Sign-in throttling (django-axes): lock a username+IP after repeated failures.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60  # hours
# Per username at one address, plus a ceiling per address across usernames (identity/lockout.py).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], ["ip_address"]]
AXES_IP_FAILURE_LIMIT = env_int("AXES_IP_FAILURE_LIMIT", 50)
AXES_HANDLER = "tongban.identity.lockout.LockoutHandler"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_VERBOSE = False
#: Reverse proxies in front (a hop count "1", or CIDRs "10.0.0.0/8,fd00::/8"); empty: the
#: X-Forwarded-For header is ignored. See tongban.core.clientip.
TRUSTED_PROXIES = env_str("TONGBAN_TRUSTED_PROXIES", "")
AXES_CLIENT_IP_CALLABLE = "tongban.core.clientip.client_ip_for_axes"
AXES_LOCKOUT_CALLABLE = "tongban.identity.views.lockout_response"
#: 微查询 (a case by number and ID, no sign-in): failed look-ups per client IP before a
#: cool-off, as the sign-in lockout counts them.
MICRO_QUERY_FAILURE_LIMIT = env_int("MICRO_QUERY_FAILURE_LIMIT", 5)
MICRO_QUERY_COOLOFF_MINUTES = env_int("MICRO_QUERY_COOLOFF_MINUTES", 15)
#: One-time SMS codes of self-registration and password reset (identity/services_accounts.py):
#: how long a code is valid, tries before it is void, the wait before another code to
#: the same mobile, codes per mobile per hour, and codes asked from one client IP per hour.
PHONE_CODE_MINUTES = env_int("PHONE_CODE_MINUTES", 10)
PHONE_CODE_MAX_ATTEMPTS = env_int("PHONE_CODE_MAX_ATTEMPTS", 5)
PHONE_CODE_RESEND_SECONDS = env_int("PHONE_CODE_RESEND_SECONDS", 60)
PHONE_CODE_PER_PHONE_HOUR = env_int("PHONE_CODE_PER_PHONE_HOUR", 5)
PHONE_CODE_PER_IP_HOUR = env_int("PHONE_CODE_PER_IP_HOUR", 20)
#: Wrong codes from one client IP (across challenges) before a cool-off of an hour.
PHONE_CODE_WRONG_PER_IP_HOUR = env_int("PHONE_CODE_WRONG_PER_IP_HOUR", 20)

# Chinese first; English is the complete second locale.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
# Request limits, enforced before any view by core/boundary.py (413/400 problems): the body of
# a form or JSON request (uploads are files, checked per material), fields and files per request.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 100
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "noreply@tongban.local")

# --- transport: strict in production, plain HTTP stays usable for `make run` -------------------
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", PRODUCTION)
SESSION_COOKIE_HTTPONLY = True
# The CSRF token is read from the page (forms, the htmx header), never by script from the cookie.
CSRF_COOKIE_HTTPONLY = PRODUCTION
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
#: Trust the scheme a reverse proxy reports only when it is configured to set it, e.g.
#: SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto (a client could otherwise claim HTTPS).
_proxy_ssl_header = env_str("SECURE_PROXY_SSL_HEADER", "")
if _proxy_ssl_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https")

#: Lifetime of an API bearer token, in hours.
API_TOKEN_HOURS = env_int("API_TOKEN_HOURS", 12)
#: Longest accepted catalogue search query, in characters.
SEARCH_MAX_QUERY_LENGTH = env_int("SEARCH_MAX_QUERY_LENGTH", 100)
#: Seconds a catalogue search result page is cached (0 = off). Citizens ask the same
#: few questions (营业执照, 开饭店 …) again and again; a guide change shows in search
#: at once in this process and within this many seconds in the others (the cache is
#: per process unless CACHE_BACKEND names a shared one).
CATALOG_SEARCH_CACHE_SECONDS = env_int("CATALOG_SEARCH_CACHE_SECONDS", 30)
#: Seconds a rendered guide (page body, API JSON) is kept in the cache (0 = off). The key holds
#: the matter's published version and the guide epoch (catalog.GuideEpoch), read from the
#: database on every request, so a change shows at once in every process; this only bounds
#: the memory a rarely read guide occupies.
GUIDE_CACHE_SECONDS = env_int("GUIDE_CACHE_SECONDS", 3600)

CACHES = {
    "default": {
        "BACKEND": env_str("CACHE_BACKEND", "django.core.cache.backends.locmem.LocMemCache"),
        "LOCATION": env_str("CACHE_LOCATION", "tongban"),
    }
}

NINJA_PAGINATION_PER_PAGE = 20

#: Largest material file an applicant may upload, in bytes (default 20 MiB).
MATERIAL_MAX_BYTES = env_int("TONGBAN_MATERIAL_MAX_BYTES", 20 * 1024 * 1024)
#: Zip-based uploads (OFD materials, XLSX imports): entries, expanded bytes, compression ratio.
ZIP_MAX_ENTRIES = env_int("TONGBAN_ZIP_MAX_ENTRIES", 2000)
ZIP_MAX_EXPANDED_BYTES = env_int("TONGBAN_ZIP_MAX_EXPANDED_BYTES", 200 * 1024 * 1024)
ZIP_MAX_RATIO = env_int("TONGBAN_ZIP_MAX_RATIO", 100)

#: Share of a time limit used (in working days) at which a case turns to 临近到期 (warning).
SLA_WARNING_SHARE = env_float("TONGBAN_SLA_WARNING_SHARE", 0.8)
if not 0 < SLA_WARNING_SHARE <= 1:
    raise ImproperlyConfigured(
        f"TONGBAN_SLA_WARNING_SHARE must be above 0 and at most 1, got {SLA_WARNING_SHARE}"
    )
#: 容缺受理: the latest date an applicant may promise a deferred material, in working days.
DEFERRAL_MAX_WORKING_DAYS = env_int("TONGBAN_DEFERRAL_MAX_WORKING_DAYS", 10)
#: Seconds between two SLA sweeps run by `tongban worker`.
SLA_SWEEP_SECONDS = env_int("TONGBAN_SLA_SWEEP_SECONDS", 60)
#: A `tongban worker` silent this many seconds is dead: a task it left running is queued again
#: (tongban.core.workers; a worker beats every 5 s). Checked every third of this time.
TASK_WORKER_DEAD_SECONDS = env_int("TONGBAN_TASK_WORKER_DEAD_SECONDS", 30)
if TASK_WORKER_DEAD_SECONDS < 15:
    raise ImproperlyConfigured("TONGBAN_TASK_WORKER_DEAD_SECONDS must be at least 15")
#: SMS provider: a code of tongban.core.sms.sms_providers ("log" writes to the log,
#: "outbox" keeps messages in the notification outbox only) or a plugged-in one.
SMS_PROVIDER = env_str("SMS_PROVIDER", "log")
#: Attempts to send one notification before it is marked failed.
NOTIFICATION_MAX_ATTEMPTS = env_int("TONGBAN_NOTIFICATION_MAX_ATTEMPTS", 3)

#: The process studio's dry run: how many recorded cases of the version in force a candidate
#: version is replayed on.
PROCESS_DRY_RUN_CASES = env_int("TONGBAN_PROCESS_DRY_RUN_CASES", 50)

#: The service center (counter): appointments a person may hold per day, how far ahead one
#: may book, and how many no-shows within how many days suspend booking for how long.
APPOINTMENTS_PER_PERSON_PER_DAY = env_int("TONGBAN_APPOINTMENTS_PER_PERSON_PER_DAY", 2)
APPOINTMENT_DAYS_AHEAD = env_int("TONGBAN_APPOINTMENT_DAYS_AHEAD", 14)
APPOINTMENT_NO_SHOW_LIMIT = env_int("TONGBAN_APPOINTMENT_NO_SHOW_LIMIT", 3)
APPOINTMENT_NO_SHOW_WINDOW_DAYS = env_int("TONGBAN_APPOINTMENT_NO_SHOW_WINDOW_DAYS", 30)
APPOINTMENT_SUSPENSION_DAYS = env_int("TONGBAN_APPOINTMENT_SUSPENSION_DAYS", 30)
#: Minutes before its slot that an appointment may check in at the kiosk.
APPOINTMENT_CHECK_IN_EARLY_MINUTES = env_int("TONGBAN_APPOINTMENT_CHECK_IN_EARLY_MINUTES", 30)
#: Seconds between two runs of the no-show sweep (`tongban worker`).
APPOINTMENT_NO_SHOW_SWEEP_SECONDS = env_int("TONGBAN_APPOINTMENT_NO_SHOW_SWEEP_SECONDS", 300)
#: Anonymous tickets (kiosk, phone) per client address: "count/period" (s, m, h, d).
COUNTER_TICKET_RATE = env_str("TONGBAN_COUNTER_TICKET_RATE", "20/m")
#: Finished tickets of a section whose median service time estimates the wait.
COUNTER_SERVICE_SAMPLE = env_int("TONGBAN_COUNTER_SERVICE_SAMPLE", 50)

#: Mount the benchmark's bare view at /bench/bare/ (bench/catalog.py sets it; never in production).
BENCH_VIEWS = env_bool("TONGBAN_BENCH", False) and not PRODUCTION

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "jieba": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # SpiffWorkflow logs every task state change at INFO.
        "spiff": {"level": "WARNING"},
        # fontTools logs every glyph list while subsetting a certificate font.
        "fontTools": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
    },
}

#: Shared secret of the exchange's HTTP providers: requests to a department's endpoint
#: carry X-Tongban-Signature = HMAC-SHA256(body) with it (EXCHANGE_HTTP_SECRET_FILE works too).
EXCHANGE_HTTP_SECRET = env_secret(
    "EXCHANGE_HTTP_SECRET", "" if PRODUCTION else "tongban-development-exchange-secret"
)
#: Key id sent as X-Tongban-Key-Id, so a department can tell which secret to check with.
EXCHANGE_HTTP_KEY_ID = env_str("EXCHANGE_HTTP_KEY_ID", "tongban")

#: Secret under which the certificates' Ed25519 private keys are encrypted at rest
#: (TONGBAN_SIGNING_SECRET_FILE works too). Required in production: losing or changing it
#: means the stored keys can no longer sign (old certificates still verify: public keys are plain).
TONGBAN_SIGNING_SECRET = env_secret("TONGBAN_SIGNING_SECRET", "")
if not TONGBAN_SIGNING_SECRET:
    if PRODUCTION:
        raise ImproperlyConfigured("TONGBAN_SIGNING_SECRET must be set in production")
    # Development and tests only: a value derived from SECRET_KEY, so nothing needs configuring.
    TONGBAN_SIGNING_SECRET = f"tongban-signing-derived-from-secret-key:{SECRET_KEY}"
#: The algorithm new certificate signing keys use: ed25519 (RFC 8032) or sm2 (SM2 with SM3,
#: GB/T 32918 / GM/T 0003). Switching starts a new key of that kind at the next issue; keys of
#: both kinds coexist, so certificates signed before the switch keep verifying.
#: Seconds a process signs with its memo of the active key before reading the key row again:
#: a rotation or revocation made by another process (the ``tongban keys`` command) reaches the
#: workers within this time; in the process that made it, at once. Verification reads the
#: key's revocation on every check.
CERTIFICATE_KEY_RECHECK_SECONDS = env_int("CERTIFICATE_KEY_RECHECK_SECONDS", 2)
CERTIFICATE_SIGNATURE_ALGORITHM = env_str("CERTIFICATE_SIGNATURE_ALGORITHM", "ed25519").lower()
if CERTIFICATE_SIGNATURE_ALGORITHM not in {"ed25519", "sm2"}:
    raise ImproperlyConfigured(
        "CERTIFICATE_SIGNATURE_ALGORITHM must be ed25519 or sm2, "
        f"got {CERTIFICATE_SIGNATURE_ALGORITHM!r}"
    )

#: Ed25519 private key (32-byte seed, base64url) that signs the access log's checkpoints; kept
#: out of the database so that whoever can write to the database cannot re-sign a rewritten
#: chain. AUDIT_CHECKPOINT_KEY_FILE names a file holding it (e.g. under var/). Required in
#: production; elsewhere a key derived from SECRET_KEY is used.
AUDIT_CHECKPOINT_KEY = env_secret("AUDIT_CHECKPOINT_KEY", "")
AUDIT_CHECKPOINT_KEY_IS_DEFAULT = not AUDIT_CHECKPOINT_KEY
if AUDIT_CHECKPOINT_KEY_IS_DEFAULT:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "AUDIT_CHECKPOINT_KEY (or AUDIT_CHECKPOINT_KEY_FILE) must be set in production: "
            "generate one with `tongban verify-audit --new-key`"
        )
    AUDIT_CHECKPOINT_KEY = (
        base64.urlsafe_b64encode(
            hashlib.sha256(f"tongban-audit-checkpoint-dev:{SECRET_KEY}".encode()).digest()
        )
        .decode("ascii")
        .rstrip("=")
    )
#: Public keys (base64url, comma separated) of earlier checkpoint keys that verify-audit still
#: accepts for the checkpoints they signed (after a key change).
AUDIT_CHECKPOINT_OLD_PUBLIC_KEYS = env_list("AUDIT_CHECKPOINT_OLD_PUBLIC_KEYS", [])
#: A checkpoint is signed every AUDIT_CHECKPOINT_ROWS rows (on write) and by the worker every
#: AUDIT_CHECKPOINT_SECONDS when rows were added since the last one.
AUDIT_CHECKPOINT_ROWS = env_int("AUDIT_CHECKPOINT_ROWS", 1000)
AUDIT_CHECKPOINT_SECONDS = env_int("AUDIT_CHECKPOINT_SECONDS", 600)
if AUDIT_CHECKPOINT_ROWS < 1 or AUDIT_CHECKPOINT_SECONDS < 1:
    raise ImproperlyConfigured("AUDIT_CHECKPOINT_ROWS and AUDIT_CHECKPOINT_SECONDS must be >= 1")

#: A TTF/OTF/TTC font with Chinese glyphs to embed in certificate PDFs (e.g. Debian's
#: /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc); empty uses the built-in STSong-Light.
TONGBAN_CERT_FONT = env_str("TONGBAN_CERT_FONT", "")
if TONGBAN_CERT_FONT and not Path(TONGBAN_CERT_FONT).is_file():
    raise ImproperlyConfigured(f"TONGBAN_CERT_FONT={TONGBAN_CERT_FONT!r} is not a readable file")

#: Modules imported at start-up whose import registers plugins (payment providers, data
#: providers, carriers, SMS providers; see tongban.core.plugins), comma separated. Outside
#: production the sandboxes are plugged in; a district adds its own modules here.
TONGBAN_PLUGINS = env_list(
    "TONGBAN_PLUGINS",
    [] if PRODUCTION else ["tongban.sandbox.payments", "tongban.sandbox.delivery"],
)
if os.environ.get("PAYMENT_PROVIDER_CLASSES"):
    raise ImproperlyConfigured(
        "PAYMENT_PROVIDER_CLASSES is gone: register the provider with "
        "@payment_providers.register(code) in a module listed in TONGBAN_PLUGINS"
    )

#: Carrier of posted licences: a code of tongban.delivery.carriers.carriers
#: ("sandbox" moves parcels on `tongban delivery advance`).
DELIVERY_CARRIER = env_str("DELIVERY_CARRIER", "sandbox")

#: Payment provider used for new orders: a code of tongban.payments.providers.payment_providers
#: ("sandbox" for development and the demo).
PAYMENT_PROVIDER = env_str("PAYMENT_PROVIDER", "sandbox")
#: Where the sandbox gateway (`tongban payments sandbox`) listens.
PAYMENT_SANDBOX_URL = env_str("PAYMENT_SANDBOX_URL", "http://127.0.0.1:8010").rstrip("/")


# --- Content-Security-Policy (django-csp 4) ---------------------------------------------------
def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


#: Other origins a form may post or redirect to: the payment gateway (the sandbox is another
#: origin in development) and, through CSP_FORM_ACTION_EXTRA, e.g. the OIDC provider.
_form_targets = [
    o for o in [_origin(PAYMENT_SANDBOX_URL), *env_list("CSP_FORM_ACTION_EXTRA", [])] if o
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        # No inline script and no eval anywhere: every script is a static file (htmx reads its
        # configuration from <meta name="htmx-config">, ECharts needs no eval).
        "script-src": ["'self'"],
        # No inline <style> or style="" in our templates (htmx's indicator <style> is switched
        # off: includeIndicatorStyles=false in the htmx-config meta, the rule is in portal.css;
        # ECharts and Swagger UI set styles through the CSSOM). 'unsafe-inline' stays for the
        # process diagrams: bpmn-js and dmn-js write style attributes into the SVG they draw.
        # A style cannot run code; scripts stay strict.
        "style-src": ["'self'", "'unsafe-inline'"],
        # data: for images that scripts create (ECharts' saveAsImage, Swagger UI's icons).
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", *_form_targets],
    }
}
#: HMAC secret shared by the app and the sandbox gateway (PAYMENT_SANDBOX_SECRET_FILE works too).
PAYMENT_SANDBOX_SECRET = env_secret(
    "PAYMENT_SANDBOX_SECRET", "" if PRODUCTION else "tongban-development-sandbox-pay-secret"
)
#: Seconds a payment callback stays valid: older ones (or as far in the future) are replays.
PAYMENT_CALLBACK_MAX_AGE_SECONDS = env_int("PAYMENT_CALLBACK_MAX_AGE_SECONDS", 600)
#: Minutes an order may stay unpaid: then it expires (支付超时未完成) and the payer pays again.
PAYMENT_ORDER_TTL_MINUTES = env_int("PAYMENT_ORDER_TTL_MINUTES", 30)
#: Seconds after which a pending order is looked up at its provider (a lost callback).
PAYMENT_REFRESH_AFTER_SECONDS = env_int("PAYMENT_REFRESH_AFTER_SECONDS", 120)
#: How often the worker runs the payments sweep (lost callbacks, expiry).
PAYMENT_SWEEP_SECONDS = env_int("PAYMENT_SWEEP_SECONDS", 60)

# Unified identity (统一身份认证): citizens and enterprise agents sign in through the city's
# OpenID Connect provider (docs/unified-identity.md). Empty OIDC_ISSUER: no button, local
# sign-in only. Staff always sign in locally.
#: The provider's issuer URL; its discovery document is ISSUER/.well-known/openid-configuration.
OIDC_ISSUER = env_str("OIDC_ISSUER", "").rstrip("/")
#: Another discovery document URL, when the provider does not publish it under the issuer.
OIDC_DISCOVERY_URL = env_str("OIDC_DISCOVERY_URL", "")
OIDC_CLIENT_ID = env_str("OIDC_CLIENT_ID", "" if PRODUCTION else "tongban")
#: The client secret registered with the provider (OIDC_CLIENT_SECRET_FILE works too).
OIDC_CLIENT_SECRET = env_secret(
    "OIDC_CLIENT_SECRET", "" if PRODUCTION else "tongban-development-oidc-secret"
)
if PRODUCTION and OIDC_ISSUER and not (OIDC_CLIENT_ID and OIDC_CLIENT_SECRET):
    raise ImproperlyConfigured("OIDC_ISSUER needs OIDC_CLIENT_ID and OIDC_CLIENT_SECRET")
if OIDC_ISSUER:
    # Signing out POSTs to us and is redirected to the provider's end-session endpoint; a
    # form's redirect must be allowed by form-action too.
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(_origin(OIDC_ISSUER))
OIDC_SCOPES = env_list("OIDC_SCOPES", ["openid", "profile"])
if "openid" not in OIDC_SCOPES:
    raise ImproperlyConfigured(f"OIDC_SCOPES must include openid, got {OIDC_SCOPES!r}")
#: Names of the claims carrying the verified resident ID number, the name, and for an agent
#: of an enterprise its unified social credit code and name.
OIDC_CLAIM_ID_NUMBER = env_str("OIDC_CLAIM_ID_NUMBER", "id_number")
OIDC_CLAIM_NAME = env_str("OIDC_CLAIM_NAME", "name")
OIDC_CLAIM_CREDIT_CODE = env_str("OIDC_CLAIM_CREDIT_CODE", "credit_code")
OIDC_CLAIM_ENTERPRISE_NAME = env_str("OIDC_CLAIM_ENTERPRISE_NAME", "enterprise_name")
#: Seconds to wait for the provider (discovery, JWKS, token, userinfo).
OIDC_TIMEOUT_SECONDS = env_float("OIDC_TIMEOUT_SECONDS", 5.0)
