"""The web application: server-rendered pages for managers, the back office, analysts and
operators, over the same services as the JSON API (app/services). See docs/web.md.

    init_web(app, system)   # sessions, sign-in, CSRF, translations, the pages' blueprints
"""
import secrets

from flask_wtf.csrf import CSRFProtect

from app.web import auth, i18n, inbox, layout, models, operations, orders

csrf = CSRFProtect()


def init_web(app, system) -> None:
    settings = system.settings
    app.config.update(
        SECRET_KEY=settings.secret_key or secrets.token_hex(32),  # embedded: sessions end on restart
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=not settings.embedded,
        SESSION_COOKIE_NAME="escrow_session",
        WTF_CSRF_TIME_LIMIT=None,          # valid for the session's life
        WTF_CSRF_CHECK_DEFAULT=False,      # checked for the pages only (see csrf_for_pages)
    )
    csrf.init_app(app)
    auth.login_manager.init_app(app)
    i18n.init_app(app, settings)
    layout.init_app(app)
    for blueprint in pages():
        app.register_blueprint(blueprint)

    @app.before_request
    def csrf_for_pages():
        # API requests carry a bearer token or the X-CSRFToken header (app.api.auth checks it)
        from flask import request
        if not request.path.startswith("/api/"):
            csrf.protect()


def pages():
    """Every blueprint of pages, in the order the navigation shows them."""
    return [auth.blp, i18n.blp, orders.blp, inbox.blp, operations.blp, models.blp]
