"""One settings module for every environment, configured by environment variables.

With no variables set the portal runs *embedded*: SQLite in WAL mode, Celery on
kombu's filesystem transport, e-mail and SMS written to files under var/. With
DATABASE_URL and CELERY_BROKER_URL it runs on PostgreSQL and Redis. Every value
is validated here, so a malformed variable stops start-up with its name.
"""

import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from helsenorge.envconfig import (
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_rates,
    env_str,
    env_url,
)
from helsenorge.keyfiles import rsa_key_pem

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("HN_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# Off unless asked for: a deployment that forgets the variable runs with production behaviour
# (and then needs DJANGO_SECRET_KEY). The demo (`make run`) asks with DJANGO_DEBUG=true.
DEBUG = env_bool("DJANGO_DEBUG", default=False)


def _secret_key():
    key = env_str("DJANGO_SECRET_KEY")
    if key:
        if len(key) < 50 or len(set(key)) < 5:
            raise ImproperlyConfigured(
                "Environment variable DJANGO_SECRET_KEY must be at least 50 characters of varied text."
            )
        return key
    if not DEBUG:
        raise ImproperlyConfigured("Environment variable DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off.")
    # Development only: a random key kept under var/ so sessions survive restarts.
    path = VAR_DIR / "dev-secret-key"
    if not path.exists():
        path.write_text("django-insecure-dev-" + secrets.token_urlsafe(48))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("HN_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    # The local stand-in for ID-porten and HelseID (testidp/): its tables always exist, its URLs
    # only when HN_TEST_IDP is on (the demo and the tests), never in production.
    "oauth2_provider",
    "testidp",
    "accounts",
    "submissions",
    "clinics",
    "national",
    "messaging",
    "appointments",
    "tools",
    "epj",
    "epj.timebooks",
    "messaging.dialogs",
    "epj.desk",
    # The order of these apps does not decide who receives a message: HN_ROUTING does.
    "journal",
    "epj.records",
    # Cross-system management commands (seeding, benchmarks).
    "ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The EPJ's paths go to the EPJ's own process unless this one serves them too (HN_EPJ_IN_PORTAL).
    "helsenorge.epjorigin.EpjElsewhereMiddleware",
    # Before sessions and auth, so a shed request costs nothing; after static files.
    "helsenorge.loadshed.LoadSheddingMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Slides the idle expiry at most once a minute instead of saving the session on every page.
    "helsenorge.sessionexpiry.SessionSlidingExpiryMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, with the user (and its person and staff memberships) from the cache while current.
    "accounts.frame.AuthenticationFromMemoryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.StaffMfaRequiredMiddleware",
    "helsenorge.securityheaders.SecurityHeadersMiddleware",
    # Last, so it sees a view's exception first: national store down -> 503 with an explanation.
    "helsenorge.nationalstore.NationalStoreUnavailableMiddleware",
]

ROOT_URLCONF = "helsenorge.urls"
WSGI_APPLICATION = "helsenorge.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # The shared components' tags ({% load components %}); the project package is not an app.
            "libraries": {"components": "helsenorge.templatetags.components"},
            # {% submission_key %} goes in every state-changing portal form, so it needs no {% load %}.
            "builtins": ["submissions.templatetags.submissions"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.portal_user",
                "messaging.dialogs.context_processors.acting_for",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASE_URL = env_url("DATABASE_URL", {"postgres", "postgresql", "sqlite"})
SQLITE_OPTIONS = {
    # WAL lets the web process read while a worker writes; IMMEDIATE
    # takes the write lock up front so concurrent writers queue
    # instead of failing with "database is locked" on upgrade.
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 30,
}
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0))}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's own queries bind client-side and are never prepared; the relay's outbox insert,
        # every send's statement, is prepared (messaging/relay/outbox.py), which psycopg only does
        # with a threshold set. Behind a transaction-pooling PgBouncer older than 1.21, set None.
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 5)
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    else:
        # A SQLite file named by URL (e.g. the test database handed to worker processes).
        DATABASES["default"]["OPTIONS"] = dict(SQLITE_OPTIONS)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "portal.sqlite3"),
            "OPTIONS": dict(SQLITE_OPTIONS),
            # A file, not memory, so real worker processes share the test database.
            "TEST": {"NAME": str(VAR_DIR / "test-portal.sqlite3")},
        }
    }


# The other systems' own stores (helsenorge/routers.py): the national services'
# (NATIONAL_DATABASE_URL) and the EPJ's (EPJ_DATABASE_URL), each validated like DATABASE_URL. Left
# unset next to a DATABASE_URL, each is derived from it: the same server with the database (or
# SQLite file) name suffixed, e.g. .../portal -> .../portal_national and .../portal_epj.
def _store_url_derived(url: str, suffix: str, variable: str) -> str:
    parts = urlsplit(url)
    folder, _slash, name = parts.path.rpartition("/")
    if not name:
        raise ImproperlyConfigured(
            f"Environment variable DATABASE_URL names no database to derive {variable} from; set both."
        )
    stem, dot, extension = name.rpartition(".") if parts.scheme == "sqlite" and "." in name else (name, "", "")
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme}://{parts.netloc}{folder}/{stem}_{suffix}{dot}{extension}{query}"


def _store(url: str, variable: str, suffix: str) -> dj_database_url.DBConfig:
    """A store's settings from its URL (read by the caller), derived from DATABASE_URL when unset,
    else a SQLite file of its own in HN_VAR_DIR."""
    if DATABASE_URL and not url:
        url = _store_url_derived(DATABASE_URL, suffix, variable)
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / f"{suffix}.sqlite3"),
            "OPTIONS": dict(SQLITE_OPTIONS),
            "TEST": {"NAME": str(VAR_DIR / f"test-{suffix}.sqlite3")},
        }
    store = dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0))
    if store["ENGINE"] == "django.db.backends.postgresql":
        store["CONN_HEALTH_CHECKS"] = True
    else:
        store["OPTIONS"] = dict(SQLITE_OPTIONS)
    return store


DATABASE_SCHEMES = {"postgres", "postgresql", "sqlite"}
DATABASES["national"] = _store(env_url("NATIONAL_DATABASE_URL", DATABASE_SCHEMES), "NATIONAL_DATABASE_URL", "national")
# The EPJ's statements are as hot as the portal's (the relay's outbox insert is prepared there too).
DATABASES["epj"] = _store(env_url("EPJ_DATABASE_URL", DATABASE_SCHEMES), "EPJ_DATABASE_URL", "epj")
if DATABASES["epj"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["epj"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 5)


def _store_key(alias: str) -> dict:
    return {k: DATABASES[alias].get(k) for k in ("ENGINE", "HOST", "PORT", "NAME")}


for _alias, _variable in (("national", "NATIONAL_DATABASE_URL"), ("epj", "EPJ_DATABASE_URL")):
    for _other, _other_variable in (("default", "DATABASE_URL"), ("national", "NATIONAL_DATABASE_URL")):
        if _alias != _other and _store_key(_alias) == _store_key(_other):
            raise ImproperlyConfigured(
                f"Environment variable {_variable} names the same database as {_other_variable}; "
                "each system needs its own."
            )
DATABASE_ROUTERS = ["helsenorge.routers.StoreRouter"]
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits and TOTP replay protection need one shared cache) ---
REDIS_URL = env_url("REDIS_URL", {"redis", "rediss"})
# "pages": sessions, and the signed-in user and pages kept while current (helsenorge.pagecache),
# apart so that their number never crowds out a rate-limit counter (the file cache culls at random
# once full).
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL},
        "pages": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "pages",
        },
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        },
        "pages": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache-pages"),
            "OPTIONS": {"MAX_ENTRIES": 2000},
        },
    }

# --- Identity (docs/identity.md) ----------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Citizens log in through ID-porten and health personnel through HelseID; only operators have a
# password (with TOTP). Nobody signs up: identity comes from the providers, the person from the
# population register, staff rows from the clinics' staff lists.
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None  # our User has no username
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "accounts.adapters.PortalAccountAdapter"
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_RATE_LIMITS = {
    # Failed logins: per IP and per account; allauth locks the key out for the window.
    "login_failed": env_rates("HN_LOGIN_FAILED_RATE", "10/m/ip,5/300s/key"),
    "login": env_rates("HN_LOGIN_RATE", "30/m/ip"),
}
SOCIALACCOUNT_ADAPTER = "accounts.oidc.adapter.NationalLoginAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_QUERY_EMAIL = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_LOGIN_ON_GET = False
MFA_ADAPTER = "accounts.adapters.PortalMFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Helsenorge-portal"

# The EPJ's pages (the desk, its journal pages and timebooks): served by the EPJ's own web process
# (epj/site/), and by this one too when HN_EPJ_IN_PORTAL is on. The portal's request frame reads no
# portal staff membership for them (accounts/frame.py): the EPJ's staff are in its own register.
HN_EPJ_PATH_PREFIXES = ("/klinikk/", "/epj/")

# The local stand-in provider (testidp/, docs/identity.md): on for the demo and the tests.
HN_TEST_IDP = env_bool("HN_TEST_IDP", default=False)
# Where the portal's private keys live (client authentication with private_key_jwt) and, for the
# stand-in, its signing key: generated locally, never committed.
HN_OIDC_KEY_DIR = Path(env_str("HN_OIDC_KEY_DIR", str(VAR_DIR / "oidc")))
_LOCAL_ISSUER = SITE_URL + "/testid"
HN_IDPORTEN_ISSUER = env_url("HN_IDPORTEN_ISSUER", {"https", "http"}, default=_LOCAL_ISSUER if HN_TEST_IDP else "")
HN_IDPORTEN_CLIENT_ID = env_str("HN_IDPORTEN_CLIENT_ID", "portal-idporten")
HN_IDPORTEN_CLIENT_KEY_FILE = Path(env_str("HN_IDPORTEN_CLIENT_KEY_FILE", str(HN_OIDC_KEY_DIR / "idporten-client.pem")))
# The assurance level the portal asks for and requires of the returned `acr`.
HN_IDPORTEN_ACR = env_choice(
    "HN_IDPORTEN_ACR", ("idporten-loa-substantial", "idporten-loa-high"), "idporten-loa-substantial"
)
HN_HELSEID_ISSUER = env_url("HN_HELSEID_ISSUER", {"https", "http"}, default=_LOCAL_ISSUER if HN_TEST_IDP else "")
HN_HELSEID_CLIENT_ID = env_str("HN_HELSEID_CLIENT_ID", "portal-helseid")
HN_HELSEID_CLIENT_KEY_FILE = Path(env_str("HN_HELSEID_CLIENT_KEY_FILE", str(HN_OIDC_KEY_DIR / "helseid-client.pem")))
# The EPJ's own web process (epj/site/, docs/identity.md): where it answers, and its own HelseID
# client, a registration of its own with its own key (the portal's is never shared with it).
HN_EPJ_ORIGIN = env_url("HN_EPJ_ORIGIN", {"https", "http"}, default="http://127.0.0.1:8001").rstrip("/")
HN_EPJ_HELSEID_ISSUER = env_url("HN_EPJ_HELSEID_ISSUER", {"https", "http"}, default=HN_HELSEID_ISSUER)
HN_EPJ_HELSEID_CLIENT_ID = env_str("HN_EPJ_HELSEID_CLIENT_ID", "epj-helseid")
HN_EPJ_HELSEID_CLIENT_KEY_FILE = Path(
    env_str("HN_EPJ_HELSEID_CLIENT_KEY_FILE", str(HN_OIDC_KEY_DIR / "epj-helseid-client.pem"))
)
# Whether the portal's web process also serves the EPJ's pages (HN_EPJ_PATH_PREFIXES). Off (the
# demo, production), it sends them to HN_EPJ_ORIGIN, where the EPJ's own process serves them with
# its own login; the test suite turns it on, so its test client reaches both systems' pages.
HN_EPJ_IN_PORTAL = env_bool("HN_EPJ_IN_PORTAL", default=False)
# Set only by the EPJ's own process (epj/site/configure.py); the portal's URLconf, for its links
# to the portal's clinic pages (register settings, tools, video) from the EPJ's header.
HN_EPJ_SITE = False
HN_PORTAL_URLCONF = "helsenorge.urls"
if not DEBUG and not HN_TEST_IDP:
    for _name, _value in (
        ("HN_IDPORTEN_ISSUER", HN_IDPORTEN_ISSUER),
        ("HN_HELSEID_ISSUER", HN_HELSEID_ISSUER),
        ("HN_EPJ_HELSEID_ISSUER", HN_EPJ_HELSEID_ISSUER),
    ):
        if _value and not _value.startswith("https://"):
            raise ImproperlyConfigured(f"Environment variable {_name} must be an https URL in production.")
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        # The stock OpenID Connect client, with nonce, acr and private_key_jwt (accounts/oidc/).
        "provider_class": "accounts.oidc.provider.NationalOIDCProvider",
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [],  # built per request from the settings above (accounts.oidc.config)
    }
}
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "PKCE_REQUIRED": True,
    "OAUTH2_VALIDATOR_CLASS": "testidp.validator.TestIdValidator",
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
    "SCOPES": {
        "openid": "OpenID Connect",
        "profile": "Navn",
        "helseid://scopes/identity/pid": "Fødselsnummer",
        "helseid://scopes/hpr/hpr_number": "HPR-nummer",
    },
    "OIDC_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": ["private_key_jwt"],
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ID_TOKEN_EXPIRE_SECONDS": 120,
    # The stand-in's signing key, made under HN_OIDC_KEY_DIR on first start.
    "OIDC_RSA_PRIVATE_KEY": rsa_key_pem(HN_OIDC_KEY_DIR / "testid-signing.pem", create=True) if HN_TEST_IDP else "",
    # The OAuth 2.0 Security BCP (RFC 9700) throughout: no implicit or password grant, S256 PKCE
    # only, no tokens in query strings, `iss` in the authorisation response, hashed tokens,
    # refresh-token replay detection; plain http redirects only for the local stand-in.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"] if HN_TEST_IDP else ["https"],
}
# The library's own models, named so migrations can refer to them.
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"
if HN_TEST_IDP:
    # The stand-in's clients authenticate with these keys; real deployments supply their own files.
    rsa_key_pem(HN_IDPORTEN_CLIENT_KEY_FILE, create=True)
    rsa_key_pem(HN_HELSEID_CLIENT_KEY_FILE, create=True)
    rsa_key_pem(HN_EPJ_HELSEID_CLIENT_KEY_FILE, create=True)
# Sessions are read from the cache and written through to the database (which stays the record).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_CACHE_ALIAS = "pages"
SESSION_COOKIE_AGE = env_int("HN_SESSION_SECONDS", 30 * 60, minimum=60)
SESSION_SAVE_EVERY_REQUEST = False  # helsenorge.sessionexpiry.SessionSlidingExpiryMiddleware slides it
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Synthetic national identity numbers (+40/+80 on the month) are test data only: accepted only
# when asked for explicitly (the demo and the test suite do), never because debug is on.
HN_ALLOW_SYNTHETIC_NIN = env_bool("HN_ALLOW_SYNTHETIC_NIN", default=False)
# How long a form's one-time submission key is honoured (submissions/): a retry within this time
# gets the first result; an older form is refused and must be loaded again. Records are pruned then.
HN_SUBMISSION_KEY_SECONDS = env_int("HN_SUBMISSION_KEY_SECONDS", 24 * 3600, minimum=60, maximum=30 * 24 * 3600)

# --- Web security ------------------------------------------------------------
HTTPS = env_bool("HN_HTTPS", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
if HTTPS:
    SECURE_SSL_REDIRECT = env_bool("HN_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("HN_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Load shedding (helsenorge/loadshed.py, docs/security.md) ------------------
# Requests one web process runs at once (0: no limit); more get 503 + Retry-After.
HN_MAX_CONCURRENT_REQUESTS = env_int("HN_MAX_CONCURRENT_REQUESTS", 12, minimum=0, maximum=1000)
HN_RETRY_AFTER_SECONDS = env_int("HN_RETRY_AFTER_SECONDS", 2, minimum=1, maximum=3600)
# Pages one user (or, logged out, one IP address) may have waiting for a clinic's live answer at
# once (helsenorge/syncwaits.py; 0: no limit); one more gets 429 + Retry-After at once.
HN_SYNC_WAITS_PER_USER = env_int("HN_SYNC_WAITS_PER_USER", 2, minimum=0, maximum=100)
# How long one free-slot lookup at a clinic serves every citizen who asks the same week of it
# (appointments/freeslots.py; 0: every citizen asks the clinic herself). The EPJ still decides
# every reservation, and news from the clinic drops the shared copy at once.
HN_FREE_SLOTS_CACHE_SECONDS = env_int("HN_FREE_SLOTS_CACHE_SECONDS", 30, minimum=0, maximum=600)

# --- Internationalisation -----------------------------------------------------
LANGUAGE_CODE = "nb"
LANGUAGES = [("nb", _("Norsk bokmål")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Oslo"
USE_I18N = True
USE_TZ = True

# --- Static files ------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"

# --- Notifications -------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Helsenorge-portal <ikke-svar@helsenorge.local>")
HN_SMS_BACKEND = env_str("HN_SMS_BACKEND", "messaging.sms.FileSmsBackend")
HN_SMS_FILE_PATH = VAR_DIR / "sms"
# messaging.sms.HttpSmsBackend: the gateway's endpoint, its bearer token and how long one send may take.
HN_SMS_GATEWAY_URL = env_url("HN_SMS_GATEWAY_URL", {"http", "https"})
HN_SMS_GATEWAY_TOKEN = env_str("HN_SMS_GATEWAY_TOKEN")
HN_SMS_GATEWAY_TIMEOUT_SECONDS = env_float("HN_SMS_GATEWAY_TIMEOUT_SECONDS", 10.0, minimum=0.1)
if HN_SMS_BACKEND == "messaging.sms.HttpSmsBackend" and not HN_SMS_GATEWAY_URL:
    raise ImproperlyConfigured(
        "Environment variable HN_SMS_GATEWAY_URL is required when HN_SMS_BACKEND is messaging.sms.HttpSmsBackend."
    )
# Notices wait in an outbox (messaging.models.Notice) and a worker sends them: a failed send is
# tried again after base × 2^(n-1) seconds (at most max) until the attempts are used up; then the
# notice is `failed` for an operator (`manage.py notices failed`, `notices replay`).
HN_NOTICE_MAX_ATTEMPTS = env_int("HN_NOTICE_MAX_ATTEMPTS", 6, minimum=1, maximum=50)
HN_NOTICE_BACKOFF_BASE_SECONDS = env_float("HN_NOTICE_BACKOFF_BASE_SECONDS", 30.0, minimum=0.0)
# Each retry is a Celery countdown: keep it far below the Redis visibility timeout (3600 s).
HN_NOTICE_BACKOFF_MAX_SECONDS = env_float("HN_NOTICE_BACKOFF_MAX_SECONDS", 1800.0, minimum=0.0)
if HN_NOTICE_BACKOFF_MAX_SECONDS > 3000:
    raise ImproperlyConfigured("Environment variable HN_NOTICE_BACKOFF_MAX_SECONDS must be at most 3000.")
HN_NOTICE_SWEEP_SECONDS = env_float("HN_NOTICE_SWEEP_SECONDS", 60.0, minimum=1.0)

# --- Message relay -------------------------------------------------------------
# The national XSDs and sample messages are third-party data kept outside the
# repository; when the folder is missing the schema checks are skipped (and CI fails).
HN_SHARED_DIR = Path(env_str("HN_SHARED_DIR", str(BASE_DIR.parent / "shared")))
HN_SCHEMA_DIR = Path(env_str("HN_SCHEMA_DIR", str(HN_SHARED_DIR / "schemas")))
# Validation against the official XSDs is required wherever debug is off: such a process
# refuses to start without them (messaging.apps) instead of silently validating nothing.
HN_REQUIRE_SCHEMAS = env_bool("HN_REQUIRE_SCHEMAS", default=not DEBUG)
# Which handler receives each message on each side: both systems' routing tables (docs/relay.md).
HN_ROUTING = "helsenorge.routing.ROUTING"
HN_XML_MAX_BYTES = env_int("HN_XML_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
HN_SYNC_TIMEOUT_SECONDS = env_float("HN_SYNC_TIMEOUT_SECONDS", 15.0, minimum=0.1)
HN_RELAY_MAX_ATTEMPTS = env_int("HN_RELAY_MAX_ATTEMPTS", 8, minimum=1, maximum=50)
HN_RELAY_BACKOFF_BASE_SECONDS = env_float("HN_RELAY_BACKOFF_BASE_SECONDS", 2.0, minimum=0.0)
HN_RELAY_BACKOFF_MAX_SECONDS = env_float("HN_RELAY_BACKOFF_MAX_SECONDS", 300.0, minimum=0.0)
HN_RELAY_STALE_SECONDS = env_float("HN_RELAY_STALE_SECONDS", 30.0, minimum=1.0)
HN_RELAY_BATCH_SIZE = env_int("HN_RELAY_BATCH_SIZE", 500, minimum=1, maximum=5000)
# Retention: the relay's copy of a settled document (health text, attachments) is purged this
# many days after anything last happened to it; metadata, a SHA-256 digest and the size stay.
# 90 days leaves a quarter for complaints, audits and "did my message arrive?" questions,
# while the citizen's own inbox and the clinic's journal keep their copies.
HN_RETENTION_DAYS = env_int("HN_RETENTION_DAYS", 90, minimum=1, maximum=3650)
HN_RETENTION_BATCH_SIZE = env_int("HN_RETENTION_BATCH_SIZE", 200, minimum=1, maximum=5000)
HN_RETENTION_BUDGET_SECONDS = env_float("HN_RETENTION_BUDGET_SECONDS", 30.0, minimum=0.0)
# Helsenorge's identities as the real messages in ../shared/samples address it: the
# organisation (HER-id 115851, Direktoratet for e-helse) and its Helsenorge.no service (8093244).
HN_PORTAL_HER_ID = env_int("HN_PORTAL_HER_ID", 115851, minimum=1)
HN_PORTAL_SERVICE_HER_ID = env_int("HN_PORTAL_SERVICE_HER_ID", 8093244, minimum=1)

# Private keys and certificates of the local test PKI (`manage.py pki`); never in a database.
HN_PKI_DIR = Path(env_str("HN_PKI_DIR", str(VAR_DIR / "pki")))

# --- National transport (messaging/transport, docs/transport.md) -------------------
# `embedded` keeps the queues in one SQLite file under var/ (no server); `amqp` speaks
# AMQP 1.0 to RabbitMQ with the rabbitmq_amqp1_0 plugin at HN_AMQP_URL.
HN_TRANSPORT = env_choice("HN_TRANSPORT", ("embedded", "amqp"), "embedded")
HN_AMQP_URL = env_url("HN_AMQP_URL", {"amqp", "amqps"})
if HN_TRANSPORT == "amqp" and not HN_AMQP_URL:
    raise ImproperlyConfigured("Environment variable HN_AMQP_URL is required when HN_TRANSPORT=amqp.")
HN_AMQP_TIMEOUT_SECONDS = env_float("HN_AMQP_TIMEOUT_SECONDS", 10.0, minimum=0.5)
HN_TRANSPORT_DIR = Path(env_str("HN_TRANSPORT_DIR", str(VAR_DIR / "transport")))
# Deliveries that may fail before a message is moved to <queue>_dead (Helsenorge.Messaging: 10).
HN_TRANSPORT_MAX_DELIVERIES = env_int("HN_TRANSPORT_MAX_DELIVERIES", 10, minimum=1, maximum=100)
# The embedded transport's message lock: an unsettled message comes back after this long.
HN_TRANSPORT_LEASE_SECONDS = env_float("HN_TRANSPORT_LEASE_SECONDS", 60.0, minimum=1.0)
# Back-off between redeliveries of a message whose receiver failed unexpectedly: the base doubles
# with each failed delivery up to the cap, so a failing message is no hot loop (docs/transport.md).
HN_TRANSPORT_REDELIVERY_BASE_SECONDS = env_float("HN_TRANSPORT_REDELIVERY_BASE_SECONDS", 0.1, minimum=0.0)
HN_TRANSPORT_REDELIVERY_MAX_SECONDS = env_float("HN_TRANSPORT_REDELIVERY_MAX_SECONDS", 5.0, minimum=0.0)
# Documents cross from one system to the other only over the transport (docs/relay.md). The
# shared-table hand-over is gone: a deployment that still asks for it stops here, by name.
env_choice("HN_RELAY_HANDOVER", ("transport",), "transport")

# A party without certificates in HN_PKI_DIR gets them from the local test CA on first use. Only
# for the test PKI (demo, tests, CI): with real certificates a missing one must stop the send.
HN_PKI_ISSUE_ON_DEMAND = env_bool("HN_PKI_ISSUE_ON_DEMAND", default=HN_TRANSPORT == "embedded" or DEBUG)

# --- Celery ----------------------------------------------------------------------
CELERY_BROKER_URL = env_url("CELERY_BROKER_URL", {"redis", "rediss", "filesystem", "amqp"}, default="filesystem://")
BROKER_IS_FILESYSTEM = CELERY_BROKER_URL.startswith("filesystem")
if BROKER_IS_FILESYSTEM:
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # The folder is polled; the default 1 s would add up to a second to every hop.
        "polling_interval": env_float("HN_BROKER_POLL_SECONDS", 0.05, minimum=0.01),
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # Keep every Celery countdown far below the visibility timeout: a longer
    # ETA on Redis is redelivered again and again. Long waits live in the database.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_ENABLE_REMOTE_CONTROL = not BROKER_IS_FILESYSTEM
CELERY_TASK_DEFAULT_QUEUE = "portal.async"
CELERY_TIMEZONE = TIME_ZONE
# One queue per receiving side and channel: the portal's worker consumes portal.*, the EPJ's
# epj.*; relay.deliver is sent explicitly to the receiving side's queue (messaging.relay.kicks).
RELAY_QUEUES = ("portal.async", "portal.sync", "epj.async", "epj.sync")
CELERY_TASK_CREATE_MISSING_QUEUES = True
CELERY_TASK_ROUTES = {
    "notices.*": {"queue": "portal.async"},
}
HN_RELAY_SWEEP_SECONDS = env_float("HN_RELAY_SWEEP_SECONDS", 5.0, minimum=0.5)
CELERY_BEAT_SCHEDULE = {
    # One sweep on each side's worker, of that side's own store, so either system repairs its
    # queues while the other is stopped (the sweep only enqueues kicks, which are idempotent).
    **{
        f"relay-sweep-{side}": {
            "task": "relay.sweep",
            "schedule": HN_RELAY_SWEEP_SECONDS,
            "args": (side,),
            "options": {"expires": HN_RELAY_SWEEP_SECONDS * 4, "queue": f"{side}.async"},
        }
        for side in ("portal", "epj")
    },
    "appointment-reminders": {"task": "appointments.reminders", "schedule": 300.0, "options": {"expires": 600}},
    # Re-sends pending notices whose worker message was lost (broker down at commit, worker killed).
    "notices-sweep": {
        "task": "notices.sweep",
        "schedule": HN_NOTICE_SWEEP_SECONDS,
        "options": {"expires": HN_NOTICE_SWEEP_SECONDS * 2},
    },
    "submission-keys-prune": {"task": "submissions.prune", "schedule": 3600.0, "options": {"expires": 1800}},
    # Each system deletes its own expired sessions (the portal's, and the EPJ's own web process's).
    "sessions-clear-portal": {
        "task": "accounts.sessions_clear",
        "schedule": 3600.0,
        "options": {"expires": 1800, "queue": "portal.async"},
    },
    "sessions-clear-epj": {
        "task": "epj.sessions_clear",
        "schedule": 3600.0,
        "options": {"expires": 1800, "queue": "epj.async"},
    },
    # Each side purges its own store's settled relay records.
    **{
        f"relay-retention-{side}": {
            "task": "relay.purge_settled",
            "schedule": 3600.0,
            "args": (side,),
            "options": {"expires": 1800, "queue": f"{side}.async"},
        }
        for side in ("portal", "epj")
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {
        "handlers": ["console"],
        "level": env_choice("HN_LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO"),
    },
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
