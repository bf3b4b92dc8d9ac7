"""The small value syntaxes of the file format (SPEC §2 conventions).

Each syntax is a plain parser function (usable on its own, e.g. by editing commands) and
an ``Annotated`` type for the models. Parsers raise :class:`SyntaxProblem`, a
``ValueError`` whose message is shown to users as it is, so messages are plain language
and say how to write the value. Inside pydantic the error type is ``kapm_value`` and
``error["msg"]`` is exactly that message (no "Value error, " prefix).

Input comes from a YAML 1.2 loader, so dates and timestamps arrive as strings; ``date``
and ``datetime`` objects are accepted too (a YAML 1.1 loader, Python callers).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import partial
from typing import Annotated, Any, Iterator

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

__all__ = [
    "SyntaxProblem",
    "ID_PATTERN",
    "DateRange",
    "parse_id",
    "parse_date",
    "parse_timestamp",
    "parse_date_or_range",
    "parse_duration",
    "parse_lag",
    "parse_clock_duration",
    "parse_dependency",
    "parse_assignees",
    "parse_payment_amount",
    "Id",
    "IdOrIds",
    "Date",
    "Timestamp",
    "DateOrRange",
    "Duration",
    "Lag",
    "ClockDuration",
    "Money",
    "SignedMoney",
    "Percent",
    "Fraction",
    "Allocation",
    "Score",
    "Nps",
    "Count",
    "DayCount",
    "PositiveNumber",
    "Quantity",
    "Assignees",
    "PaymentAmount",
    "Currency",
    "Flag",
    "RuleCode",
    "RuleSelector",
]


def SyntaxProblem(message: str) -> PydanticCustomError:  # noqa: N802 - reads like a class
    """A user-facing value error (a ``ValueError`` subclass pydantic reports cleanly)."""
    return PydanticCustomError("kapm_value", message)


def _show(value: Any) -> str:
    """A value as the user wrote it, for messages."""
    if isinstance(value, str):
        return repr(value)
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    return str(value)


# --------------------------------------------------------------------------- ids

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
_ID_RE = re.compile(ID_PATTERN)


_ID_FULL_MATCH = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*").fullmatch  # == _is_id on a str


def _is_id(text: str) -> bool:
    return bool(_ID_RE.match(text)) and "\n" not in text


def parse_id(value: Any) -> str:
    """An id: ``[A-Za-z0-9][A-Za-z0-9_.-]*``; a YAML integer (``id: 7``) is read as "7"."""
    if type(value) is str and _ID_FULL_MATCH(value):  # the common case, first
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if isinstance(value, float) and not isinstance(value, bool):
        raise SyntaxProblem(
            f"{value} is read as a number, not an id; put it in quotes, like \"{value}\""
        )
    if not isinstance(value, str):
        raise SyntaxProblem(f"expected an id, got {_show(value)}")
    if not _is_id(value):
        raise SyntaxProblem(
            f"{value!r} is not a valid id; ids start with an ASCII letter or digit and "
            "contain only ASCII letters, digits, '_', '.' and '-'"
        )
    return value


def parse_ids(value: Any) -> list[str]:
    """One id or a list of ids, as a list."""
    if isinstance(value, (list, tuple)):
        return [parse_id(v) for v in value]
    return [parse_id(value)]


# --------------------------------------------------------------------------- dates

_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_TS_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)


def _real_date(text: str, y: str, m: str, d: str) -> date:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        raise SyntaxProblem(f"{text} is not a real date") from None


def parse_date(value: Any) -> date:
    """``YYYY-MM-DD`` (strictly), or a ``date`` object; impossible dates are errors."""
    if isinstance(value, datetime):
        raise SyntaxProblem(
            f"{value.isoformat(sep=' ')} is a timestamp; write a date like "
            f"{value.date().isoformat()}"
        )
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        m = _DATE_RE.match(text)
        if m:
            return _real_date(text, *m.groups())
        if _TS_RE.match(text):
            raise SyntaxProblem(f"{text} is a timestamp; write a date like {text[:10]}")
        raise SyntaxProblem(f"{value!r} is not a date; write it as YYYY-MM-DD, like 2026-09-01")
    raise SyntaxProblem(f"expected a date like 2026-09-01, got {_show(value)}")


def parse_timestamp(value: Any) -> datetime:
    """``YYYY-MM-DDTHH:MM[:SS]`` with an optional offset (``Z``, ``+08:00``).

    A space may replace the ``T``. Without an offset the result is naive and means the
    project's local time; with one it is timezone-aware.
    """
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        raise SyntaxProblem(
            f"{value.isoformat()} has no time; write a timestamp like {value.isoformat()}T09:00"
        )
    if not isinstance(value, str):
        raise SyntaxProblem(f"expected a timestamp like 2026-09-01T09:30, got {_show(value)}")
    text = value.strip()
    m = _TS_RE.match(text)
    if not m:
        if _DATE_RE.match(text):
            raise SyntaxProblem(f"{text} has no time; write a timestamp like {text}T09:00")
        raise SyntaxProblem(
            f"{value!r} is not a timestamp; write it as YYYY-MM-DDTHH:MM, like 2026-09-01T09:30"
        )
    y, mo, d, hh, mm, ss, off = m.groups()
    day = _real_date(text[:10], y, mo, d)
    if int(hh) > 23 or int(mm) > 59 or int(ss or 0) > 59:
        raise SyntaxProblem(f"{text} is not a real time of day")
    tz = None
    if off:
        if off == "Z":
            tz = timezone.utc
        else:
            digits = off[1:].replace(":", "")
            oh, om = int(digits[:2]), int(digits[2:])
            if oh > 23 or om > 59:
                raise SyntaxProblem(f"{off} in {text} is not a real time zone offset")
            delta = timedelta(hours=oh, minutes=om)
            tz = timezone(-delta if off[0] == "-" else delta)
    return datetime(day.year, day.month, day.day, int(hh), int(mm), int(ss or 0), tzinfo=tz)


@dataclass(frozen=True, slots=True)
class DateRange:
    """An inclusive range of dates; a single date is a range with ``start == end``."""

    start: date
    end: date

    def days(self) -> Iterator[date]:
        """Every calendar day from start to end, inclusive."""
        d = self.start
        while d <= self.end:
            yield d
            d += timedelta(days=1)

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def __len__(self) -> int:
        return (self.end - self.start).days + 1

    def __str__(self) -> str:
        if self.start == self.end:
            return self.start.isoformat()
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


MAX_RANGE_DAYS = 3650  # bounded input: nothing downstream walks millions of days


def parse_date_or_range(value: Any) -> DateRange:
    """A date, or ``YYYY-MM-DD..YYYY-MM-DD`` (inclusive, end on or after start)."""
    if isinstance(value, DateRange):
        return value
    if isinstance(value, str) and ".." in value:
        left, _, right = value.strip().partition("..")
        try:
            start, end = parse_date(left.strip()), parse_date(right.strip())
        except PydanticCustomError as exc:
            raise SyntaxProblem(
                f"{value!r} is not a date range: {exc.message()}; write it like "
                "2026-10-01..2026-10-07"
            ) from None
        if end < start:
            raise SyntaxProblem(f"{value!r} ends before it starts; write the earlier date first")
        if (end - start).days >= MAX_RANGE_DAYS:
            raise SyntaxProblem(f"{value!r} spans more than {MAX_RANGE_DAYS // 365} years")
        return DateRange(start, end)
    if not isinstance(value, (str, date)):
        raise SyntaxProblem(
            f"expected a date like 2026-10-01 or a range like 2026-10-01..2026-10-07, "
            f"got {_show(value)}"
        )
    day = parse_date(value)
    return DateRange(day, day)


def expand_days(ranges: Any) -> list[date]:
    """All days of a list of dates / ranges, sorted, without repeats."""
    days: set[date] = set()
    for r in ranges:
        days.update(parse_date_or_range(r).days())
    return sorted(days)


# --------------------------------------------------------------------------- durations

MAX_WORKING_DAYS = 10_000  # about 40 years; bounds the scheduler's day arithmetic
_DUR_RE = re.compile(r"^([+-]?)\s*(\d{1,9})\s*([dDwW]?)$")
_DAYS_PER_UNIT = {"": 1, "d": 1, "w": 5}
_FAST_DUR_MATCH = re.compile(r"(\d{1,9})([dDwW]?)").fullmatch


def _integral(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _working_days(value: Any, *, signed: bool, what: str) -> int:
    n = _integral(value)
    if n is not None:
        days = n
    elif isinstance(value, str) and (m := _DUR_RE.match(value.strip())):
        sign, num, unit = m.groups()
        days = int(num) * _DAYS_PER_UNIT[unit.lower()]
        if sign == "-":
            days = -days
    else:
        shown = _show(value)
        if isinstance(value, float):
            raise SyntaxProblem(f"{shown} is not a whole number; {what} are whole working days")
        example = "2d, -1d or 1w" if signed else "5d, 2w or 0d"
        raise SyntaxProblem(
            f"{shown} is not a {what[:-1]}; write working days like {example}"
            if isinstance(value, str)
            else f"expected a {what[:-1]} like {example}, got {shown}"
        )
    if days < 0 and not signed:
        raise SyntaxProblem(f"{_show(value)} is negative; {what} cannot be negative")
    if abs(days) > MAX_WORKING_DAYS:
        raise SyntaxProblem(
            f"{_show(value)} is more than {MAX_WORKING_DAYS} working days; split the work "
            "or check the number"
        )
    return days


def parse_duration(value: Any) -> int:
    """Working days: ``5d``, ``2w`` (= 10), ``0d`` or a bare non-negative integer."""
    if type(value) is str and (m := _FAST_DUR_MATCH(value)):  # the common case: "5d"
        days = int(m.group(1)) * _DAYS_PER_UNIT[m.group(2).lower()]
        if days <= MAX_WORKING_DAYS:
            return days
    return _working_days(value, signed=False, what="durations")


def parse_lag(value: Any) -> int:
    """A signed duration in working days: ``2d``, ``-1d`` (a lead), ``+1w``, an integer."""
    return _working_days(value, signed=True, what="lags")


_CLOCK_RE = re.compile(r"(\d{1,9})\s*([wdhm])", re.IGNORECASE)
_MINUTES = {"w": 7 * 24 * 60, "d": 24 * 60, "h": 60, "m": 1}


def parse_clock_duration(value: Any) -> int:
    """A clock duration for SLAs, in minutes: ``30m``, ``4h``, ``1d``, ``1h30m``.

    These are clock (calendar) times, not working time: ``1d`` = 24 hours and
    ``1w`` = 7 days. A bare number is refused because its unit would be a guess.
    """
    if isinstance(value, str):
        text = value.strip().replace(" ", "")
        parts = _CLOCK_RE.findall(text)
        if parts and "".join(n + u for n, u in parts) == text:
            minutes = sum(int(n) * _MINUTES[u.lower()] for n, u in parts)
            if minutes > MAX_WORKING_DAYS * _MINUTES["d"]:
                raise SyntaxProblem(f"{value!r} is more than {MAX_WORKING_DAYS} days")
            return minutes
        raise SyntaxProblem(
            f"{value!r} is not a clock duration; write it like 30m, 4h or 1d (1d = 24 hours)"
        )
    if _integral(value) is not None:
        raise SyntaxProblem(
            f"{_show(value)} has no unit; write a clock duration like 30m, 4h or 1d"
        )
    raise SyntaxProblem(f"expected a clock duration like 30m, 4h or 1d, got {_show(value)}")


# --------------------------------------------------------------------------- depends

DEPENDENCY_TYPES = ("FS", "SS", "FF", "SF")
_PREFIX_RE = re.compile(r"^([A-Za-z]{2})\s*:\s*(.*)$", re.DOTALL)
_TRAILING_LAG_RE = re.compile(r"^(.*?)\s*([+-])\s*(\d{1,9})\s*([dDwW])$", re.DOTALL)
_ID_FULL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_LAG_UNITS = frozenset("dDwW")
_FAST_DEP_RE = re.compile(r"(?:(FS|SS|FF|SF):)?([A-Za-z0-9][A-Za-z0-9_.-]*?)(?:([+-])(\d{1,9})([dDwW]))?")


def parse_dependency(value: str) -> tuple[str, str, int, tuple[str, int] | None]:
    """Parse a short-form ``depends`` item into ``(task, type, lag, alt)``.

    Forms: ``ID``, ``ID+2d``, ``ID-1d``, ``ID+1w``, ``SS:ID``, ``FF:ID+1d``, ``SF:ID``.
    Ids may contain ``-``, so ``phase-2d`` is ambiguous without the task list: when the
    whole item (after the ``XX:`` prefix) is a valid id, it is read as that task with
    lag 0 and ``alt`` holds the other reading (``("phase", -2)``), which reference
    resolution uses when ``phase-2d`` is not a task but ``phase`` is.
    """
    if m := _FAST_DEP_RE.fullmatch(value):
        # The common cases (no spaces, an upper-case type): ``ID``, ``SS:ID``, ``ID+2d``,
        # ``FF:ID-1d``; the same results as the general parse below, without its regexes.
        dep_type, base, sign, num = m.group(1, 2, 3, 4)
        if dep_type is None:
            dep_type = "FS"
        if sign is None:
            return base, dep_type, 0, None
        lag = int(num) * _DAYS_PER_UNIT[m.group(5).lower()]
        if sign == "+":  # "ID+2d" is not an id: the lag reading is the only one
            return base, dep_type, (lag if lag <= MAX_WORKING_DAYS else parse_lag(lag)), None
        text = value[3:] if m.group(1) else value  # "ID-2d" is also an id: read as that task
        return text, dep_type, 0, ((base, -lag) if lag <= MAX_WORKING_DAYS else None)
    text = value.strip()
    dep_type = "FS"
    if m := _PREFIX_RE.match(text):
        prefix, text = m.group(1), m.group(2).strip()
        if prefix.upper() not in DEPENDENCY_TYPES:
            raise SyntaxProblem(
                f"{prefix!r} in {value!r} is not a dependency type; use FS, SS, FF or SF, "
                "like SS:design"
            )
        dep_type = prefix.upper()
    lag_match = _TRAILING_LAG_RE.match(text)
    alt: tuple[str, int] | None = None
    if lag_match:
        base, sign, num, unit = lag_match.groups()
        lag = int(num) * _DAYS_PER_UNIT[unit.lower()] * (-1 if sign == "-" else 1)
        if _is_id(base):
            alt = (base, lag)
    if _is_id(text):
        # The other reading only counts when its lag is a usable one.
        if alt is not None and abs(alt[1]) > MAX_WORKING_DAYS:
            alt = None
        return text, dep_type, 0, alt
    if alt is not None:
        return alt[0], dep_type, parse_lag(alt[1]), None
    if not text:
        raise SyntaxProblem(f"{value!r} names no task; write a task id, like design or SS:design")
    if re.match(r"^.*?[+-]\s*\d+$", text):
        raise SyntaxProblem(
            f"{value!r}: a lag needs a unit; write it like {text}d (working days) or "
            f"{text}w (weeks)"
        )
    raise SyntaxProblem(
        f"{value!r} is not a dependency; write a task id with an optional type and lag, "
        "like design, design+2d, SS:design or FF:design-1d"
    )


# --------------------------------------------------------------------------- numbers


def _number(value: Any, what: str = "a number") -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if isinstance(value, str):
            raise SyntaxProblem(
                f"{value!r} is not a number; write digits only, like 1200000 or 0.5"
            )
        raise SyntaxProblem(f"expected {what}, got {_show(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise SyntaxProblem(f"{value} is not a usable number")
    return value


def _money(value: Any) -> float:
    n = _number(value, "an amount of money")
    if n < 0:
        raise SyntaxProblem(f"{n} is negative; amounts of money here cannot be negative")
    return n


def _signed_money(value: Any) -> float:
    return _number(value, "an amount of money")


def _ranged(lo: float, hi: float, what: str, *, low_open: bool = False):
    # a partial of a module-level function, not a closure: validators must pickle
    # (kapm.model.cache stores the built schema)
    return partial(_check_ranged, lo, hi, what, low_open)


def _check_ranged(lo: float, hi: float, what: str, low_open: bool, value: Any) -> float:
    n = _number(value, what)
    if n < lo or n > hi or (low_open and n == lo):
        low = f"more than {lo:g}" if low_open else f"at least {lo:g}"
        raise SyntaxProblem(f"{n:g} is out of range; {what} is {low} and at most {hi:g}")
    return n


def _int_ranged(lo: int, hi: int | None, what: str):
    return partial(_check_int_ranged, lo, hi, what)


def _check_int_ranged(lo: int, hi: int | None, what: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        n = _integral(value)
        if n is None:
            rng = f"from {lo} to {hi}" if hi is not None else f"{lo} or more"
            raise SyntaxProblem(f"expected {what} (a whole number {rng}), got {_show(value)}")
        value = n
    if value < lo or (hi is not None and value > hi):
        rng = f"from {lo} to {hi}" if hi is not None else f"{lo} or more"
        raise SyntaxProblem(f"{value} is out of range; {what} is a whole number {rng}")
    return value


def _positive(value: Any) -> float:
    n = _number(value)
    if n <= 0:
        raise SyntaxProblem(f"{n:g} must be more than 0")
    return n


def _quantity(value: Any) -> float | str:
    """A measured value: a number or a short text (``"< 2 s"``)."""
    if isinstance(value, str):
        return value
    return _number(value, "a number or a text")


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise SyntaxProblem(f"expected true or false, got {_show(value)}")


def _currency(value: Any) -> str:
    if isinstance(value, str) and re.fullmatch(r"[A-Za-z]{3}", value.strip()):
        return value.strip().upper()
    raise SyntaxProblem(
        f"{_show(value)} is not a currency code; write three letters, like CNY, USD or EUR"
    )


_ALLOCATION_HINT = "an allocation is a percent of a person's time, more than 0 and at most 100"


def parse_assignees(value: Any) -> dict[str, float]:
    """``{person: percent}`` or a list of person ids (100 % each) → ``{person: percent}``."""
    if isinstance(value, (list, tuple)):
        result: dict[str, float] = {}
        for item in value:
            person = parse_id(item)
            if person in result:
                raise SyntaxProblem(f"{person!r} is listed twice in assignees")
            result[person] = 100
        return result
    if isinstance(value, dict):
        result = {}
        for key, pct in value.items():
            person = parse_id(key)
            if isinstance(pct, str) and pct.strip().endswith("%"):
                pct = pct.strip()[:-1].strip()
                try:
                    pct = float(pct) if "." in pct else int(pct)
                except ValueError:
                    pass
            try:
                n = _number(pct, "a percent")
            except PydanticCustomError as exc:
                raise SyntaxProblem(f"allocation of {person}: {exc.message()}") from None
            if not 0 < n <= 100:
                raise SyntaxProblem(f"allocation of {person} is {n:g}; {_ALLOCATION_HINT}")
            result[person] = n
        return result
    raise SyntaxProblem(
        f"expected assignees as a mapping like {{li.wei: 50}} or a list of person ids, "
        f"got {_show(value)}"
    )


_PERCENT_STR_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*%$")


def parse_payment_amount(value: Any) -> float | str:
    """Money, or a share of the contract value written ``"30%"`` (kept as ``"30%"``)."""
    if isinstance(value, str):
        m = _PERCENT_STR_RE.match(value.strip())
        if not m:
            raise SyntaxProblem(
                f"{value!r} is not an amount; write money like 360000 or a share like \"30%\""
            )
        pct = float(m.group(1))
        if not 0 < pct <= 100:
            raise SyntaxProblem(f"{value!r} is out of range; a share is more than 0% and at most 100%")
        return f"{pct:g}%"
    return _money(value)


_RULE_CODE_RE = re.compile(r"^[A-Z]\d{3}$")


def _rule_code(value: Any) -> str:
    if isinstance(value, str) and _RULE_CODE_RE.match(value.strip()):
        return value.strip()
    raise SyntaxProblem(f"{_show(value)} is not a rule code; write it like K003")


def _rule_selector(value: Any) -> str:
    if isinstance(value, str):
        text = value.strip()
        if text.upper() == "ALL":
            return "ALL"
        if re.fullmatch(r"[A-Z]", text) or _RULE_CODE_RE.match(text):
            return text
    raise SyntaxProblem(
        f"{_show(value)} is not a rule selector; write ALL, a family letter like K, or a "
        "code like K003"
    )


# --------------------------------------------------------------------------- types


def _same(value: Any) -> Any:
    return value


def _iso(value: Any, info: Any) -> Any:
    return value.isoformat() if info.mode_is_json() else value


def _text(value: Any) -> str:
    return str(value)


def _wrap(fn: Any, serialize: Any = _same) -> Any:
    """Validate with a parser (its SyntaxProblem is reported at the field's loc), and
    serialize explicitly: the value as parsed (ints stay ints), dates as ISO text in JSON."""
    return PlainValidator(fn), PlainSerializer(serialize)


def _str_schema(description: str, pattern: str | None = None, **extra: Any) -> WithJsonSchema:
    schema: dict[str, Any] = {"type": "string", "description": description}
    if pattern:
        schema["pattern"] = pattern
    schema.update(extra)
    return WithJsonSchema(schema)


_DATE_PAT = r"^\d{4}-\d{2}-\d{2}$"
_TS_PAT = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?\s*(Z|[+-]\d{2}:?\d{2})?$"
_DUR_PAT = r"^\s*\d+\s*[dDwW]?\s*$"
_LAG_PAT = r"^\s*[+-]?\s*\d+\s*[dDwW]?\s*$"

Id = Annotated[
    str, *_wrap(parse_id),
    WithJsonSchema({"type": ["string", "integer"], "pattern": ID_PATTERN,
                    "description": "an id: ASCII letters, digits, '_', '.', '-'"}),
]
IdOrIds = Annotated[
    list[str], *_wrap(parse_ids),
    WithJsonSchema({"anyOf": [
        {"type": "string", "pattern": ID_PATTERN},
        {"type": "array", "items": {"type": "string", "pattern": ID_PATTERN}},
    ], "description": "a person id or a list of person ids"}),
]
Date = Annotated[date, *_wrap(parse_date, _iso), _str_schema("a date, YYYY-MM-DD", _DATE_PAT)]
Timestamp = Annotated[
    datetime, *_wrap(parse_timestamp, _iso),
    _str_schema("a timestamp, YYYY-MM-DDTHH:MM (project local time; an offset like +08:00 "
                "is allowed)", _TS_PAT),
]
DateOrRange = Annotated[
    DateRange, *_wrap(parse_date_or_range, _text),
    _str_schema("a date YYYY-MM-DD or an inclusive range YYYY-MM-DD..YYYY-MM-DD",
                r"^\d{4}-\d{2}-\d{2}(\s*\.\.\s*\d{4}-\d{2}-\d{2})?$"),
]
_DUR_SCHEMA = {"anyOf": [{"type": "string", "pattern": _DUR_PAT},
                         {"type": "integer", "minimum": 0}],
               "description": "working days: 5d, 2w (= 10d), 0d or a whole number of days"}
Duration = Annotated[int, *_wrap(parse_duration), WithJsonSchema(_DUR_SCHEMA)]
_LAG_SCHEMA = {"anyOf": [{"type": "string", "pattern": _LAG_PAT}, {"type": "integer"}],
               "description": "working days, negative for a lead: 2d, -1d, 1w"}
Lag = Annotated[int, *_wrap(parse_lag), WithJsonSchema(_LAG_SCHEMA)]
ClockDuration = Annotated[
    int, *_wrap(parse_clock_duration),
    _str_schema("clock time: 30m, 4h, 1d (= 24 hours), 1h30m",
                r"^\s*(\d+\s*[wdhmWDHM]\s*)+$"),
]


def _num_schema(description: str, **bounds: Any) -> WithJsonSchema:
    return WithJsonSchema({"type": "number", "description": description, **bounds})


Money = Annotated[float, *_wrap(_money), _num_schema("an amount of money", minimum=0)]
SignedMoney = Annotated[float, *_wrap(_signed_money), _num_schema("an amount of money")]
Percent = Annotated[float, *_wrap(_ranged(0, 100, "a percentage")),
                    _num_schema("a percentage, 0-100", minimum=0, maximum=100)]
Fraction = Annotated[float, *_wrap(_ranged(0, 1, "a capacity")),
                     _num_schema("a share of full time, 0-1", minimum=0, maximum=1)]
Allocation = Annotated[float, *_wrap(_ranged(0, 100, "an allocation", low_open=True)),
                       _num_schema("percent of a person's time", exclusiveMinimum=0,
                                   maximum=100)]
Score = Annotated[int, *_wrap(_int_ranged(1, 5, "a score")),
                  WithJsonSchema({"type": "integer", "minimum": 1, "maximum": 5,
                                  "description": "1 (lowest) to 5 (highest)"})]
Nps = Annotated[int, *_wrap(_int_ranged(0, 10, "a recommendation score")),
                WithJsonSchema({"type": "integer", "minimum": 0, "maximum": 10,
                                "description": "net promoter score answer, 0-10"})]
Count = Annotated[int, *_wrap(_int_ranged(0, None, "a count")),
                  WithJsonSchema({"type": "integer", "minimum": 0})]
# Thresholds in days (settings): bounded, so date arithmetic with them cannot overflow.
DayCount = Annotated[int, *_wrap(_int_ranged(0, 3660, "a number of days")),
                     WithJsonSchema({"type": "integer", "minimum": 0, "maximum": 3660})]
PositiveNumber = Annotated[float, *_wrap(_positive), _num_schema("a number above 0",
                                                                exclusiveMinimum=0)]
Quantity = Annotated[float | str, *_wrap(_quantity),
                     WithJsonSchema({"type": ["number", "string"]})]
Flag = Annotated[bool, *_wrap(_flag), WithJsonSchema({"type": "boolean"})]
Currency = Annotated[str, *_wrap(_currency),
                     _str_schema("a currency code like CNY", r"^[A-Za-z]{3}$")]
Assignees = Annotated[
    dict[str, float], *_wrap(parse_assignees),
    WithJsonSchema({"anyOf": [
        {"type": "object", "additionalProperties": {"type": "number", "exclusiveMinimum": 0,
                                                    "maximum": 100}},
        {"type": "array", "items": {"type": "string", "pattern": ID_PATTERN}},
    ], "description": "person id -> allocation percent, or a list of person ids (100 % each)"}),
]
PaymentAmount = Annotated[
    float | str, *_wrap(parse_payment_amount),
    WithJsonSchema({"anyOf": [{"type": "number", "minimum": 0},
                              {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*%$"}],
                    "description": "money, or a share of the contract value like \"30%\""}),
]
RuleCode = Annotated[str, *_wrap(_rule_code), _str_schema("a rule code like K003",
                                                          r"^[A-Z]\d{3}$")]
RuleSelector = Annotated[str, *_wrap(_rule_selector),
                         _str_schema("ALL, a rule family letter or a rule code",
                                     r"^(ALL|all|[A-Z]|[A-Z]\d{3})$")]
