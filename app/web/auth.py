"""Sign-in and sign-out for the pages (Flask-Login sessions), and the role each page needs."""
from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, login_user, logout_user

from app.domain.clock import utcnow
from app.domain.caller import ADMIN, ANALYST, BACKOFFICE, MANAGER
from app.store.users import SignInThrottle, caller_of, check_password, user_by_id

blp = Blueprint("web_auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "web_auth.login"
login_manager.login_message = None
throttle = SignInThrottle()

# Where each role starts (and where `/` sends it)
HOME = {MANAGER: "/orders", BACKOFFICE: "/inbox", ANALYST: "/models", ADMIN: "/dashboard"}


class WebUser:
    """The signed-in person as Flask-Login sees it; `caller` is what the services take."""
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, user):
        self.caller = caller_of(user)
        self.username = user.username

    def get_id(self) -> str:
        return self.caller.id


@login_manager.user_loader
def load_user(user_id: str):
    user = user_by_id(user_id)
    return WebUser(user) if user is not None else None


def role_required(*roles: str):
    """A page for these roles: signed-out visitors go to /login, other roles get 403."""
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.caller.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapper
    return decorate


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site (no scheme, no host): never an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and target.startswith("/") \
        and not target.startswith("//") else None


@blp.get("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("web_auth.login"))
    return redirect(HOME[current_user.caller.role])


@blp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(HOME[current_user.caller.role])
        return render_template("login.html", username="", next=_safe_next(request.args.get("next")))
    username = (request.form.get("username") or "").strip()[:100]
    password = request.form.get("password") or ""
    target = _safe_next(request.form.get("next"))
    keys = [f"user:{username.lower()}", f"addr:{request.remote_addr}"]
    now = utcnow()
    wait = throttle.locked_for(keys, now)
    error = None
    if wait:
        error = _("Too many failed sign-ins. Try again in %(seconds)s seconds.", seconds=wait)
    else:
        user = check_password(username, password[:1000]) if username and password else None
        if user is not None:
            throttle.succeeded(keys)
            login_user(WebUser(user))
            return redirect(target or HOME[user.role])
        throttle.failed(keys, now)
        error = _("Wrong user name or password.")
    # a wrong password re-renders the form (200, like any form error); throttling is a 429
    return render_template("login.html", username=username, next=target, error=error), \
        429 if wait else 200


@blp.post("/logout")
def logout():
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("web_auth.login"))
