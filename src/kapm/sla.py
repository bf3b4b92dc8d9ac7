"""Client service arithmetic: request SLA breaches and lapsed communication-plan items.

Used by rules C001, C003 and C004 and by the client health dimension (``kapm.status``),
so both always agree on what a breach or a lapse is.

Decisions (SPEC §2.1, §4, §5):

* **Effective SLA** — the account's ``sla`` with the priorities that ``project.sla``
  defines replaced (per priority, not per field).  A priority without a target, or a
  target without ``respond`` / ``resolve``, can never be breached.
* **Clock time** — SLA durations are clock minutes (``1d`` = 24 hours, weekends and
  holidays included), the way service contracts usually count; timestamps are project
  local time.  A timestamp with an explicit offset is compared with a naive one as if
  the naive one had the same offset.
* **Status date** — ``as_of`` means the *end* of that day (23:59).  Requests received
  after it are ignored, and a response or resolution stamped after it has not happened
  yet, so replaying history (``kapm trend``) gives the answer of that day.  A request
  still open at the status date is a breach once its target has passed (``actual`` is
  None then).
* **Comms cadence** — a plan item is kept when a log entry with ``plan: <id>`` is dated
  no later than *last entry + cadence + grace* where cadence is calendar time
  (weekly 7 days, biweekly 14 days, monthly one calendar month, quarterly three
  calendar months; the day of month is clamped, 31 Jan + 1 month = 28/29 Feb) and grace
  is ``comms_grace_days`` *working* days of the project calendar (workweek, country
  holidays and 调休 make-up days, the project's own holidays/workdays).  Without a log
  entry the clock starts at ``project.start``.  ``milestones`` items are due within
  7 calendar days + grace after each milestone task that has an ``actual_finish`` on or
  before the status date; a log entry from 7 days before that milestone on counts.  Closed
  and cancelled projects have no lapses.
"""

from __future__ import annotations

import calendar as _cal
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

__all__ = ["Breach", "Lapse", "effective_sla", "request_breaches", "lapsed_comms", "work_calendar",
           "add_working_days", "working_days_between", "format_minutes", "CADENCE_DAYS", "cadence_step"]

#: Cadence length in calendar days for the fixed cadences (months are added as months).
CADENCE_DAYS = {"weekly": 7, "biweekly": 14}
_CADENCE_MONTHS = {"monthly": 1, "quarterly": 3}
_MILESTONE_WINDOW = 7  # calendar days after a milestone for its review (and before it, for early ones)


@dataclass(frozen=True)
class Breach:
    """One request that missed (or, still open, is missing) a target."""

    request_id: str
    kind: str  # "respond" | "resolve"
    target: int  # minutes
    actual: int | None  # minutes from received to responded/resolved; None while still open
    breached_at: datetime  # received + target: the moment the target was missed
    request: object  # the kapm.model Request

    @property
    def open(self) -> bool:
        return self.actual is None


@dataclass(frozen=True)
class Lapse:
    """A communication-plan item without the log entry its cadence asks for."""

    item: object  # the kapm.model CommsItem
    last: date | None  # date of the latest log entry with plan: <id> (on or before as_of)
    since: date  # where the clock started: last entry, project start, or the milestone's finish
    due: date  # the last day a log entry was expected (cadence + grace)
    overdue_days: int  # calendar days from due to as_of (>= 1)
    milestone: str | None = None  # for cadence: milestones, the task id whose review is missing

    @property
    def item_id(self) -> str:
        return self.item.id


# --------------------------------------------------------------------------- SLA


def effective_sla(result):
    """The SLA that applies to the project's requests (account SLA overridden by project SLA), or None."""
    project = result.model.project
    acc = result.account.model if result.account is not None and result.account.model is not None else None
    base = acc.account.sla if acc is not None else None
    if base is None:
        return project.sla
    return base.merged(project.sla)


def _align(ts: datetime, ref: datetime) -> datetime:
    """``ts`` comparable with ``ref``: a naive timestamp takes the other's offset."""
    if (ts.tzinfo is None) == (ref.tzinfo is None):
        return ts
    return ts.replace(tzinfo=ref.tzinfo) if ts.tzinfo is None else ts.replace(tzinfo=None)


def _minutes(start: datetime, end: datetime) -> int:
    return int((_align(end, start) - start).total_seconds() // 60)


def request_breaches(result, as_of: date) -> list:
    """Every SLA breach of the project's requests as of the end of ``as_of``, in request order
    (for each request: respond before resolve).  Computed once per project and status date:
    rules C003/C004, health, reports and the portfolio share it."""
    cache = result.__dict__.setdefault("_sla_breaches", {})
    if as_of not in cache:
        cache[as_of] = _request_breaches(result, as_of)
    return cache[as_of]


def client_window_days(result) -> int:
    """The window of "recent" SLA breaches (health ``client_window_days``, 30 by default)."""
    model = result.config.model if result.config is not None else None
    return model.health.client_window_days if model is not None else 30


def _request_breaches(result, as_of: date) -> list:
    sla = effective_sla(result)
    if sla is None:
        return []
    out = []
    for req in result.model.requests:
        target = sla.target(req.priority)
        if target is None:
            continue
        received = req.received
        end = datetime.combine(as_of, time(23, 59), tzinfo=received.tzinfo)
        if received > end:
            continue  # not received yet at the status date
        for kind, limit, done in (("respond", target.respond, req.responded),
                                  ("resolve", target.resolve, req.resolved)):
            if limit is None:
                continue
            due = received + timedelta(minutes=limit)
            if done is not None and _align(done, received) <= end:
                actual = _minutes(received, done)
                if actual > limit:
                    out.append(Breach(req.id, kind, limit, actual, due, req))
            elif end > due:
                out.append(Breach(req.id, kind, limit, None, due, req))
    return out


def format_minutes(minutes: int) -> str:
    """A clock duration for messages: ``2h``, ``1d 4h``, ``45m``, ``3d``."""
    days, rest = divmod(max(0, minutes), 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days}d"] if days else []
    if hours:
        parts.append(f"{hours}h")
    if mins:
        parts.append(f"{mins}m")
    return " ".join(parts) or "0m"


# --------------------------------------------------------------------------- working days


class _MonFri:
    """Fallback calendar when the project calendar cannot be built: Monday to Friday."""

    @staticmethod
    def is_working(d: date) -> bool:
        return d.weekday() < 5


def work_calendar(result):
    """The project's working-day calendar (the scheduler's, shared); Mon–Fri when it cannot
    be built (unknown country, empty workweek: those are reported by other stages)."""
    from kapm.schedule import work_calendar as project_calendar

    try:
        return project_calendar(result)
    except ValueError:
        return _MonFri()


def add_working_days(cal, day: date, n: int) -> date:
    """The n-th working day after ``day`` (``day`` itself when n = 0)."""
    d = day
    one = timedelta(days=1)
    for _ in range(n):
        d += one
        guard = 0
        while not cal.is_working(d):
            d += one
            guard += 1
            if guard > 400:  # a calendar with no working days ahead: count calendar days
                break
    return d


def working_days_between(cal, first: date, last: date) -> int:
    """Working days after ``first`` up to and including ``last`` (0 when last <= first)."""
    if last <= first:
        return 0
    if hasattr(cal, "count"):  # a WorkCalendar: table lookup, no day-by-day walk
        try:
            return cal.count(first + timedelta(days=1), last)
        except ValueError:
            pass
    span = (last - first).days
    if span > 20000:  # absurd inputs (validation bounds dates anyway): approximate
        return span * 5 // 7
    one = timedelta(days=1)
    d, n = first, 0
    for _ in range(span):
        d += one
        n += cal.is_working(d)
    return n


# --------------------------------------------------------------------------- comms


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, _cal.monthrange(year, month)[1]))


def cadence_step(cadence: str | None, d: date, sign: int = 1) -> date:
    """``d`` moved by one period of ``cadence`` (calendar time; months as months, the day
    clamped); a missing or unknown cadence counts as weekly.  Used for comms lapses and
    for the reporting period of reports."""
    months = _CADENCE_MONTHS.get(cadence)
    if months is not None:
        return _add_months(d, months * sign)
    return d + timedelta(days=CADENCE_DAYS.get(cadence, 7) * sign)


def lapsed_comms(result, as_of: date, grace_days: int | None = None) -> list:
    """Communication-plan items whose next log entry is overdue at ``as_of``, in plan order.

    ``grace_days`` defaults to the ``comms_grace_days`` setting of the workspace (2); with
    the default the result is computed once per project and status date.
    """
    if grace_days is not None:
        return _lapsed_comms(result, as_of, grace_days)
    cache = result.__dict__.setdefault("_sla_lapses", {})
    if as_of not in cache:
        cache[as_of] = _lapsed_comms(result, as_of, None)
    return cache[as_of]


def _lapsed_comms(result, as_of: date, grace_days: int | None) -> list:
    p = result.model
    if p.project.status in ("closed", "cancelled"):
        return []
    if grace_days is None:
        settings = result.config.settings if result.config is not None else {}
        grace_days = int(settings.get("comms_grace_days", 2))
    entries: dict[str, list[date]] = {}
    for e in p.log:
        if e.plan and e.date <= as_of:
            entries.setdefault(e.plan, []).append(e.date)
    out = []
    for item in p.comms:
        dates = sorted(entries.get(item.id, ()))
        if item.cadence == "milestones":
            lapse = _milestone_lapse(result, item, dates, as_of, grace_days)
        else:
            last = dates[-1] if dates else None
            since = last or p.project.start
            if since >= as_of:
                continue
            due = add_working_days(work_calendar(result), cadence_step(item.cadence, since), grace_days)
            lapse = Lapse(item, last, since, due, (as_of - due).days) if as_of > due else None
        if lapse is not None:
            out.append(lapse)
    return out


def _milestone_lapse(result, item, dates: list[date], as_of: date, grace_days: int):
    """The most recent finished milestone without a review log entry around it, if any."""
    window = timedelta(days=_MILESTONE_WINDOW)
    reached = sorted(((t.actual_finish, t.id) for t in result.model.all_tasks()
                      if t.is_milestone and t.actual_finish is not None and t.actual_finish <= as_of),
                     reverse=True)
    cal = work_calendar(result)
    for finish, tid in reached:
        due = add_working_days(cal, finish + window, grace_days)
        if as_of <= due:
            continue  # still within the review window
        if any(finish - window <= d for d in dates):
            return None  # the latest missed-window milestone was reviewed
        return Lapse(item, dates[-1] if dates else None, finish, due, (as_of - due).days, tid)
    return None
