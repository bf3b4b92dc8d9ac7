"""Model → working-day calendar → CPM engine → :class:`Schedule` (SPEC §3, §4).

This adapter is the only place that turns a validated project into engine input and the
engine's integer indexes back into dates.  The arithmetic lives in two pure modules:
:mod:`kapm.workdays` (dates ↔ working-day indexes) and :mod:`kapm.cpm` (forward and
backward pass, floats, critical paths).  The engine already enumerates the critical
paths on plain lists, so no graph library is needed here.

What the adapter decides (documented in ``docs/scheduling.md``):

* **Summaries** are expanded: a dependency *on* a summary is a dependency on each of its
  leaf descendants, a dependency *of* a summary applies to each of its leaf descendants
  (``not_before`` and ``deadline`` of a summary too).  Only leaves reach the engine;
  a summary's dates span its children, its floats are the smallest of its not-done
  leaves, it is critical when one of its leaves is.
* **Durations**: ``Task.planned_duration()`` (``duration``, else PERT of ``estimate``,
  0 for a milestone).
* **Milestones**: ``not_before: D`` → S ≥ index(D) + 1, an actual date D → S = F =
  last(D) + 1 (a milestone date is the end of that working day); displayed on S − 1, or
  on day 0 when S = 0.
* **Deadlines** (task, summary, project): F ≤ last(D) + 1.
* **State** (SPEC §4) comes from the data in both variants: *done* when
  ``actual_finish`` is set or progress = 100, *in progress* when ``actual_start`` is set or
  0 < progress < 100, else *not started*.  Only the forecast (``status=True``) lets the
  state and actuals move dates; the plan (``status=False``) ignores them.
* **Remaining work** of an in-progress task: ``remaining``, else
  ceil(duration × (100 − progress) / 100) working days.
* The status index is ``index(as_of)``: work not yet done can start on the status date.

A project that cannot be scheduled (no model, unknown dependency R001, duplicate task id
R003, cycle P001, a leaf without a duration S003, a calendar that cannot be built) gets
``None``; :func:`unschedulable_reason` says why.  Those problems are reported by their own
rules and stages, never here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from kapm import cpm
from kapm.workdays import WorkCalendar

__all__ = ["TaskSchedule", "Schedule", "schedule_project", "unschedulable_reason", "work_calendar",
           "task_state", "DONE", "IN_PROGRESS", "NOT_STARTED"]

DONE = cpm.DONE
IN_PROGRESS = cpm.IN_PROGRESS
NOT_STARTED = cpm.NOT_STARTED

_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


@dataclass
class TaskSchedule:
    """One task of a schedule (leaf or summary), dates as displayed (SPEC §3).

    ``start``/``finish`` are the first and last working day of the task (a milestone shows
    one date in both); ``es``/``ef``/``ls``/``lf`` are the engine's working-day indexes
    (S and F: ``ef`` is the boundary after the last day).  Floats are working days; a
    negative total float is the slip behind a deadline.  ``duration`` is the planned
    duration of a leaf and the span ``ef − es`` of a summary.
    """

    id: str
    name: str
    wbs: str
    parent: str | None
    summary: bool
    milestone: bool
    duration: int
    start: date
    finish: date
    late_start: date
    late_finish: date
    total_float: int
    free_float: int
    critical: bool
    state: str  # 'done' | 'in_progress' | 'not_started'
    progress: float  # 0-100; a summary's is the duration-weighted rollup of its leaves
    deadline: date | None
    es: int
    ef: int
    ls: int
    lf: int
    task: object  # the kapm.model Task
    resume: int = 0  # where the remaining work restarts (= es unless in progress)
    remaining: int = 0  # working days of work left (forecast); duration for the plan
    children: list[str] = field(default_factory=list)  # ids of direct children (summary)
    baseline_start: date | None = None
    baseline_finish: date | None = None
    finish_variance: int | None = None  # working days, forecast finish − baseline finish

    @property
    def depth(self) -> int:
        return self.wbs.count(".")


@dataclass
class Schedule:
    """The schedule of one project: the forecast (``as_of`` set) or the plan (``as_of`` None)."""

    project_id: str
    as_of: date | None  # the status date of a forecast; None for the plan schedule
    start: date  # day 0
    finish: date  # forecast finish: the latest displayed finish of any task
    deadline: date | None
    tasks: list[TaskSchedule]  # WBS order, summaries included
    by_id: dict[str, TaskSchedule]
    critical_path: list[str]  # the first critical path (leaf ids), [] without one
    critical_paths: list[list[str]]
    calendar: WorkCalendar
    finish_index: int  # F of the project (latest early finish of a leaf)
    deadline_index: int | None  # last(deadline) + 1
    status_index: int | None  # index(as_of) for a forecast
    critical_float: int  # threshold: critical when total float <= this
    links: list[tuple[str, str, str, int]]  # expanded leaf links (pred, succ, type, lag)
    driving: list[bool]  # per link: tight on early dates (it sets the successor's date)
    critical_paths_truncated: bool = False

    @property
    def leaves(self) -> list[TaskSchedule]:
        return [t for t in self.tasks if not t.summary]

    @property
    def slip_days(self) -> int | None:
        """Working days the forecast finish lies after the deadline (negative = ahead); None
        without a project deadline."""
        if self.deadline_index is None:
            return None
        return self.finish_index - self.deadline_index

    def milestone_date(self, index: int) -> date:
        """Displayed date of a milestone with S = ``index``."""
        return self.calendar.date(index - 1 if index != 0 else 0)


def task_state(task) -> str:
    """SPEC §4 state of a leaf from its recorded progress and actuals."""
    progress = task.progress or 0
    if task.actual_finish is not None or progress >= 100:
        return DONE
    if task.actual_start is not None or progress > 0:
        return IN_PROGRESS
    return NOT_STARTED


def work_calendar(result) -> WorkCalendar:
    """The project's calendar: its ``calendar`` section, else kapm.yaml's, else Mon–Fri.

    Raises ``ValueError`` (unknown country, no working day, ...).
    """
    from kapm.model import expand_days

    cached = result.__dict__.get("_work_calendar")
    if cached is not None:
        return cached
    model = result.model
    cal = model.calendar
    if cal is None and result.config is not None:
        cal = result.config.section("calendar")
    start = model.project.start
    if cal is None:
        built = WorkCalendar(start)
    else:
        built = WorkCalendar(start, workweek=[_WEEKDAYS[d] for d in cal.workweek], country=cal.country,
                             holidays=expand_days(cal.holidays), workdays=expand_days(cal.workdays))
    result.__dict__["_work_calendar"] = built  # one per project: the checks and both schedules share it
    return built


def _wbs(result):
    from kapm.wbs import build

    cache = result.__dict__
    if "_wbs" not in cache:
        cache["_wbs"] = build(result.model.tasks)
    return cache["_wbs"]


def unschedulable_reason(result) -> str | None:
    """Why the project cannot be scheduled (a sentence), or None when it can (cached)."""
    cache = result.__dict__
    if "_unschedulable" not in cache:
        cache["_unschedulable"] = _unschedulable(result)
    return cache["_unschedulable"]


def _unschedulable(result) -> str | None:
    if result.model is None:
        return "the project files do not validate"
    wbs = _wbs(result)
    if wbs.unknown:
        return f"task '{wbs.unknown[0].succ}' depends on unknown task '{wbs.unknown[0].pred}' (R001)"
    if wbs.duplicates:
        return f"task id '{wbs.duplicates[0].task.id}' is used twice (R003)"
    for node in wbs.nodes:
        if not node.task.tasks and node.task.planned_duration() is None:
            return f"task '{node.task.id}' has no duration (S003)"
    cycles = wbs.cycles()
    if cycles:
        return "dependency cycle: " + " → ".join(cycles[0][0]) + " (P001)"
    try:
        work_calendar(result)
    except ValueError as exc:
        return f"the calendar cannot be built: {exc}"
    return None


def schedule_project(result, *, status: bool, as_of: date | None) -> Schedule | None:
    """The forecast (``status=True``: actuals and the status date ``as_of`` count) or the
    plan schedule of ``result`` (kapm.analysis.ProjectResult); None when it cannot be
    scheduled (see :func:`unschedulable_reason`)."""
    if unschedulable_reason(result) is not None:
        return None
    if status and as_of is None:
        raise ValueError("a forecast needs a status date")
    try:
        return _schedule(result, status, as_of)
    except (cpm.CycleError, ValueError):
        # dates too far from the start for the calendar; cycles are found above
        return None


@dataclass
class _Prepared:
    """What the forecast and the plan schedule share (computed once per project)."""

    cal: WorkCalendar
    leaf_nodes: list
    pos: dict
    nb_date: list
    dl_date: list
    links: list
    shown_links: list
    visible: list
    n_virtual: int
    graph: cpm.Graph  # adjacency and topological order, shared by both schedules


def _prepare(result) -> _Prepared:
    cached = result.__dict__.get("_schedule_prep")
    if cached is not None:
        return cached
    wbs = _wbs(result)
    cal = work_calendar(result)
    nodes = wbs.nodes
    leaf_nodes = [n for n in nodes if not n.task.tasks]
    pos = {n.index: k for k, n in enumerate(leaf_nodes)}  # WBS index -> engine position

    # Constraints inherited from summaries (a summary's not_before/deadline apply to its leaves).
    nb_date: list[date | None] = [None] * len(leaf_nodes)
    dl_date: list[date | None] = [None] * len(leaf_nodes)
    for n in nodes:
        t = n.task
        if t.not_before is None and t.deadline is None:
            continue
        for li in n.leaves:
            k = pos[li]
            if t.not_before is not None and (nb_date[k] is None or t.not_before > nb_date[k]):
                nb_date[k] = t.not_before
            if t.deadline is not None and (dl_date[k] is None or t.deadline < dl_date[k]):
                dl_date[k] = t.deadline

    links, shown_links, visible, n_virtual = _expand_links(wbs, leaf_nodes, pos)
    prep = _Prepared(cal, leaf_nodes, pos, nb_date, dl_date, links, shown_links, visible, n_virtual,
                     cpm.graph(len(leaf_nodes) + n_virtual, links))
    result.__dict__["_schedule_prep"] = prep
    return prep


def _expand_links(wbs, leaf_nodes, pos):
    # Expanded links; repeats of (pred, succ, type) keep the largest lag.  A link between
    # two summaries with several leaves each goes through a virtual join node, so the
    # engine gets |A| + |B| links instead of |A| x |B| (plans stay linear).
    best: dict[tuple[int, int, str], int] = {}
    joins: list[tuple[str, list[int], list[int], str, int]] = []
    for link in wbs.links:
        preds = wbs.by_id[link.pred].leaves
        succs = wbs.by_id[link.succ].leaves
        if len(preds) > 1 and len(succs) > 1:
            joins.append((link.pred, [pos[p] for p in preds], [pos[x] for x in succs], link.type, link.lag))
            continue
        for p in preds:
            pk = pos[p]
            for s in succs:
                key = (pk, pos[s], link.type)
                if key not in best or link.lag > best[key]:
                    best[key] = link.lag
    links = [cpm.Link(p, s, t, lag) for (p, s, t), lag in best.items()]
    shown_links = [(leaf_nodes[lk.pred].task.id, leaf_nodes[lk.succ].task.id, lk.type, lk.lag) for lk in links]
    visible = [True] * len(links)
    v = len(leaf_nodes)
    for pred_id, preds, succs, typ, lag in joins:
        into = "FF" if typ in ("FS", "FF") else "SS"  # the join waits for every leaf's finish / start
        for p in preds:
            links.append(cpm.Link(p, v, into, 0))
            visible.append(False)
        for x in succs:
            links.append(cpm.Link(v, x, typ, lag))
            visible.append(True)
            # shown as a link from the summary itself (rules and views look summaries up by id)
            shown_links.append((pred_id, leaf_nodes[x].task.id, typ, lag))
        v += 1
    return links, shown_links, visible, len(joins)


def _schedule(result, status: bool, as_of: date | None) -> Schedule:
    model = result.model
    prep = _prepare(result)
    cal, leaf_nodes, nb_date, dl_date = prep.cal, prep.leaf_nodes, prep.nb_date, prep.dl_date
    links, shown_links, visible = prep.links, prep.shown_links, prep.visible
    nodes = _wbs(result).nodes
    settings = result.config.settings if result.config is not None else {}
    threshold = int(settings.get("critical_float", 0))

    status_index = cal.index(as_of) if status else None
    activities: list[cpm.Activity] = []
    states: list[str] = []
    for k, n in enumerate(leaf_nodes):
        t = n.task
        dur = t.planned_duration()
        milestone = dur == 0
        nb = None
        if nb_date[k] is not None:
            nb = cal.index(nb_date[k]) + (1 if milestone else 0)
        dl = cal.last_index(dl_date[k]) + 1 if dl_date[k] is not None else None
        state = task_state(t)
        states.append(state)
        act = cpm.Activity(duration=dur, not_before=nb, deadline=dl, state=state)
        if milestone:
            when = t.actual_finish or t.actual_start
            if when is not None:
                act.actual_start = act.actual_finish = cal.last_index(when) + 1
        else:
            if t.actual_start is not None:
                act.actual_start = cal.index(t.actual_start)
            if t.actual_finish is not None:
                act.actual_finish = cal.last_index(t.actual_finish) + 1
                if act.actual_start is not None and act.actual_finish < act.actual_start:
                    act.actual_finish = act.actual_start  # T001 reports it
        if state == IN_PROGRESS:
            if t.remaining is not None:
                act.remaining = t.remaining
            else:
                # ceil(duration × (100 − progress) / 100), exact for fractional percents too
                act.remaining = -(-Fraction(dur) * (100 - Fraction(str(t.progress or 0))) // 100)
                act.remaining = int(act.remaining)
        activities.append(act)

    n_real = len(activities)
    activities.extend(cpm.Activity(duration=0, virtual=True) for _ in range(prep.n_virtual))

    pdl = model.project.deadline
    deadline_index = cal.last_index(pdl) + 1 if pdl is not None else None
    res = cpm.schedule(activities, prep.graph, status=status_index, project_deadline=deadline_index,
                       critical_threshold=threshold)

    def shown(i: int) -> date:
        return cal.date(i)

    def mshown(i: int) -> date:
        return cal.date(i - 1 if i != 0 else 0)

    tasks: list[TaskSchedule | None] = [None] * len(nodes)
    for k, n in enumerate(leaf_nodes):
        t = n.task
        a = activities[k]
        ms = a.duration == 0
        es, ef, ls, lf = res.es[k], res.ef[k], res.ls[k], res.lf[k]
        if ms:
            start = finish = mshown(es)
            late_start = late_finish = mshown(ls)
        else:
            start, finish = shown(es), shown(max(ef - 1, es))
            late_start, late_finish = shown(ls), shown(max(lf - 1, ls))
        state = states[k]
        if status:
            remaining = 0 if state == DONE else (a.remaining if state == IN_PROGRESS and a.remaining is not None
                                                 else a.duration)
        else:
            remaining = a.duration
        progress = 100.0 if state == DONE else float(t.progress or 0)
        tasks[n.index] = TaskSchedule(
            id=t.id, name=t.name, wbs=n.wbs, parent=n.parent, summary=False, milestone=ms,
            duration=a.duration, start=start, finish=finish, late_start=late_start, late_finish=late_finish,
            total_float=res.total_float[k], free_float=res.free_float[k], critical=res.critical[k],
            state=state, progress=progress, deadline=t.deadline, es=es, ef=ef, ls=ls, lf=lf, task=t,
            resume=res.resume[k], remaining=remaining)

    # Summaries, children before parents.
    for n in reversed(nodes):
        t = n.task
        if not t.tasks:
            continue
        leaves = [tasks[i] for i in n.leaves]
        live = [x for x in leaves if x.state != DONE] or leaves
        weight = sum(x.duration for x in leaves)
        if weight:
            progress = sum(x.duration * x.progress for x in leaves) / weight
        else:
            progress = sum(x.progress for x in leaves) / len(leaves)
        states_here = {x.state for x in leaves}
        state = next(iter(states_here)) if len(states_here) == 1 else IN_PROGRESS
        children = [c.id for c in t.tasks]
        es = min(x.es for x in leaves)
        ef = max(x.ef for x in leaves)
        tasks[n.index] = TaskSchedule(
            id=t.id, name=t.name, wbs=n.wbs, parent=n.parent, summary=True, milestone=False,
            duration=ef - es, start=min(x.start for x in leaves), finish=max(x.finish for x in leaves),
            late_start=min(x.late_start for x in leaves), late_finish=max(x.late_finish for x in leaves),
            total_float=min(x.total_float for x in live), free_float=min(x.free_float for x in live),
            critical=any(x.critical for x in leaves), state=state, progress=progress, deadline=t.deadline,
            es=es, ef=ef, ls=min(x.ls for x in leaves), lf=max(x.lf for x in leaves), task=t,
            resume=min(x.resume for x in leaves), remaining=sum(x.remaining for x in leaves),
            children=children)

    ids = [n.task.id for n in leaf_nodes]
    paths = [[ids[i] for i in path if i < n_real] for path in res.critical_paths]
    done_tasks = [x for x in tasks if x is not None]
    leaf_ts = [tasks[n.index] for n in leaf_nodes]
    finish = max((x.finish for x in leaf_ts), default=cal.date(0))
    return Schedule(
        project_id=model.project.id, as_of=as_of if status else None, start=cal.date(0), finish=finish,
        deadline=pdl, tasks=done_tasks, by_id={x.id: x for x in done_tasks},
        critical_path=paths[0] if paths else [], critical_paths=paths, calendar=cal,
        finish_index=res.project_finish, deadline_index=deadline_index, status_index=status_index,
        critical_float=threshold,
        links=[x for x, keep in zip(shown_links, visible) if keep],
        driving=[d for d, keep in zip(res.driving, visible) if keep],
        critical_paths_truncated=res.critical_paths_truncated)
