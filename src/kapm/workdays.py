"""Working-day calendar: dates <-> working-day indexes (SPEC §3).

Pure and fast: no pydantic, no YAML. The scheduler works on integer indexes;
this module converts between them and dates.

Working days are, in this order of precedence (later wins):

1. the ``workweek`` days (0 = Monday … 6 = Sunday);
2. minus the public holidays of ``country`` (from the ``holidays`` package,
   category "public" only);
3. plus the make-up working days of ``country`` (China's 调休 weekend working days,
   read from ``holidays``' ``weekend_workdays`` data — never hard-coded here);
4. minus the explicit ``holidays``;
5. plus the explicit ``workdays``.

Decision: the project's own lists override the country data (a team that declares a
holiday on a 调休 Saturday does not work that day), and an explicit workday wins over an
explicit holiday on the same date.

Indexes: day 0 is the first working day on or after ``start``; day 1 the next working
day, and so on; working days before ``start`` get negative indexes. Conversions are O(1)
lookups in a precomputed table that grows (doubling) when asked outside its window.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable

__all__ = ["WorkCalendar"]

# (country, year) -> (public holidays, make-up working days of that year, all make-up days
# the country data knows). Country data never changes during a run, and `kapm trend`
# builds one calendar per commit, so a process-wide cache pays off.
_COUNTRY_CACHE: dict[tuple[str, int], tuple[frozenset[_dt.date], frozenset[_dt.date], frozenset[_dt.date]]] = {}


def _country_year(country: str, year: int) -> tuple[frozenset[_dt.date], frozenset[_dt.date], frozenset[_dt.date]]:
    key = (country, year)
    hit = _COUNTRY_CACHE.get(key)
    if hit is None:
        hit = _stored_year(country, year)
        if hit is None:
            cls = _country_class(country)
            hit = _holidays_year(cls, country, year)
            if cls is not None:  # a country of the registry, as analysis checks it
                _store_year(country, year, hit)
        _COUNTRY_CACHE[key] = hit
    return hit


def _holidays_year(cls, country: str, year: int):
    if cls is not None:
        h = cls(years=year)
    else:
        import holidays as hol

        try:
            h = hol.country_holidays(country, years=year)
        except NotImplementedError:
            raise ValueError(f"unknown country {country!r} for public holidays") from None
    # `weekend_workdays` holds the 调休 make-up days (holidays >= 0.5x); older
    # releases or countries without such data simply have none.
    makeups = frozenset(getattr(h, "weekend_workdays", ()) or ())
    return frozenset(d for d in h if d.year == year), frozenset(d for d in makeups if d.year == year), makeups


# -- country data kept between runs --------------------------------------------------
# Importing `holidays` and computing a year (lunar calendars for CN) costs ~30 ms on
# every run; the dates only change when the package does.  So the years computed so far
# are kept per country in the code cache (kapm.codecache) as JSON, under a key of the
# installed package (its location and version file), and read back without importing
# `holidays` at all.

_STORED: dict[str, dict] = {}  # country -> {"2026": [[off], [on], [all make-ups]], ...}
_HOLIDAYS_KEY: list[str | None] = []


def _holidays_key() -> str | None:
    if not _HOLIDAYS_KEY:
        key = None
        try:
            import hashlib
            import importlib.util
            from pathlib import Path

            spec = importlib.util.find_spec("holidays")
            if spec is not None and spec.origin:
                version = (Path(spec.origin).parent / "version.py").read_bytes()
                key = hashlib.sha256(b"1\0" + spec.origin.encode() + b"\0" + version).hexdigest()[:16]
        except (OSError, ImportError, ValueError):
            key = None
        _HOLIDAYS_KEY.append(key)
    return _HOLIDAYS_KEY[0]


def _cache_name(country: str) -> str | None:
    key = _holidays_key()
    if key is None or not country.isascii() or not country.isalnum():
        return None
    return f"holidays-{key}-{country}.json"


def _stored_years(country: str) -> dict:
    years = _STORED.get(country)
    if years is None:
        years = {}
        name = _cache_name(country)
        if name is not None:
            from kapm import codecache

            data = codecache.read(name)
            if data is not None:
                import json

                try:
                    got = json.loads(data)
                    years = got if isinstance(got, dict) else {}
                except ValueError:
                    years = {}
        _STORED[country] = years
    return years


def _stored_year(country: str, year: int):
    entry = _stored_years(country).get(str(year))
    if entry is None:
        return None
    try:
        off, on, makeups = (frozenset(_dt.date.fromisoformat(d) for d in part) for part in entry)
    except (TypeError, ValueError):  # not what kapm wrote: compute it again
        return None
    return off, on, makeups


def _store_year(country: str, year: int, hit) -> None:
    name = _cache_name(country)
    if name is None:
        return
    import json

    from kapm import codecache

    years = _stored_years(country)
    years[str(year)] = [sorted(d.isoformat() for d in part) for part in hit]
    codecache.write(name, json.dumps(years, sort_keys=True).encode(), replaces=f"holidays-*-{country}.json")


def country_is_stored(country: str) -> bool:
    """True when public holidays of ``country`` were loaded before (so it is known to
    the installed ``holidays`` package), without importing the package."""
    return bool(_stored_years(country))


def _country_class(country: str):
    """The holidays class of ``country``, importing only its module.

    ``holidays.country_holidays`` imports the ``holidays.countries`` package, whose
    ``__init__`` imports all ~250 country modules (0.1 s on every run).  The registry
    names the one module needed; loading it alone gives the very same class.  Any
    surprise (another package layout) returns None and the caller uses the public API.
    """
    try:
        import importlib.util
        import sys
        from pathlib import Path

        import holidays
        from holidays.registry import COUNTRIES

        for module, entry in COUNTRIES.items():
            if country in entry[1:3]:
                break
        else:
            return None
        name = f"holidays.countries.{module}"
        mod = sys.modules.get(name)
        if mod is None:
            path = Path(holidays.__file__).parent / "countries" / f"{module}.py"
            spec = importlib.util.spec_from_file_location(name, path)
            if spec is None or spec.loader is None:
                return None
            mod = importlib.util.module_from_spec(spec)
            sys.modules[name] = mod
            try:
                spec.loader.exec_module(mod)
            except BaseException:
                del sys.modules[name]
                raise
        return getattr(mod, entry[0])
    except Exception:  # noqa: BLE001 - fall back to the public API, which reports real errors
        return None


_WINDOW_BEFORE = 400  # calendar days kept before the start in the first table
_WINDOW_AFTER = 3 * 366  # calendar days kept after the start in the first table
_MAX_SPAN = 200 * 366  # refuse tables beyond two centuries (bad input, not a real plan)


class WorkCalendar:
    """A working-day calendar anchored at a project start date.

    Raises ``ValueError`` (with a message meant for a finding) when the calendar has
    no working day at all, when ``country`` is unknown to the ``holidays`` package, or
    when a conversion needs a working day that does not exist (possible only with an
    empty ``workweek``, where the explicit and make-up days are all there is).
    """

    __slots__ = (
        "start",
        "workweek",
        "country",
        "_holidays",
        "_workdays",
        "_country_off",
        "_country_on",
        "_years",
        "_lo",
        "_next",
        "_working",
        "_dates",
        "_first",
        "_finite",
    )

    def __init__(
        self,
        start: _dt.date,
        *,
        workweek: Iterable[int] = (0, 1, 2, 3, 4),
        country: str | None = None,
        holidays: Iterable[_dt.date] = (),
        workdays: Iterable[_dt.date] = (),
    ) -> None:
        self.start = start
        self.workweek = frozenset(int(d) for d in workweek)
        bad = [d for d in self.workweek if not 0 <= d <= 6]
        if bad:
            raise ValueError(f"workweek days must be 0 (Monday) … 6 (Sunday), got {sorted(bad)}")
        self.country = country
        self._holidays = frozenset(holidays)
        self._workdays = frozenset(workdays)
        self._country_off: set[_dt.date] = set()
        self._country_on: set[_dt.date] = set()
        self._years: set[int] = set()
        self._finite = not self.workweek
        if country is not None:
            self._check_country(country)
        if self._finite:
            # Without a workweek the working days are a finite set: explicit workdays
            # plus every make-up day the country data knows.
            if country is not None:
                self._load_all_makeups(country)
            days = {d for d in self._workdays | self._country_on if d not in self._holidays or d in self._workdays}
            if not days:
                raise ValueError(
                    "the calendar has no working days: the workweek is empty and no workdays are listed"
                )
            lo = min(min(days), start)
            hi = max(max(days), start)
            self._build(lo - _dt.timedelta(days=1), hi + _dt.timedelta(days=2))
        else:
            self._build(start - _dt.timedelta(days=_WINDOW_BEFORE), start + _dt.timedelta(days=_WINDOW_AFTER))

    # -- country data ---------------------------------------------------------------
    @staticmethod
    def _check_country(country: str) -> None:
        _country_year(country, 2000)

    def _load_all_makeups(self, country: str) -> None:
        self._country_on |= _country_year(country, 2000)[2]

    def _load_years(self, first: int, last: int) -> None:
        if self.country is None:
            return
        for y in range(first, last + 1):
            if y not in self._years:
                off, on, _ = _country_year(self.country, y)
                self._country_off |= off
                self._country_on |= on
                self._years.add(y)

    # -- table ------------------------------------------------------------------------
    def _day_is_working(self, d: _dt.date) -> bool:
        if d in self._workdays:
            return True
        if d in self._holidays:
            return False
        if d in self._country_on:
            return True
        return d.weekday() in self.workweek and d not in self._country_off

    def _build(self, lo: _dt.date, hi: _dt.date) -> None:
        """(Re)build the table for the calendar days lo .. hi (exclusive)."""
        if (hi - lo).days > _MAX_SPAN:
            raise ValueError(f"date {lo if lo < self.start else hi} is too far from the project start {self.start}")
        self._load_years(lo.year, hi.year)
        span = (hi - lo).days
        one = _dt.timedelta(days=1)
        working = bytearray(span)
        dates: list[_dt.date] = []
        d = lo
        for k in range(span):
            if self._day_is_working(d):
                working[k] = 1
                dates.append(d)
            d += one
        # Index of day 0: the first working day on or after start.
        k0 = (self.start - lo).days
        before = sum(working[:k0])
        if before == len(dates):
            if self._finite:
                raise ValueError(f"the calendar has no working day on or after the project start {self.start}")
            # Holidays cover the whole window after start: grow and retry.
            return self._build(lo, hi + _dt.timedelta(days=span))
        first = -before  # index of dates[0]
        nxt: list[int] = [0] * (span + 1)
        i = first + len(dates)  # past the window: "next working day" index
        nxt[span] = i
        for k in range(span - 1, -1, -1):
            if working[k]:
                i -= 1
            nxt[k] = i
        self._lo = lo.toordinal()
        self._working = working
        self._next = nxt
        self._dates = dates
        self._first = first

    def _grow_to_date(self, d: _dt.date) -> None:
        lo = _dt.date.fromordinal(self._lo)
        span = len(self._working)
        hi = lo + _dt.timedelta(days=span)
        need = (lo - d).days if d < lo else (d - hi).days + 1  # days the table lacks
        extra = self._margin(span + need)
        if extra < 0:
            raise ValueError(f"date {d} is too far from the project start {self.start}")
        if d < lo:
            lo = d - _dt.timedelta(days=extra)
        else:
            hi = d + _dt.timedelta(days=extra + 1)
        self._build(lo, hi)

    @staticmethod
    def _margin(span: int) -> int:
        """Days to grow beyond what is needed: half the table and a year (amortised O(1)),
        but never past the span limit; negative when even the need is past it."""
        return min(366 + span // 2, _MAX_SPAN - span)

    def _grow_to_index(self, i: int) -> None:
        if self._finite:
            n = len(self._dates)
            raise ValueError(
                f"working day {i} does not exist: the workweek is empty and only {n} workdays are listed"
            )
        per_week = len(self.workweek)
        while not self._first <= i < self._first + len(self._dates):
            lo = _dt.date.fromordinal(self._lo)
            span = len(self._working)
            hi = lo + _dt.timedelta(days=span)
            if i < self._first:
                missing = self._first - i
            else:
                missing = i - self._first - len(self._dates) + 1
            need = missing * 7 // per_week + 7  # at least a week per pass (holidays: the loop goes on)
            extra = self._margin(span + need)
            if extra < 0:
                raise ValueError(f"working day {i} is too far from the project start {self.start}")
            if i < self._first:
                lo -= _dt.timedelta(days=need + extra)
            else:
                hi += _dt.timedelta(days=need + extra)
            self._build(lo, hi)

    # -- public API -------------------------------------------------------------------
    def is_working(self, d: _dt.date) -> bool:
        """True when ``d`` is a working day."""
        k = d.toordinal() - self._lo
        if 0 <= k < len(self._working):
            return bool(self._working[k])
        return False if self._finite else self._day_is_working(d)

    def index(self, d: _dt.date) -> int:
        """Index of the first working day on or after ``d`` (SPEC ``index(D)``)."""
        k = d.toordinal() - self._lo
        if 0 <= k < len(self._working):
            return self._next[k]
        if self._finite:
            if k < 0:
                return self._first
            raise ValueError(
                f"no working day on or after {d}: the workweek is empty and the listed workdays end earlier"
            )
        self._grow_to_date(d)
        return self._next[d.toordinal() - self._lo]

    def last_index(self, d: _dt.date) -> int:
        """Index of the last working day on or before ``d`` (SPEC ``last(D)``).

        Always ``last_index(d) <= index(d)``; equal exactly when ``d`` is a working day.
        """
        k = d.toordinal() - self._lo
        if 0 <= k < len(self._working):
            return self._next[k] - 1 + self._working[k]
        if self._finite:
            if k >= 0:
                return self._first + len(self._dates) - 1
            raise ValueError(
                f"no working day on or before {d}: the workweek is empty and the listed workdays start later"
            )
        self._grow_to_date(d)
        k = d.toordinal() - self._lo
        return self._next[k] - 1 + self._working[k]

    def date(self, i: int) -> _dt.date:
        """Date of working day ``i`` (any integer; negative = before the start)."""
        j = i - self._first
        if 0 <= j < len(self._dates):
            return self._dates[j]
        self._grow_to_index(i)
        return self._dates[i - self._first]

    def dates(self, indexes: Iterable[int]) -> list[_dt.date]:
        """``[self.date(i) for i in indexes]``, faster for long lists."""
        idx = list(indexes)
        if idx:
            self.date(min(idx))
            self.date(max(idx))
        ds, f = self._dates, self._first
        return [ds[i - f] for i in idx]

    def indexes(self, days: Iterable[_dt.date]) -> list[int]:
        """``[self.index(d) for d in days]``, faster for long lists."""
        ords = [d.toordinal() for d in days]
        if not ords:
            return []
        if self._finite:
            return [self.index(_dt.date.fromordinal(o)) for o in ords]
        self.index(_dt.date.fromordinal(min(ords)))
        self.index(_dt.date.fromordinal(max(ords)))
        nxt, lo = self._next, self._lo
        return [nxt[o - lo] for o in ords]

    def count(self, first: _dt.date, last: _dt.date) -> int:
        """Number of working days in ``first .. last`` (inclusive; 0 when empty)."""
        return max(0, self.last_index(last) - self.index(first) + 1)

    def __repr__(self) -> str:
        return (
            f"WorkCalendar(start={self.start}, workweek={sorted(self.workweek)}, country={self.country!r}, "
            f"holidays={len(self._holidays)}, workdays={len(self._workdays)})"
        )
