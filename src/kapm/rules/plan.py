"""Plan, tracking and people-load rules over the schedule: P002, P004, T001–T006, A003, A004.

The schedule-based rules read ``ctx.schedule()`` (the forecast as of the status date) or
``ctx.schedule(status=False)`` (the plan, which ignores actuals); both are computed once
per project and shared with ``kapm plan``.  A project that cannot be scheduled (unknown
dependency, cycle, ...) gets no findings from them: its errors are reported elsewhere.
"""

from __future__ import annotations

from bisect import bisect_left

from kapm.rules.registry import ERROR, WARNING, Hit, rule

_EPS = 1e-9


def _days(n: int) -> str:
    return f"{n} working day{'' if n == 1 else 's'}"


def _span(a, b) -> str:
    return str(a) if a == b else f"{a}..{b}"


def _pct(x: float) -> str:
    return f"{x * 100:.0f}%"


# --------------------------------------------------------------------------- P: plan


@rule("P002", "deadline-missed", WARNING)
def deadline_missed(ctx):
    """The forecast misses a task or project deadline (negative float).

    A ``deadline`` means "displayed finish on or before this date".  When the forecast
    (actuals and the status date included) finishes later, the task carrying the deadline
    and the chain of tasks driving it get a negative total float: the slip in working
    days.  The finding sits on the ``deadline`` that is missed (done tasks are history and
    are not reported); ``kapm plan --critical`` shows the chain to shorten.

    Bad:
        project: {id: erp, name: ERP, start: 2026-09-01, deadline: 2026-09-04}
        tasks:
          - {id: build, name: Build, duration: 10d}
    Good:
        project: {id: erp, name: ERP, start: 2026-09-01, deadline: 2026-09-30}
        tasks:
          - {id: build, name: Build, duration: 10d}
    """
    sch = ctx.schedule()
    if sch is None:
        return
    cal = sch.calendar
    for ts in sch.tasks:
        t = ts.task
        if t.deadline is None or ts.state == "done":
            continue
        bound = cal.last_index(t.deadline) + 1
        slip = ts.ef - bound
        if slip > 0:
            kind = "milestone" if ts.milestone else ("summary task" if ts.summary else "task")
            when = f"is forecast for {ts.finish}" if ts.milestone else f"is forecast to finish on {ts.finish}"
            yield Hit(f"{kind} '{t.id}' {when}, {_days(slip)} after its deadline "
                      f"{t.deadline} (total float {-slip}); its successors and the client date slip with it",
                      t.path + ("deadline",),
                      "shorten or overlap the critical tasks before it (kapm plan --critical), "
                      "or agree a new date with the client")
    p = ctx.project.project
    slip = sch.slip_days
    if slip is not None and slip > 0:
        yield Hit(f"the project is forecast to finish on {sch.finish}, {_days(slip)} after its deadline "
                  f"{p.deadline} (total float {-slip} on the critical path); the committed date will be missed",
                  p.path + ("deadline",),
                  "shorten or overlap the critical path (kapm plan --critical), or agree a new date with the client")


@rule("P004", "not-before-overridden", WARNING)
def not_before_overridden(ctx):
    """``not_before`` conflicts with the dependencies: they start the task later anyway.

    ``not_before: D`` is a start-no-earlier-than constraint (MS Project's "Start No
    Earlier Than", a flexible constraint): a floor under the start, and the dependencies
    win over it.  When they already put the start (in the plan schedule, without actuals)
    after D, the task does not start on D: the dependencies, not the constraint, drive
    it, and the date in the file is wrong.  Usually D is a promise — a workshop booked with the client,
    a delivery date — so the plan silently breaks it.  The finding names the dependency
    that drives the start (a summary's ``not_before`` is checked against its earliest
    leaf; a milestone's date is the end of that working day).

    Bad:
        tasks:
          - {id: design, name: Design, duration: 10d}
          - {id: training, name: Training, duration: 3d, depends: [design], not_before: 2026-09-07}
    Good:
        tasks:
          - {id: design, name: Design, duration: 10d}
          - {id: training, name: Training, duration: 3d, depends: [design], not_before: 2026-09-21}
    """
    sch = ctx.schedule(status=False)
    if sch is None:
        return
    cal = sch.calendar
    incoming: dict[str, list[int]] = {}
    for k, (_pred, succ, _type, _lag) in enumerate(sch.links):
        if sch.driving[k]:
            incoming.setdefault(succ, []).append(k)
    for ts in sch.tasks:
        t = ts.task
        if t.not_before is None:
            continue
        floor = max(cal.index(t.not_before) + (1 if ts.milestone else 0), 0)
        if ts.summary:
            first = min((sch.by_id[x.id] for x in t.leaves()), key=lambda x: (x.es, x.wbs))
        else:
            first = ts
        if first.es <= floor:
            continue
        drivers = incoming.get(first.id)
        if not drivers:
            continue  # pushed by another not_before, not by a dependency
        pred, _succ, typ, lag = sch.links[drivers[0]]
        p = sch.by_id[pred]
        how = {"FS": f"finishing {p.finish}", "SS": f"starting {p.start}",
               "FF": f"finishing {p.finish}", "SF": f"starting {p.start}"}[typ]
        dep = f"{typ}:{pred}" if typ != "FS" else pred
        if lag:
            dep += f"{lag:+d}d"
        where = f" (through leaf '{first.id}')" if ts.summary else ""
        yield Hit(f"task '{t.id}' has not_before {t.not_before}, but its dependency '{dep}' ({how}) lets it "
                  f"start only on {ts.start}{where}, {_days(first.es - floor)} later: the not_before date has "
                  "no effect and the plan does not keep it",
                  t.path + ("not_before",),
                  f"if {t.not_before} is a commitment, shorten or re-link '{pred}'; otherwise set not_before to "
                  f"{ts.start} or remove it")


# --------------------------------------------------------------------------- T: tracking


@rule("T001", "finish-before-start", ERROR)
def finish_before_start(ctx):
    """``actual_finish`` is before ``actual_start``.

    One of the two dates is wrong; the forecast cannot place the task.

    Bad:
        tasks:
          - {id: design, name: Design, duration: 5d, actual_start: 2026-09-10, actual_finish: 2026-09-08}
    Good:
        tasks:
          - {id: design, name: Design, duration: 5d, actual_start: 2026-09-08, actual_finish: 2026-09-10}
    """
    for n in ctx.wbs.nodes:
        t = n.task
        if t.actual_start is not None and t.actual_finish is not None and t.actual_finish < t.actual_start:
            yield Hit(f"task '{t.id}' finished on {t.actual_finish}, before it started on {t.actual_start}; "
                      "the forecast cannot place it", t.path + ("actual_finish",),
                      "correct actual_start or actual_finish")


@rule("T002", "actual-after-status-date", ERROR)
def actual_after_status_date(ctx):
    """An actual date lies after the status date.

    Actuals record what has happened by the status date (``--as-of``, default today); a
    later date is a typo or a plan written into the actuals, and it would make the forecast
    and earned value wrong.

    Bad:
        # kapm check --as-of 2026-11-20
        tasks:
          - {id: design, name: Design, duration: 5d, actual_start: 2026-12-01}
    Good:
        # kapm check --as-of 2026-11-20
        tasks:
          - {id: design, name: Design, duration: 5d, actual_start: 2026-11-02}
    """
    as_of = ctx.as_of
    for n in ctx.wbs.nodes:
        t = n.task
        for name in ("actual_start", "actual_finish"):
            d = getattr(t, name)
            if d is not None and d > as_of:
                yield Hit(f"task '{t.id}' has {name} {d}, after the status date {as_of}; actuals can only record "
                          "the past, so the forecast and earned value would be wrong",
                          t.path + (name,), "correct the date, or remove it until it has happened")


@rule("T003", "progress-finish-mismatch", WARNING)
def progress_finish_mismatch(ctx):
    """Progress 100 without ``actual_finish``, or ``actual_finish`` with progress below 100.

    The two say different things about whether the task is done.  kapm treats either as
    done (SPEC §4), which may hide work still open, or a finish date never recorded.

    Bad:
        tasks:
          - {id: design, name: Design, duration: 5d, progress: 100, actual_start: 2026-09-01}
    Good:
        tasks:
          - {id: design, name: Design, duration: 5d, progress: 100, actual_start: 2026-09-01,
             actual_finish: 2026-09-07}
    """
    for n in ctx.wbs.nodes:
        t = n.task
        if t.tasks:
            continue
        if t.progress is not None and t.progress >= 100 and t.actual_finish is None:
            yield Hit(f"task '{t.id}' has progress 100 but no actual_finish; kapm counts it done without knowing "
                      "when it finished", t.path + ("progress",), "add actual_finish: YYYY-MM-DD")
        elif t.actual_finish is not None and t.progress is not None and t.progress < 100:
            yield Hit(f"task '{t.id}' has actual_finish {t.actual_finish} but progress {t.progress:g}; kapm counts "
                      "it done, so the open work disappears from the forecast", t.path + ("progress",),
                      "set progress: 100, or remove actual_finish if work remains")


def _plan_and_forecast(ctx):
    plan = ctx.schedule(status=False)
    return plan, ctx.schedule() if plan is not None else None


@rule("T004", "start-overdue", WARNING)
def start_overdue(ctx):
    """A task should have started: its planned start has passed and it has not started.

    The planned start comes from the plan schedule (dependencies and durations, without
    actuals).  A task whose planned *finish* has passed too is reported as T005 instead.
    Record ``actual_start`` / ``progress`` if it has started; otherwise the forecast
    moves it to the status date and everything after it slips.

    Bad:
        # kapm check --as-of 2026-09-10
        project: {id: erp, name: ERP, start: 2026-09-01}
        tasks:
          - {id: design, name: Design, duration: 10d}
    Good:
        # kapm check --as-of 2026-09-10
        project: {id: erp, name: ERP, start: 2026-09-01}
        tasks:
          - {id: design, name: Design, duration: 10d, actual_start: 2026-09-01, progress: 40}
    """
    plan, fc = _plan_and_forecast(ctx)
    if plan is None or fc is None:
        return
    as_of = ctx.as_of
    idx = plan.calendar.index(as_of)
    for ts in plan.tasks:
        if ts.summary or ts.milestone or ts.state != "not_started" or ts.finish < as_of or ts.start >= as_of:
            continue
        f = fc.by_id[ts.id]
        yield Hit(f"task '{ts.id}' was planned to start on {ts.start} ({_days(idx - ts.es)} ago) but has not "
                  f"started; the forecast moves it to {f.start} and its finish to {f.finish}",
                  ts.task.path + ("id",), "record actual_start and progress if it has started, or re-plan it")


@rule("T005", "finish-overdue", WARNING)
def finish_overdue(ctx):
    """A task is overdue: its planned finish has passed and it is not done.

    The planned finish comes from the plan schedule (without actuals).  Either the task is
    done and the actuals are missing, or it is late and its successors will slip.

    Bad:
        # kapm check --as-of 2026-09-20
        project: {id: erp, name: ERP, start: 2026-09-01}
        tasks:
          - {id: design, name: Design, duration: 5d, actual_start: 2026-09-01, progress: 60}
    Good:
        # kapm check --as-of 2026-09-20
        project: {id: erp, name: ERP, start: 2026-09-01}
        tasks:
          - {id: design, name: Design, duration: 5d, actual_start: 2026-09-01, actual_finish: 2026-09-07,
             progress: 100}
    """
    plan, fc = _plan_and_forecast(ctx)
    if plan is None or fc is None:
        return
    as_of = ctx.as_of
    cal = plan.calendar
    idx = cal.index(as_of)
    for ts in plan.tasks:
        if ts.summary or ts.state == "done" or ts.finish >= as_of:
            continue
        late = idx - cal.last_index(ts.finish)  # working days from the planned last day to the status date
        f = fc.by_id[ts.id]
        what = f"milestone '{ts.id}' was planned for" if ts.milestone else f"task '{ts.id}' was planned to finish on"
        yield Hit(f"{what} {ts.finish} ({_days(late)} before the status date) "
                  f"and is not done; the forecast finish is {f.finish}", ts.task.path + ("id",),
                  "record actual_finish and progress: 100 if it is done, otherwise update remaining or progress "
                  "and check its successors")


@rule("T006", "started-before-predecessor", WARNING)
def started_before_predecessor(ctx):
    """A task started before its finish-to-start predecessors were done.

    A finish-to-start dependency says the task cannot start before the predecessor is
    finished.  Either the dependency is wrong (make it SS, or add a lead like ``design-2d``)
    or the work started on unfinished input.  Checked for tasks with an ``actual_start``
    against predecessors not done yet, or done on or after that date (a milestone
    predecessor such as a kick-off may be reached on the morning of that date); dependencies
    with a lead (negative lag) allow the overlap.

    Bad:
        tasks:
          - {id: design, name: Design, duration: 5d, actual_start: 2026-09-01, progress: 50}
          - {id: build, name: Build, duration: 10d, depends: [design], actual_start: 2026-09-03}
    Good:
        tasks:
          - {id: design, name: Design, duration: 5d, actual_start: 2026-09-01, progress: 50}
          - {id: build, name: Build, duration: 10d, depends: ["SS:design+2d"], actual_start: 2026-09-03}
    """
    sch = ctx.schedule(status=False)
    if sch is None:
        return
    preds: dict[str, list[str]] = {}
    for pred, succ, typ, lag in sch.links:
        if typ == "FS" and lag >= 0:
            preds.setdefault(succ, []).append(pred)
    for ts in sch.tasks:
        t = ts.task
        if ts.summary or t.actual_start is None or ts.id not in preds:
            continue
        bad = []
        for pid in dict.fromkeys(preds[ts.id]):
            p = sch.by_id[pid]
            pt = p.task
            if p.state != "done":
                bad.append(f"'{pid}' is not done" if p.state == "not_started" else f"'{pid}' is still in progress")
            elif pt.actual_finish is not None and (pt.actual_finish > t.actual_start or (
                    pt.actual_finish == t.actual_start and not p.milestone)):
                bad.append(f"'{pid}' finished only on {pt.actual_finish}")
        if bad:
            shown = ", ".join(bad[:3]) + (f" and {len(bad) - 3} more" if len(bad) > 3 else "")
            yield Hit(f"task '{t.id}' started on {t.actual_start} before its finish-to-start predecessors were "
                      f"done: {shown}; it works on unfinished input or the dependency is wrong",
                      t.path + ("actual_start",),
                      "if the overlap is intended, make the dependency SS or give it a lead (e.g. design-2d)")


# --------------------------------------------------------------------------- A: people


def _capacity(person) -> float:
    cap = getattr(person, "capacity", None)
    return 1.0 if cap is None else float(cap)


@rule("A003", "over-allocated", WARNING)
def over_allocated(ctx):
    """A person is over-allocated: on some working days their load exceeds their capacity.

    The load of a day is the sum of the person's allocations (``assignees`` percent) over
    the leaf tasks of the forecast that still have work on that day (done work and the
    past are not counted); capacity is the person's ``capacity`` (default 1 = 100 %).
    One finding per over-allocated period, at the assignment of the task that starts it,
    with the dates, the peak load and the tasks involved.

    Bad:
        team:
          - {id: li.wei, name: 李伟}
        tasks:
          - {id: design, name: Design, duration: 5d, assignees: {li.wei: 100}}
          - {id: review, name: Review, duration: 3d, assignees: {li.wei: 50}}
    Good:
        team:
          - {id: li.wei, name: 李伟}
        tasks:
          - {id: design, name: Design, duration: 5d, assignees: {li.wei: 100}}
          - {id: review, name: Review, duration: 3d, depends: [design], assignees: {li.wei: 50}}
    """
    sch = ctx.schedule()
    if sch is None:
        return
    cal = sch.calendar
    events: dict[str, list[tuple[int, int, float, int]]] = {}  # person -> (day, +1 start/-1 end, alloc, wbs pos)
    order = {ts.id: k for k, ts in enumerate(sch.tasks)}
    for ts in sch.tasks:
        if ts.summary or ts.state == "done" or ts.ef <= ts.resume:
            continue
        for who, alloc in ts.task.assignees.items():
            ev = events.setdefault(who, [])
            ev.append((ts.resume, 1, alloc / 100, order[ts.id]))
            ev.append((ts.ef, -1, alloc / 100, order[ts.id]))
    people = ctx.people
    for who in sorted(events):
        cap = _capacity(people.get(who))
        ev = sorted(events[who], key=lambda e: (e[0], e[1]))  # ends before starts on the same day
        load = 0.0
        active: dict[int, float] = {}
        period = None  # [first day, peak, tasks at peak, opening task]
        reported = 0
        i = 0
        while i < len(ev):
            day = ev[i][0]
            opener = None
            while i < len(ev) and ev[i][0] == day:
                _d, kind, alloc, k = ev[i]
                if kind > 0:
                    active[k] = active.get(k, 0.0) + alloc
                    load += alloc
                    opener = k if opener is None or k > opener else opener
                else:
                    active[k] -= alloc
                    load -= alloc
                    if active[k] <= _EPS:
                        del active[k]
                i += 1
            if not active:
                load = 0.0  # no float drift between busy periods
            if load > cap + _EPS:
                # remember where the peak is; the tasks at the peak are replayed only for the
                # (at most 10) periods reported, instead of copying the active set each time
                if period is None:
                    period = [day, load, i, opener if opener is not None else max(active)]
                elif load > period[1] + _EPS:
                    period[1], period[2] = load, i
            elif period is not None:
                if reported < 10:
                    period[2] = _active_at(ev, period[2])
                    yield _overload_hit(sch, cal, who, cap, period, day, reported == 9)
                reported += 1
                period = None


def _active_at(ev, upto: int) -> dict[int, float]:
    """Allocation per task after the first ``upto`` events (task position -> share)."""
    active: dict[int, float] = {}
    for _d, kind, alloc, k in ev[:upto]:
        active[k] = active.get(k, 0.0) + alloc * kind
        if active[k] <= _EPS:
            del active[k]
    return active


def _overload_hit(sch, cal, who, cap, period, end, last):
    first, peak, tasks_at_peak, opener = period
    ts = sch.tasks[opener]
    names = ", ".join(f"'{sch.tasks[k].id}' {_pct(a)}" for k, a in sorted(tasks_at_peak.items()))
    more = " (further periods are not listed)" if last else ""
    return Hit(f"{who} is over-allocated on {_span(cal.date(first), cal.date(end - 1))}: load up to {_pct(peak)} "
               f"against a capacity of {_pct(cap)} ({names}); the work cannot be done in the planned time{more}",
               ts.task.path + ("assignees", who),
               "move one task after the other (add a dependency), lower an allocation, or assign someone else",
               key=True)


@rule("A004", "assignee-on-leave", WARNING)
def assignee_on_leave(ctx):
    """An assignee is on leave during the task.

    Checked against the team member's ``leaves`` on the working days where the forecast
    still has work for the task (done tasks and the past are not checked).  Either the
    task runs late or someone else has to step in.

    Bad:
        team:
          - {id: he.xin, name: 何欣, leaves: [2026-09-03..2026-09-04]}
        tasks:
          - {id: test, name: Testing, duration: 5d, assignees: [he.xin]}
    Good:
        team:
          - {id: he.xin, name: 何欣, leaves: [2026-09-03..2026-09-04]}
        tasks:
          - {id: test, name: Testing, duration: 5d, assignees: [he.xin], not_before: 2026-09-07}
    """
    sch = ctx.schedule()
    if sch is None:
        return
    from kapm.model import expand_days

    cal = sch.calendar
    people = ctx.people
    leave_idx: dict[str, list[int]] = {}
    for ts in sch.tasks:
        if ts.summary or ts.state == "done" or ts.ef <= ts.resume:
            continue
        for who in ts.task.assignees:
            if who not in leave_idx:
                days = expand_days(getattr(people.get(who), "leaves", None) or [])
                leave_idx[who] = sorted(_working_indexes(cal, days))
            idx = leave_idx[who]
            lo = bisect_left(idx, ts.resume)
            hi = bisect_left(idx, ts.ef)
            if lo >= hi:
                continue
            hit = idx[lo:hi]
            runs, start, prev = [], hit[0], hit[0]
            for i in hit[1:]:
                if i != prev + 1:
                    runs.append((start, prev))
                    start = i
                prev = i
            runs.append((start, prev))
            shown = ", ".join(_span(cal.date(a), cal.date(b)) for a, b in runs[:3])
            if len(runs) > 3:
                shown += f" and {len(runs) - 3} more"
            yield Hit(f"{who} is on leave {shown} ({_days(len(hit))}) while task '{ts.id}' is planned "
                      f"{_span(cal.date(ts.resume), ts.finish)}; the task will run late unless someone steps in",
                      ts.task.path + ("assignees", who),
                      "assign a stand-in for those days, or move the task (not_before / dependency)", key=True)


def _working_indexes(cal, days):
    """Indexes of the working days among ``days``; days the calendar cannot reach (centuries
    away from the project) cannot overlap a task and are skipped."""
    for d in days:
        try:
            if cal.is_working(d):
                yield cal.index(d)
        except ValueError:
            continue
