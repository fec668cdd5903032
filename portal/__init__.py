"""北海道デジタル人材育成ポータル: the Flask application."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from flask import Flask, request

from config import BASE_DIR, Config, get_config


def create_app(config: type[Config] | Mapping[str, Any] | None = None) -> Flask:
    """Build the application.

    `config` is a config class, a mapping of overrides on top of the environment's
    class, or None for the class named by ``PORTAL_ENV``.
    """
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        instance_path=str(BASE_DIR / "instance"),
    )
    if config is None or isinstance(config, Mapping):
        base = get_config()
        app.config.from_object(base)
        problems = base.validate()
        if config:
            app.config.update(config)
    else:
        app.config.from_object(config)
        problems = config.validate()
    if problems:
        raise RuntimeError("configuration refused: " + "; ".join(problems))

    configure_logging(app)
    trust_proxies(app)
    ensure_sqlite_directory(app)
    install_session_interface(app)
    register_extensions(app)
    register_i18n(app)
    register_blueprints(app)
    register_errors(app)
    register_security(app)
    register_template_helpers(app)
    register_cli(app)
    return app


def trust_proxies(app: Flask) -> None:
    """Behind `TRUSTED_PROXIES` reverse proxies, take the client's address, scheme and host
    from their X-Forwarded-* headers (rate limits per client, audit addresses, https)."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    count = int(app.config.get("TRUSTED_PROXIES") or 0)
    if count > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=count, x_proto=count, x_host=count
        )


def install_session_interface(app: Flask) -> None:
    from portal.sessions import PortalSessionInterface

    app.session_interface = PortalSessionInterface()


def configure_logging(app: Flask) -> None:
    if not app.logger.handlers or app.config.get("ENV_NAME") == "production":
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )


def ensure_sqlite_directory(app: Flask) -> None:
    """The embedded default works from a fresh clone: create the SQLite file's folder.

    A pooled SQLite connection is a file handle, not a network link that can drop, so it
    is not pinged before each use (the ping is a statement per checkout).
    """
    from sqlalchemy.engine import make_url

    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        return
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if options.pop("pool_pre_ping", None) is not None:
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if url.database not in (None, "", ":memory:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def register_extensions(app: Flask) -> None:
    from portal import models  # noqa: F401  (registers the mappers)
    from portal.auth.session import configure_login
    from portal.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    configure_login(app)
    skip_per_request_passes(app, (limiter, login_manager), LEAN_ENDPOINTS)

    from portal.models.base import install_sqlite_pragmas

    with app.app_context():
        install_sqlite_pragmas(db.engine)


#: Public API endpoints that count their own rate limit (with Flask-Limiter's strategy and
#: storage) and never sign anyone in: see :func:`skip_per_request_passes`.
LEAN_ENDPOINTS = frozenset({"public.api_verify"})


def skip_per_request_passes(
    app: Flask, extensions: Sequence[Any], endpoints: frozenset[str]
) -> None:
    """Skip the before/after/teardown passes of `extensions` for `endpoints`.

    Flask-Limiter's passes run for every request, limited or not, and cost more than a
    token verification's own bookkeeping; Flask-Login's after-request pass only refreshes
    the remember-me cookie after a sign-in or sign-out, which these endpoints never do
    (and it opens the session for it). Every other route keeps them all.
    """

    def owner(hook: Any) -> Any:
        if isinstance(hook, functools.partial):
            return hook.args[0] if hook.args else None
        return getattr(hook, "__self__", None)

    def skipping(hook: Callable[..., Any], passthrough: bool) -> Callable[..., Any]:
        @functools.wraps(hook)
        def wrapper(*args: Any) -> Any:
            if request.endpoint in endpoints:
                return args[0] if passthrough else None
            return hook(*args)

        return wrapper

    for registry, passthrough in (
        (app.before_request_funcs, False),
        (app.after_request_funcs, True),
        (app.teardown_request_funcs, False),
    ):
        hooks: list[Any] = registry.get(None, [])
        for n, hook in enumerate(hooks):
            if any(owner(hook) is extension for extension in extensions):
                hooks[n] = skipping(hook, passthrough)


def register_i18n(app: Flask) -> None:
    from portal.extensions import babel
    from portal.i18n import TRANSLATIONS_DIR, compile_catalogues
    from portal.locale import select_locale, select_timezone

    compile_catalogues()
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS_DIR)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)


def register_blueprints(app: Flask) -> None:
    from portal.admin import bp as admin_bp
    from portal.auth import bp as auth_bp
    from portal.hr import bp as hr_bp
    from portal.learner import bp as learner_bp
    from portal.locale import bp as i18n_bp
    from portal.public import bp as public_bp
    from portal.trainer import bp as trainer_bp

    for bp in (public_bp, auth_bp, i18n_bp, learner_bp, trainer_bp, hr_bp, admin_bp):
        app.register_blueprint(bp)


def register_errors(app: Flask) -> None:
    from portal.errors import register_error_handlers

    register_error_handlers(app)


def register_security(app: Flask) -> None:
    from portal.security import register_security_headers

    register_security_headers(app)


def register_template_helpers(app: Flask) -> None:
    from portal.templating import register_templating

    register_templating(app)


def register_cli(app: Flask) -> None:
    from portal.cli import register_commands

    register_commands(app)
