"""Configuration: the only module that reads the environment.

`create_app()` takes one of the classes below (or a mapping). `get_config()` picks
the class from ``PORTAL_ENV`` (``development`` by default, ``production`` for
deployment, ``testing`` for the test-suite).
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("PORTAL_INSTANCE_DIR", BASE_DIR / "instance"))

#: The development secret. Production refuses to start with it.
DEFAULT_SECRET_KEY = "dev-insecure-secret-change-me"  # noqa: S105


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def database_url(url: str | None, default: str) -> str:
    """Normalise a DATABASE_URL: bare ``postgres://`` and ``postgresql://`` use psycopg 3."""
    url = url or default
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("DATABASE_URL"), f"sqlite:///{INSTANCE_DIR / 'portal.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, object] = {"pool_pre_ping": True}
    SQLALCHEMY_RECORD_QUERIES = False

    #: Public https origin used in credential, issuer and key ids.
    PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    #: Slug of the operating organisation (issues the path badges).
    OPERATOR_ORG_SLUG = os.environ.get("OPERATOR_ORG_SLUG", "hokkaido")

    # Signing keys (Open Badges): a directory of encrypted PKCS#8 PEM files.
    SIGNING_KEY_DIR = os.environ.get("SIGNING_KEY_DIR", str(INSTANCE_DIR / "keys"))
    SIGNING_KEY_PASSPHRASE = os.environ.get("SIGNING_KEY_PASSPHRASE", "")

    # Uploaded evidence is stored outside the web root.
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 12 * 1024 * 1024)
    MAX_EVIDENCE_BYTES = 5 * 1024 * 1024

    # Mail: SMTP when MAIL_SERVER is set, otherwise the log.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = _int("MAIL_PORT", 587)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", True)
    MAIL_FROM = os.environ.get("MAIL_FROM", "no-reply@portal.example")

    # Language and time.
    BABEL_DEFAULT_LOCALE = os.environ.get("BABEL_DEFAULT_LOCALE", "ja")
    BABEL_DEFAULT_TIMEZONE = os.environ.get("DISPLAY_TIMEZONE", "Asia/Tokyo")
    LANGUAGES = ("ja", "en")

    # Sessions and cookies.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    #: How many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host. The
    #: client address (rate limits, audit) and https come from them; 0 ignores the headers
    #: (anyone could forge them when nothing in front overwrites them).
    TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PERMANENT_SESSION_LIFETIME = _int("SESSION_LIFETIME_SECONDS", 8 * 3600)
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = 8 * 3600

    # Login protection.
    LOGIN_MAX_FAILURES = _int("LOGIN_MAX_FAILURES", 5)
    LOGIN_LOCKOUT_SECONDS = _int("LOGIN_LOCKOUT_SECONDS", 15 * 60)
    PASSWORD_RESET_MAX_AGE = _int("PASSWORD_RESET_MAX_AGE", 3600)
    PASSWORD_MIN_LENGTH = 10
    #: argon2 cost; tests turn it down.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 64 * 1024

    # Rate limits (Flask-Limiter). Use redis:// when running several workers.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    #: X-RateLimit-* on every limited response: one more storage round trip per request
    #: (Flask-Limiter's default is off). A refused request always gets Retry-After.
    RATELIMIT_HEADERS_ENABLED = _bool("RATELIMIT_HEADERS_ENABLED", False)
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "20 per minute")
    VERIFY_RATE_LIMIT = os.environ.get("VERIFY_RATE_LIMIT", "60 per minute")
    #: Verification records each worker keeps (PostgreSQL only: kept true by the
    #: database's change notifications). 0 reads the database on every verification.
    VERIFY_RECORD_CACHE_SIZE = _int("VERIFY_RECORD_CACHE_SIZE", 5000)

    # Credentials.
    CERTIFICATION_VALID_YEARS = _int("CERTIFICATION_VALID_YEARS", 3)
    LINKCHECK_ALLOW_PRIVATE = _bool("LINKCHECK_ALLOW_PRIVATE", False)

    #: Demo data (`flask demo seed`) is refused where this is False.
    DEMO_ALLOWED = True
    CSV_IMPORT_MAX_ROWS = 20000

    @classmethod
    def validate(cls) -> list[str]:
        """Return the problems that stop this configuration from starting."""
        return []


class DevConfig(Config):
    ENV_NAME = "development"
    DEBUG = False  # the Werkzeug debugger stays off; `make demo` is a realistic run
    #: Development only (README "Key management"): production refuses an empty passphrase.
    SIGNING_KEY_PASSPHRASE = (
        os.environ.get("SIGNING_KEY_PASSPHRASE") or "dev-only-signing-passphrase"  # noqa: S105
    )


class TestConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8
    PORTAL_BASE_URL = "https://portal.test"
    SIGNING_KEY_PASSPHRASE = "test-passphrase"  # noqa: S105
    MAIL_SERVER = ""


class ProdConfig(Config):
    ENV_NAME = "production"
    #: Production runs behind the TLS-terminating reverse proxy of the README.
    TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 1)
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    DEMO_ALLOWED = False
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, object] = {
        "pool_pre_ping": True,
        "pool_size": _int("DB_POOL_SIZE", 5),
        "max_overflow": _int("DB_MAX_OVERFLOW", 5),
    }

    @classmethod
    def validate(cls) -> list[str]:
        problems = []
        if cls.SECRET_KEY in ("", DEFAULT_SECRET_KEY) or len(cls.SECRET_KEY) < 32:
            problems.append("SECRET_KEY must be set to a random value of 32+ characters")
        if not cls.PORTAL_BASE_URL.startswith("https://"):
            problems.append("PORTAL_BASE_URL must be the public https:// origin")
        key_dir = Path(cls.SIGNING_KEY_DIR)
        if not key_dir.is_dir() or not any(key_dir.glob("*.pem")):
            problems.append(
                f"no signing key in SIGNING_KEY_DIR ({key_dir}); run `flask keys generate`"
            )
        if not cls.SIGNING_KEY_PASSPHRASE:
            problems.append("SIGNING_KEY_PASSPHRASE must be set")
        return problems


CONFIGS: dict[str, type[Config]] = {
    "development": DevConfig,
    "testing": TestConfig,
    "production": ProdConfig,
}


def get_config(name: str | None = None) -> type[Config]:
    """The config class named by ``PORTAL_ENV`` (development when unset)."""
    name = name or os.environ.get("PORTAL_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"unknown PORTAL_ENV {name!r}; use one of {sorted(CONFIGS)}") from None
