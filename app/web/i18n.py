"""Russian and English: the browser's Accept-Language, or the reader's choice; dates and money
formatted for the locale (amounts are stored in kopecks and never shown as a bare integer)."""
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from flask import Blueprint, redirect, request, session
from flask_babel import Babel, get_locale

LANGUAGES = ("en", "ru")
blp = Blueprint("web_i18n", __name__)
babel = Babel()


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or LANGUAGES[0]


@blp.get("/lang/<code>")
def switch(code: str):
    if code in LANGUAGES:
        session["lang"] = code
    back = request.referrer or "/"
    return redirect(back if back.startswith(request.host_url) else "/")


def init_app(app, settings) -> None:
    babel.init_app(app, locale_selector=select_locale, default_translation_directories="translations")
    zone = ZoneInfo(settings.display_timezone)

    def locale() -> str:
        return str(get_locale())

    @app.template_filter("money")
    def money(kopecks) -> str:
        """Roubles with kopecks in the locale's digits and separators, then the rouble sign
        (Babel's English has no ₽ for RUB and would print "RUB12,500,000.00")."""
        if kopecks is None:
            return ""
        roubles = format_decimal(Decimal(int(kopecks)) / 100, format="#,##0.00", locale=locale())
        return f"{roubles}\u00a0₽"

    @app.template_filter("when")
    def when(value, style: str = "medium") -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, str):
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if isinstance(value, datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=ZoneInfo("UTC"))
            return format_datetime(value, style, tzinfo=zone, locale=locale())
        return format_date(value, style, locale=locale())

    @app.template_filter("day")
    def day(value, style: str = "medium") -> str:
        if not value:
            return ""
        if isinstance(value, str):
            value = date.fromisoformat(value[:10])
        return format_date(value, style, locale=locale())

    app.jinja_env.globals.update(current_locale=locale, LANGUAGES=LANGUAGES)
