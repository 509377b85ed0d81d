"""Settings for signup_site, read from the environment.

Every variable is listed with its default in `.env.example`. Development
defaults work offline; production (DJANGO_DEBUG off) must set a secret key.
"""

import hashlib
import hmac
import ipaddress
import os
import re
import tempfile
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path

import dj_database_url
import dj_email_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {raw!r}")
    return value


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}") from None


def env_url_prefix(name: str, default: str) -> str:
    """A path prefix to mount pages under, as `path()` takes it: `ops/admin/`."""
    value = env_str(name) or default
    # No leading slash (Django's routes have none), a trailing one, and plain
    # segments only: `<...>` would be read as a converter, `.` and `..` moved by browsers.
    if not re.fullmatch(r"(?:(?!\.+/)[A-Za-z0-9._~-]+/)+", value):
        raise ImproperlyConfigured(
            f"{name} must be like admin/ or ops/admin/ (letters, digits, . _ ~ -; "
            f"no leading /, a trailing /), not {value!r}"
        )
    return value


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_networks(name: str) -> list[str]:
    """A comma-separated list of networks (`10.0.0.0/8, 2001:db8::/32`, or
    single addresses), each checked here so that a typo stops the start."""
    networks = []
    for item in env_list(name):
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ImproperlyConfigured(f"{name} must list networks like 10.0.0.0/8, not {item!r}") from None
    return networks


def env_origins(name: str) -> list[str]:
    """Web origins, comma-separated, as CORS compares them: `https://www.brand.example`."""
    origins = env_list(name)
    for origin in origins:
        if not re.fullmatch(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?", origin):
            raise ImproperlyConfigured(
                f"{name} must list origins like https://www.brand.example (a scheme, a host, "
                f"an optional port; no path, no *), not {origin!r}"
            )
    return origins


DEBUG = env_bool("DJANGO_DEBUG", False)
# Under DEBUG a missing page is the site's own 404 (web.errors.FriendlyNotFoundMiddleware);
# true brings back Django's technical 404, which lists the URL patterns.
TECHNICAL_404 = env_bool("DJANGO_TECHNICAL_404", False)

_DEV_SECRET_KEY = "django-insecure-dev-only-key-never-used-in-production"  # noqa: S105 (DEBUG only)
SECRET_KEY = env_str("DJANGO_SECRET_KEY") or (_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off")
SECRET_KEY_FALLBACKS = env_list("DJANGO_SECRET_KEY_FALLBACKS")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = [SITE_URL] if SITE_URL.startswith("https://") else []
CSRF_FAILURE_VIEW = "signup_site.web.errors.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_tasks_db",
    "axes",
    "corsheaders",
    "signup_site.brand",
    "signup_site.campaign",
    "signup_site.content",
    "signup_site.web",
    "signup_site.ops",
    "signup_site.emulator",
]

MIDDLEWARE = [
    # First, so that it times everything after it (signup_site.ops.metrics).
    "signup_site.ops.middleware.RequestMetricsMiddleware",
    # First, as django-cors-headers asks: a preflight is answered before anything else runs.
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "signup_site.web.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Inside CommonMiddleware, so that APPEND_SLASH still redirects a 404 it answers.
    "signup_site.web.errors.FriendlyNotFoundMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "signup_site.urls"
# Where the admin is mounted: off the well-known admin/, scanners find no login form to try.
ADMIN_URL = env_url_prefix("DJANGO_ADMIN_URL", "admin/")
WSGI_APPLICATION = "signup_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "signup_site.brand.context.brand",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "signup_site.web.proof.widget_strings",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so two writers wait
    # for each other (busy timeout) instead of failing on lock upgrade; WAL lets
    # the web server and the task worker read while the other writes.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # The test database is a file (threads in the concurrency tests need a
    # shared one), one per test process so that parallel runs don't collide.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"signup-site-test-{os.getpid()}.sqlite3")
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-axes first: it refuses a locked-out login before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# The admin's login lockout (django-axes). A username is locked out from one
# address after ADMIN_LOCKOUT_FAILURES wrong passwords, so an attacker cannot
# lock the real operator out from elsewhere; an address is locked out after
# ADMIN_LOCKOUT_IP_FAILURES wrong passwords whatever the usernames, so it
# cannot try a few passwords for each of many usernames. Both lift
# ADMIN_LOCKOUT_MINUTES after the last failure (a try while locked counts as
# one), or at once with `manage.py axes_reset_ip ADDRESS`.
ADMIN_LOCKOUT_FAILURES = env_int("ADMIN_LOCKOUT_FAILURES", 5, minimum=1)
ADMIN_LOCKOUT_IP_FAILURES = env_int(
    "ADMIN_LOCKOUT_IP_FAILURES", max(20, ADMIN_LOCKOUT_FAILURES), minimum=ADMIN_LOCKOUT_FAILURES
)
ADMIN_LOCKOUT_MINUTES = env_int("ADMIN_LOCKOUT_MINUTES", 15, minimum=1)
AXES_FAILURE_LIMIT = ADMIN_LOCKOUT_FAILURES
AXES_COOLOFF_TIME = timedelta(minutes=ADMIN_LOCKOUT_MINUTES)
# In this order: AdminLockoutHandler reads the per-IP count second.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "signup_site.web.lockout.AdminLockoutHandler"
AXES_LOCKOUT_CALLABLE = "signup_site.web.lockout.locked_out"
AXES_CLIENT_IP_CALLABLE = "signup_site.web.proxies.client_ip"
# A success must not wipe the address's failures with other usernames: one
# staff account would then buy unlimited tries at another's password.
AXES_RESET_ON_SUCCESS = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Languages: the seven of the product spec (section 1.5); Arabic is written
# right to left (templates/base.html reads its bidi flag). The public pages
# pick ?lang=, then the stored preference (cookie, or the subscriber's own),
# then Accept-Language. The names here are for the admin; the public switcher
# names each language in itself (web/languages.py).
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("fr", _("French")),
    ("de", _("German")),
    ("pt-br", _("Portuguese (Brazil)")),
    ("it", _("Italian")),
    ("ar", _("Arabic")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SAMESITE = "Lax"
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS: list[Path | tuple[str, str]] = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            # Hashed, compressed names need `collectstatic` first: production
            # runs it; development and the test suite serve files as they are.
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("DJANGO_STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# The ALTCHA widget (npm package `altcha`, installed by `npm ci` into
# node_modules/, never copied into the repo) is served under static/altcha/.
STATICFILES_DIRS.append(("altcha", str(BASE_DIR / "node_modules" / "altcha" / "dist")))
# Bootstrap comes from the XStatic-Bootstrap package, installed by pip: its
# files are served under static/bootstrap/ without being copied into the repo.
try:
    import xstatic.pkg.bootstrap as _xstatic_bootstrap

    STATICFILES_DIRS.append(("bootstrap", _xstatic_bootstrap.BASE_DIR))
except ImportError:  # pragma: no cover - the package is a hard requirement
    raise ImproperlyConfigured("XStatic-Bootstrap is not installed: run `make install`") from None

WHITENOISE_USE_FINDERS = STORAGES["staticfiles"]["BACKEND"].startswith("django.")
WHITENOISE_AUTOREFRESH = DEBUG

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Security. The public pages load nothing from other origins.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many reverse proxies in front of the site append to X-Forwarded-For: the
# client address (consent evidence, the admin's lockout) is taken that many
# hops back.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# The cache holds the abuse limits' counters and the spent proof-of-work
# solutions, so it must be shared by every web process on every machine: the
# site's database by default (`manage.py createcachetable`, which `make run`
# and the test database run), Redis with CACHE_URL=redis://host:6379/1.
CACHE_URL = env_str("CACHE_URL")
if CACHE_URL:
    if not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(f"CACHE_URL must be a redis:// URL, not {CACHE_URL!r}")
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "signup_site_cache"}
    }
# Each process's own memory, for what is read on every page and cheap to
# read again: the brand (BRAND_CACHE_SECONDS). Caching a database row in the
# database cache would save nothing.
CACHES["local"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "signup-local"}

# Limits on every path that sends an email (web/limits.py): sign-up, "email me
# my link", email change. Counted per client address, per network (/24, /56),
# per mailbox (every alias of it together) and for the whole site, in fixed
# windows. A client that solved the proof of work (ALTCHA) gets the higher
# allowance; one without JavaScript the lower; the site-wide breaker stops
# unproven traffic first.
LIMIT_IP_PER_HOUR = env_int("LIMIT_IP_PER_HOUR", 20, minimum=1)
LIMIT_IP_UNPROVEN_PER_HOUR = env_int("LIMIT_IP_UNPROVEN_PER_HOUR", 5, minimum=0)
LIMIT_NETWORK_PER_HOUR = env_int("LIMIT_NETWORK_PER_HOUR", 60, minimum=1)
LIMIT_MAILBOX_PER_DAY = env_int("LIMIT_MAILBOX_PER_DAY", 5, minimum=1)
LIMIT_GLOBAL_PER_HOUR = env_int("LIMIT_GLOBAL_PER_HOUR", 2000, minimum=1)
LIMIT_GLOBAL_UNPROVEN_PER_HOUR = env_int("LIMIT_GLOBAL_UNPROVEN_PER_HOUR", 500, minimum=0)
# ALTCHA proof of work (web/proof.py): challenges are signed with this key
# (derived from the secret key unless set), cost PBKDF2 iterations per try
# (about 256 tries on average), and expire after ALTCHA_EXPIRES_SECONDS.
ALTCHA_HMAC_KEY = (
    env_str("ALTCHA_HMAC_KEY")
    or hmac.new(SECRET_KEY.encode(), b"signup_site.altcha", hashlib.sha256).hexdigest()
)
ALTCHA_COST = env_int("ALTCHA_COST", 5000, minimum=1)
ALTCHA_EXPIRES_SECONDS = env_int("ALTCHA_EXPIRES_SECONDS", 600, minimum=10)

# Email for the site's own messages (and the local Campaign's): EMAIL_URL in
# production; the development mailbox (/dev/mailbox/) under DEBUG; otherwise
# the console, so a misconfigured server never silently drops mail.
MAILBOX_DIR = Path(env_str("MAILBOX_DIR", str(BASE_DIR / "var" / "mailbox")))
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def smtp_mailer(url: str) -> dict[str, object]:
    """A MAILERS entry from an EMAIL_URL such as smtp+tls://user:pass@host:587."""
    parsed = dj_email_url.parse(url)
    backend = parsed["EMAIL_BACKEND"]
    if backend != SMTP_BACKEND:
        return {"BACKEND": backend}
    options = {
        "host": parsed["EMAIL_HOST"],
        "port": parsed["EMAIL_PORT"],
        "username": parsed["EMAIL_HOST_USER"],
        "password": parsed["EMAIL_HOST_PASSWORD"],
        "use_tls": parsed["EMAIL_USE_TLS"],
        "use_ssl": parsed["EMAIL_USE_SSL"],
        "timeout": 20,
    }
    return {"BACKEND": backend, "OPTIONS": {k: v for k, v in options.items() if v not in (None, "")}}


if env_str("EMAIL_URL"):
    MAILERS = {"default": smtp_mailer(env_str("EMAIL_URL"))}
elif DEBUG:
    MAILERS = {"default": {"BACKEND": "signup_site.web.mailbox.MailboxBackend"}}
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Signup Site <news@example.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# The brand on every page and email is edited in the admin (one row). These
# are its values on first boot, when that row is created, and while the
# database cannot be read; after that the admin's values win.
_default_sender = parseaddr(DEFAULT_FROM_EMAIL)
BRAND_DEFAULTS = {
    "name": env_str("BRAND_NAME", _default_sender[0] or "Signup Site"),
    "primary_colour": env_str("BRAND_PRIMARY_COLOUR", "#0a58ca"),
    "sender_name": env_str("BRAND_SENDER_NAME"),  # empty: the brand name
    "sender_email": env_str("BRAND_SENDER_EMAIL", _default_sender[1] or "news@example.com"),
    "reply_to": env_str("BRAND_REPLY_TO"),
    # Newlines as \n in an env file; CAN-SPAM asks for one in every commercial email.
    "postal_address": env_str("BRAND_POSTAL_ADDRESS").replace("\\n", "\n"),
    "privacy_url": env_str("BRAND_PRIVACY_URL"),
    "terms_url": env_str("BRAND_TERMS_URL"),
    "support_contact": env_str("BRAND_SUPPORT_CONTACT"),
    "site_domain": env_str("BRAND_DOMAIN"),
}
# How long a process keeps the brand before reading it again: a save clears
# this process's copy at once (and every process's, with a shared cache).
BRAND_CACHE_SECONDS = env_int("BRAND_CACHE_SECONDS", 60, minimum=0)
# How long a process keeps a blank form page it rendered (web.fragments): a
# save of topics, consent wording or brand forgets this process's at once.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 60, minimum=0)

# Tasks: the outbox is delivered by a worker. Default: django-tasks-db on the
# site's database (`manage.py db_worker`). With TASKS_BACKEND=
# django_tasks_rq.RQBackend and REDIS_URL, tasks go through Redis instead
# (`manage.py rqworker default --with-scheduler`). Either way the outbox
# table stays the source of truth, and the sweeper covers lost tasks.
TASKS_BACKEND = env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")
TASKS = {"default": {"BACKEND": TASKS_BACKEND}}
if TASKS_BACKEND == "django_tasks_rq.RQBackend":
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": env_str("REDIS_URL", "redis://127.0.0.1:6379/0")}}

# The product's own settings.
SIGNUP_DOUBLE_OPT_IN = env_bool("SIGNUP_DOUBLE_OPT_IN", True)
SIGNUP_CONFIRM_MAX_AGE_DAYS = env_int("SIGNUP_CONFIRM_MAX_AGE_DAYS", 7)
PREFERENCES_LINK_MAX_AGE_DAYS = env_int("PREFERENCES_LINK_MAX_AGE_DAYS", 30)
UNSUBSCRIBE_LINK_MAX_AGE_DAYS = env_int("UNSUBSCRIBE_LINK_MAX_AGE_DAYS", 400)
# At most this many confirmation emails per mailbox per hour (every spelling
# and alias of it together: `+tags`, Gmail dots): a form that anyone can
# submit must not become a way to flood someone's inbox.
SIGNUP_EMAILS_PER_HOUR = env_int("SIGNUP_EMAILS_PER_HOUR", 3)
SIGNUP_WELCOME_MESSAGE = env_str("SIGNUP_WELCOME_MESSAGE", "welcome")
# "Opt down instead of out": the frequencies offered besides every email
# (empty: not offered), the pauses offered in days (empty: not offered), and
# how many days before a pause ends its reminder email goes out.
OPTDOWN_FREQUENCIES = env_list("OPTDOWN_FREQUENCIES", "weekly,monthly")
OPTDOWN_PAUSE_DAYS = env_list("OPTDOWN_PAUSE_DAYS", "30,60,90")
OPTDOWN_REMINDER_DAYS = env_int("OPTDOWN_REMINDER_DAYS", 3, minimum=0)

# The sign-up API (/api/signup, /api/openapi.json): which other sites' pages
# may call it from a browser (CORS), e.g. "https://www.brand.example". Empty:
# none; a plain HTML form posted from anywhere still works, as forms need no CORS.
# The ALTCHA widget of the embeddable form fetches its challenge too.
CORS_URLS_REGEX = r"^/(api/|challenge/)"
CORS_ALLOWED_ORIGINS = env_origins("SIGNUP_API_ALLOWED_ORIGINS")
CORS_ALLOW_METHODS = ["GET", "OPTIONS", "POST"]
CORS_ALLOW_HEADERS = ["accept", "accept-language", "content-type"]
CORS_EXPOSE_HEADERS = ["Retry-After"]
# Below this many free codes, an imported coupon pool is flagged in the
# admin and in /healthz (`coupon_pools_low`).
COUPON_LOW_THRESHOLD = env_int("COUPON_LOW_THRESHOLD", 50, minimum=0)

# /healthz answers 503 when an opt-out has not reached Campaign after this long.
HEALTH_OPTOUT_MAX_AGE_HOURS = env_int("HEALTH_OPTOUT_MAX_AGE_HOURS", 24)

# Privacy: "download my data" and "delete me" from the preferences page.
# A preferences link older than this must be confirmed again by email (a fresh
# link is sent) before either acts: an old email in a shared inbox is not enough.
PRIVACY_LINK_MAX_AGE_MINUTES = env_int("PRIVACY_LINK_MAX_AGE_MINUTES", 15, minimum=1)
# Consent evidence of an erased person is kept this long (proof of what they
# agreed to, should it be disputed), then deleted by the outbox sweeper.
PRIVACY_EVIDENCE_RETENTION_DAYS = env_int("PRIVACY_EVIDENCE_RETENTION_DAYS", 1095, minimum=0)
# The salt of the hashes of erased addresses (kept so that they stay
# suppressed). Default: derived from DJANGO_SECRET_KEY; set it explicitly
# before rotating that key, or the erased addresses are no longer recognised.
PRIVACY_HASH_SALT = env_str("PRIVACY_HASH_SALT") or "signup_site.privacy:" + SECRET_KEY
# The regulation an erasure is made under, as Campaign names it: gdpr, ccpa, pdpa or lgpd.
PRIVACY_REGULATION = env_str("PRIVACY_REGULATION", "gdpr").lower()
# How often the worker asks Campaign whether an erasure is complete.
PRIVACY_POLL_SECONDS = env_int("PRIVACY_POLL_SECONDS", 3600, minimum=1)
# The privacy namespace (reconciliation by email) configured in Campaign.
ACS_PRIVACY_NAMESPACE = env_str("ACS_PRIVACY_NAMESPACE", "defaultNamespace1")
V8_PRIVACY_NAMESPACE = env_str("V8_PRIVACY_NAMESPACE", "defaultNamespace1")

CAMPAIGN_BACKEND = env_str("CAMPAIGN_BACKEND", "local")
CAMPAIGN_RETRY_BASE_SECONDS = env_int("CAMPAIGN_RETRY_BASE_SECONDS", 30)
CAMPAIGN_RETRY_MAX_SECONDS = env_int("CAMPAIGN_RETRY_MAX_SECONDS", 3600)
# When Campaign refuses the credentials or a setting is wrong, every delivery to
# Campaign waits at least this long before trying again (an operator must act).
CAMPAIGN_AUTH_RETRY_SECONDS = env_int("CAMPAIGN_AUTH_RETRY_SECONDS", 900)
# A change claimed longer ago than this is taken back from a worker presumed dead.
OUTBOX_CLAIM_TIMEOUT_SECONDS = env_int("OUTBOX_CLAIM_TIMEOUT_SECONDS", 600)
# How many changes one worker delivers at once (threads, each with a database
# connection of its own; `manage.py worker --slots N` for one worker). Each
# waits on Campaign, not on the CPU: with Campaign answering in 100 ms, N
# slots deliver up to N * 10 changes a second. A person's changes stay in order.
OUTBOX_DELIVERY_SLOTS = env_int("OUTBOX_DELIVERY_SLOTS", 4, minimum=1)
# How many worker processes `manage.py worker` runs (`--processes P`), each
# with OUTBOX_DELIVERY_SLOTS slots: P x slots changes on their way at once.
# One process's slots share one interpreter lock (some 100 changes a second
# on PostgreSQL); more processes, not more slots, go past that.
OUTBOX_WORKER_PROCESSES = env_int("OUTBOX_WORKER_PROCESSES", 1, minimum=1)
# The worker's CPU priority (Unix niceness, 0 to 19; `manage.py worker --nice`):
# where it shares a machine with the web server, pages are answered first and
# the outbox drains in the time they leave. Delivery waits on Campaign's pace
# anyway; a person waiting on a page should not wait on the outbox. 0: as the
# web server. (A burst of 5,000 sign-ups and confirmations a minute on 2
# cores: the worker at the web's priority took the CPU the pages needed.)
OUTBOX_WORKER_NICE = min(env_int("OUTBOX_WORKER_NICE", 10, minimum=0), 19)
# The most the preferences page waits on Campaign in all (its reads share it);
# past it the page answers 503 with a retry hint.
CAMPAIGN_READ_BUDGET_SECONDS = env_float("CAMPAIGN_READ_BUDGET_SECONDS", 6.0)
# A Campaign reply larger than this is refused unread (its Content-Length) or
# abandoned once this much has arrived, and the call fails as "unavailable"
# (retried later; the error names this setting). The largest answer the site
# asks for (v8's list of services, an ACS page of 25 items) is tens of KB;
# 4 MiB is ample headroom and keeps a call's memory to a few MB per thread.
CAMPAIGN_MAX_REPLY_BYTES = env_int("CAMPAIGN_MAX_REPLY_BYTES", 4 * 1024 * 1024)
ACS_ORGANIZATION = env_str("ACS_ORGANIZATION")
ACS_TRANSACTIONAL_API = env_str("ACS_TRANSACTIONAL_API")
ACS_CLIENT_ID = env_str("ACS_CLIENT_ID")
ACS_CLIENT_SECRET = env_str("ACS_CLIENT_SECRET")
ACS_SCOPES = env_str(
    "ACS_SCOPES",
    "openid,AdobeID,campaign_sdk,additional_info.projectedProductContext,"
    "campaign_config_server_general,deliverability_service_general",
)
ACS_API_URL = env_str("ACS_API_URL", "https://mc.adobe.io")
ACS_IMS_URL = env_str("ACS_IMS_URL", "https://ims-na1.adobelogin.com")
# Transactional message name -> ACS event id, e.g. "welcome=EVTwelcome,special-offer=EVTspecialOffer"
# ("welcome.es=EVTwelcomeEs" for one language). A message without an event id is rejected.
ACS_EVENTS = env_str("ACS_EVENTS")
# Seconds: the most connecting may take; the most a whole write (the worker)
# may take; the most a whole read may take (the preferences page waits on
# those: keep it short). "Whole" is connecting, sending and the entire answer,
# however slowly it arrives, plus an IMS token fetch or a renew-and-resend
# made inside the call; the IMS token request itself gets the write limit.
# Inside the page, CAMPAIGN_READ_BUDGET_SECONDS cuts them further.
ACS_CONNECT_TIMEOUT_SECONDS = env_float("ACS_CONNECT_TIMEOUT_SECONDS", 3.05)
ACS_TIMEOUT_SECONDS = env_float("ACS_TIMEOUT_SECONDS", 10.0)
ACS_READ_TIMEOUT_SECONDS = env_float("ACS_READ_TIMEOUT_SECONDS", 5.0)
V8_URL = env_str("V8_URL")
V8_AUTH = env_str("V8_AUTH", "ims")
V8_LOGIN = env_str("V8_LOGIN")
V8_PASSWORD = env_str("V8_PASSWORD")
V8_CLIENT_ID = env_str("V8_CLIENT_ID")
V8_CLIENT_SECRET = env_str("V8_CLIENT_SECRET")
V8_SCOPES = env_str("V8_SCOPES", ACS_SCOPES)
V8_IMS_URL = env_str("V8_IMS_URL", "https://ims-na1.adobelogin.com")
V8_PROFILE_STAGING_SCHEMA = env_str("V8_PROFILE_STAGING_SCHEMA", "nms:recipientStg")
# The profile field that carries the chosen email frequency to Campaign, as
# the brand's data model names it (empty: the frequency stays on the site).
ACS_EMAIL_FREQUENCY_FIELD = env_str("ACS_EMAIL_FREQUENCY_FIELD", "cusEmailFrequency")
V8_EMAIL_FREQUENCY_ATTRIBUTE = env_str("V8_EMAIL_FREQUENCY_ATTRIBUTE", "emailFrequency")
# How the v8 backend sends messages: "site" (Django's email, like the local
# backend) or "rtevent" (nms:rtEvent#PushEvent, Message Center); many v8
# instances have no transactional REST API.
V8_MESSAGES = env_str("V8_MESSAGES", "site")
V8_EVENT_TYPES = env_str("V8_EVENT_TYPES")  # message=eventType pairs for rtevent; default: the name
# Staging is copied to the cloud tables hourly by default: changes delivered
# this recently stay "pending" on the preferences page until a read shows them.
V8_STAGING_DELAY_MINUTES = env_int("V8_STAGING_DELAY_MINUTES", 120)
# Seconds: the most connecting may take, and the most a whole SOAP call (and an
# IMS token request) may take: connecting, sending, the entire answer however
# slowly it arrives, and a renewal and resend inside it.
V8_CONNECT_TIMEOUT_SECONDS = env_float("V8_CONNECT_TIMEOUT_SECONDS", 3.05)
V8_READ_TIMEOUT_SECONDS = env_float("V8_READ_TIMEOUT_SECONDS", 10.0)
# The ACS and v8 emulators under /emulator/ (development and tests only; a
# system check refuses them with DEBUG off).
EMULATOR_ENABLED = env_bool("CAMPAIGN_EMULATOR", False)
# What the emulated IMS and ACS accept, and the knobs' defaults; knobs change
# at run time through /emulator/<ims|acs|v8>/_control/knobs (see
# signup_site/emulator/control.py).
EMULATOR_IMS = {
    "CLIENTS": env_str("EMULATOR_IMS_CLIENTS", "emulator-client-id:emulator-client-secret"),
    "TOKEN_SECONDS": env_int("EMULATOR_IMS_TOKEN_SECONDS", 86399),
}
EMULATOR_ACS = {
    "ORGANIZATION": env_str("EMULATOR_ACS_ORGANIZATION", "acme-mkt-stage1"),
    "TRANSACTIONAL_API": env_str("EMULATOR_ACS_TRANSACTIONAL_API", "mcacme"),
    "LATENCY_SECONDS": env_float("EMULATOR_ACS_LATENCY_SECONDS", 0.0),
    "SEND_MAIL": env_bool("EMULATOR_ACS_SEND_MAIL", True),
}
# What the emulated v8 SOAP router accepts (knobs: /emulator/v8/_control/knobs).
EMULATOR_V8 = {
    "LOGINS": env_str("EMULATOR_V8_LOGINS", "emulator-operator:emulator-password"),
    "SESSION_SECONDS": env_int("EMULATOR_V8_SESSION_SECONDS", 86400),
    "LATENCY_SECONDS": env_float("EMULATOR_V8_LATENCY_SECONDS", 0.0),
    # Apply staging by itself this long after a write (0: only on _control/replicate).
    "REPLICATE_AFTER_SECONDS": env_float("EMULATOR_V8_REPLICATE_AFTER_SECONDS", 0.0),
}

# Prometheus metrics at /metrics (signup_site.ops.metrics): answered to a
# scraper that sends `Authorization: Bearer <METRICS_TOKEN>`, or whose address
# (behind TRUSTED_PROXY_COUNT proxies) is in METRICS_ALLOWED_NETWORKS; with
# neither set the endpoint is off (404).
METRICS_TOKEN = env_str("METRICS_TOKEN")
METRICS_ALLOWED_NETWORKS = env_networks("METRICS_ALLOWED_NETWORKS")
# Where gunicorn's workers share their counters and histograms
# (prometheus_client's multiprocess mode, which reads this variable itself
# when the process starts): empty, each process reports its own.
PROMETHEUS_MULTIPROC_DIR = env_str("PROMETHEUS_MULTIPROC_DIR")

# Logs carry no personal data: the code logs ids, never addresses or names.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"no_link_tokens": {"()": "signup_site.ops.logs.RedactLinkTokens"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django names the path of each refused request, and ours carry link tokens.
        "django.request": {"filters": ["no_link_tokens"]},
        "django.security.csrf": {"filters": ["no_link_tokens"]},
        "django.server": {"level": "WARNING", "filters": ["no_link_tokens"]},
        # Failed logins and lockouts are warnings (usernames and addresses
        # masked); axes' start banner and housekeeping are not worth a line.
        "axes": {"level": "WARNING"},
    },
}
