"""Languages of reports: message catalogues and locale-aware formatting.

Template text is translated with gettext catalogues through Jinja2's i18n extension
(``{% trans %}`` and ``_()``). The source catalogue is
``kapm/locale/zh/LC_MESSAGES/kapm.po``; the compiled ``kapm.mo`` beside it is committed
and kept in step by ``scripts/compile_catalogs.py`` (a test fails when it is stale).
English is the source language, so ``en`` needs no catalogue.

Numbers, dates and money are formatted with Babel for the report's language:
``Nov 20, 2026`` / ``2026年11月20日``; money as ``1,800,000 CNY`` (the currency code,
which reads the same in both languages and never hides the currency).
"""

from __future__ import annotations

import gettext
from datetime import date
from functools import lru_cache
from pathlib import Path

LANGS = ("en", "zh")
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "kapm"


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later (see :func:`label`)."""
    return message


# Enumerated values in the model and the status layer, shown through the ``label``
# filter. Keys are the codes in the files; values are the English labels (msgids).
LABELS: dict[str, str] = {
    # RAG
    "green": N_("green"), "amber": N_("amber"), "red": N_("red"),
    # task state
    "done": N_("done"), "in progress": N_("in progress"), "in_progress": N_("in progress"),
    "not started": N_("not started"), "not_started": N_("not started"),
    # project status
    "planned": N_("planned"), "active": N_("active"), "on-hold": N_("on hold"),
    "closed": N_("closed"), "cancelled": N_("cancelled"),
    # risk status / strategy / category
    "open": N_("open"), "occurred": N_("occurred"),
    "avoid": N_("avoid"), "mitigate": N_("mitigate"), "transfer": N_("transfer"),
    "accept": N_("accept"), "escalate": N_("escalate"),
    "technical": N_("technical"), "schedule": N_("schedule"), "cost": N_("cost"),
    "scope": N_("scope"), "quality": N_("quality"), "resource": N_("resource"),
    "commercial": N_("commercial"), "client": N_("client"), "legal": N_("legal"),
    "external": N_("external"), "other": N_("other"), "risk": N_("risk"),
    "overall": N_("overall"),
    # change status
    "proposed": N_("proposed"), "assessing": N_("assessing"), "approved": N_("approved"),
    "rejected": N_("rejected"), "implemented": N_("implemented"), "withdrawn": N_("withdrawn"),
    # issue status, priority
    "resolved": N_("resolved"),
    "urgent": N_("urgent"), "high": N_("high"), "normal": N_("normal"), "low": N_("low"),
    # cadence
    "weekly": N_("weekly"), "biweekly": N_("biweekly"), "monthly": N_("monthly"),
    "quarterly": N_("quarterly"), "milestones": N_("at milestones"),
    # channel
    "email": N_("e-mail"), "phone": N_("phone"), "wechat": N_("WeChat"),
    "meeting": N_("meeting"), "chat": N_("chat"),
    # cost category
    "labour": N_("labour"), "material": N_("material"), "travel": N_("travel"),
    "subcontract": N_("subcontract"),
    # payment state
    "paid": N_("paid"), "invoiced": N_("invoiced"), "due": N_("due"), "overdue": N_("overdue"),
    # SLA outcome
    "met": N_("met"), "breached": N_("breached"), "pending": N_("pending"),
    # quality check result
    "pass": N_("pass"), "fail": N_("fail"), "conditional": N_("conditional"),
}


@lru_cache(maxsize=None)
def translations(lang: str) -> gettext.NullTranslations:
    """The gettext catalogue of ``lang`` (English: the identity)."""
    if lang == "en":
        return gettext.NullTranslations()
    mo = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    with open(mo, "rb") as fh:
        return gettext.GNUTranslations(fh)


def babel_locale(lang: str) -> str:
    return {"en": "en_US", "zh": "zh_Hans_CN"}[lang]


class Formats:
    """Locale-aware formatting of one report's values (the Jinja filters).

    ``None`` prints as ``n/a`` (translated) everywhere, so undefined ratios never break
    a table (SPEC §4)."""

    def __init__(self, lang: str, currency: str | None):
        from babel import Locale

        self.lang = lang
        self.locale = Locale.parse(babel_locale(lang))
        self.currency = currency
        self._t = translations(lang)
        self.na = self._t.gettext("n/a")

    def label(self, code) -> str:
        if code is None:
            return self.na
        text = LABELS.get(str(code))
        return self._t.gettext(text) if text else str(code)

    def date(self, value, style: str = "medium") -> str:
        from babel.dates import format_date, format_skeleton

        if value is None:
            return self.na
        if isinstance(value, str):
            value = date.fromisoformat(value)
        if not isinstance(value, date):
            raise TypeError(f"the date filter needs a date, got {value!r}")
        if style == "short":  # a compact "Nov 20" / "11月20日" for dense tables and charts
            return format_skeleton("MMMd", value, locale=self.locale)
        if style == "month":
            return format_skeleton("yMMM", value, locale=self.locale)
        return format_date(value, style, locale=self.locale)

    def number(self, value, digits: int = 0) -> str:
        from babel.numbers import format_decimal

        if value is None:
            return self.na
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=self.locale)

    def quantity(self, value) -> str:
        """A measured value as written: grouping, up to three decimals (1,200,000; 3.6)."""
        from babel.numbers import format_decimal

        if value is None:
            return self.na
        return format_decimal(value, format="#,##0.###", locale=self.locale)

    def signed(self, value, digits: int = 0) -> str:
        """A number with an explicit sign (variances): +3, −2, 0."""
        if value is None:
            return self.na
        text = self.number(abs(value), digits)
        if round(value, digits) == 0:
            return text
        return ("+" if value > 0 else "−") + text

    def money(self, value, currency: str | None = None) -> str:
        from babel.numbers import format_decimal

        if value is None:
            return self.na
        code = currency or self.currency
        text = format_decimal(round(value), format="#,##0", locale=self.locale)
        return f"{text} {code}" if code else text

    def ratio(self, value) -> str:
        return self.number(value, 2)

    def percent(self, value, digits: int = 0) -> str:
        """A percentage given as 0-100 (the unit of progress in the files)."""
        if value is None:
            return self.na
        return self.number(value, digits) + "%"
