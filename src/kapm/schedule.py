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
from itertools import compress
from operator import itemgetter, mul

from kapm import cpm
from kapm.wbs import project_wbs
from kapm.workdays import WorkCalendar

__all__ = ["TaskSchedule", "Schedule", "schedule_project", "unschedulable_reason", "work_calendar",
           "task_state", "DONE", "IN_PROGRESS", "NOT_STARTED"]

DONE = cpm.DONE
IN_PROGRESS = cpm.IN_PROGRESS
NOT_STARTED = cpm.NOT_STARTED

_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


@dataclass(slots=True)
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
    def slip_days(self) -> int | None:
        """Working days the forecast finish lies after the deadline (negative = ahead); None
        without a project deadline."""
        if self.deadline_index is None:
            return None
        return self.finish_index - self.deadline_index


def task_state(task) -> str:
    """SPEC §4 state of a leaf from its recorded progress and actuals."""
    progress = task.progress or 0
    if task.actual_finish is not None or progress >= 100:
        return DONE
    if task.actual_start is not None or progress > 0:
        # a milestone takes no time: once it has an actual date (or any progress) it happened
        return DONE if task.is_milestone else IN_PROGRESS
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


def unschedulable_reason(result) -> str | None:
    """Why the project cannot be scheduled (a sentence), or None when it can (cached)."""
    cache = result.__dict__
    if "_unschedulable" not in cache:
        cache["_unschedulable"] = _unschedulable(result)
    return cache["_unschedulable"]


def _unschedulable(result) -> str | None:
    if result.model is None:
        return "the project files do not validate"
    wbs = project_wbs(result)
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
    # Per leaf (engine position), the same for both variants:
    activities: list = field(default_factory=list)  # engine input (virtual join nodes at the end)
    states: list = field(default_factory=list)
    remaining: list = field(default_factory=list)  # forecast remaining work
    progress: list = field(default_factory=list)  # 100.0 when done, else the recorded progress
    shown_visible: list = field(default_factory=list)  # shown_links without the join-node inputs
    summaries: list = field(default_factory=list)  # (node, leaf getter, children ids), children first
    durations: list = field(default_factory=list)  # planned duration per leaf
    ids: list = field(default_factory=list)  # task id per leaf


def _prepare(result) -> _Prepared:
    cached = result.__dict__.get("_schedule_prep")
    if cached is not None:
        return cached
    wbs = project_wbs(result)
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
    _leaf_data(prep)
    prep.shown_visible = shown_links if n_virtual == 0 else list(compress(shown_links, visible))
    summaries = []
    for n in reversed(nodes):  # children before parents
        t = n.task
        if t.tasks:
            lv = [pos[i] for i in n.leaves]  # engine positions, in WBS order
            summaries.append((n, itemgetter(*lv) if len(lv) > 1 else _single(lv[0]), [c.id for c in t.tasks]))
    prep.summaries = summaries
    prep.durations = [a.duration for a in prep.activities[:len(leaf_nodes)]]
    prep.ids = [n.task.id for n in leaf_nodes]
    result.__dict__["_schedule_prep"] = prep
    return prep


def _single(i: int):
    def get(seq):
        return (seq[i],)

    return get


def _leaf_data(prep: _Prepared) -> None:
    """Engine activities, states, remaining work and progress of every leaf."""
    cal, nb_date, dl_date = prep.cal, prep.nb_date, prep.dl_date
    activities: list[cpm.Activity] = []
    states: list[str] = []
    remaining: list[int] = []
    progress: list[float] = []
    Activity = cpm.Activity
    for k, n in enumerate(prep.leaf_nodes):
        t = n.task
        dur = t.planned_duration()
        milestone = dur == 0
        nb = None
        if nb_date[k] is not None:
            nb = cal.index(nb_date[k]) + (1 if milestone else 0)
        dl = cal.last_index(dl_date[k]) + 1 if dl_date[k] is not None else None
        if t.actual_start is None and t.actual_finish is None and not t.progress:  # not started
            states.append(NOT_STARTED)
            activities.append(Activity(dur, nb, dl, NOT_STARTED))
            remaining.append(dur)
            progress.append(0.0)
            continue
        state = task_state(t)
        states.append(state)
        act = Activity(dur, nb, dl, state)
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
        if state == DONE:
            remaining.append(0)
            progress.append(100.0)
        else:
            remaining.append(act.remaining if state == IN_PROGRESS and act.remaining is not None else dur)
            progress.append(float(t.progress or 0))
        activities.append(act)
    activities.extend(Activity(duration=0, virtual=True) for _ in range(prep.n_virtual))
    prep.activities, prep.states, prep.remaining, prep.progress = activities, states, remaining, progress


def _expand_links(wbs, leaf_nodes, pos):
    # Expanded links; repeats of (pred, succ, type) keep the largest lag.  A link between
    # two summaries with several leaves each goes through a virtual join node, so the
    # engine gets |A| + |B| links instead of |A| x |B| (plans stay linear).
    best: dict[tuple[int, int, str], int] = {}
    joins: list[tuple[str, list[int], list[int], str, int]] = []
    by_id = wbs.by_id
    ids = [n.task.id for n in leaf_nodes]
    leaf_pos = {tid: k for k, tid in enumerate(ids)}  # ids are unique in a schedulable project
    get_leaf, get_best = leaf_pos.get, best.get
    for link in wbs.links:
        pk, sk = get_leaf(link.pred), get_leaf(link.succ)
        if pk is not None and sk is not None:  # the common case: leaf to leaf
            key = (pk, sk, link.type)
            old = get_best(key)
            if old is None or link.lag > old:
                best[key] = link.lag
            continue
        preds = by_id[link.pred].leaves
        succs = by_id[link.succ].leaves
        typ, lag = link.type, link.lag
        if len(preds) > 1 and len(succs) > 1:
            joins.append((link.pred, [pos[p] for p in preds], [pos[x] for x in succs], typ, lag))
            continue
        for p in preds:
            pk = pos[p]
            for s in succs:
                key = (pk, pos[s], typ)
                old = get_best(key)
                if old is None or lag > old:
                    best[key] = lag
    # plain (pred, succ, type, lag) tuples: the engine reads them like cpm.Link
    links = [key + (lag,) for key, lag in best.items()]
    shown_links = [(ids[p], ids[s], t, lag) for (p, s, t), lag in best.items()]
    visible = [True] * len(links)
    v = len(leaf_nodes)
    for pred_id, preds, succs, typ, lag in joins:
        into = "FF" if typ in ("FS", "FF") else "SS"  # the join waits for every leaf's finish / start
        for p in preds:
            links.append((p, v, into, 0))
            visible.append(False)
        for x in succs:
            links.append((v, x, typ, lag))
            visible.append(True)
            # shown as a link from the summary itself (rules and views look summaries up by id)
            shown_links.append((pred_id, ids[x], typ, lag))
        v += 1
    return links, shown_links, visible, len(joins)


def _schedule(result, status: bool, as_of: date | None) -> Schedule:
    model = result.model
    prep = _prepare(result)
    cal, leaf_nodes = prep.cal, prep.leaf_nodes
    activities = prep.activities
    nodes = project_wbs(result).nodes
    settings = result.config.settings if result.config is not None else {}
    threshold = int(settings.get("critical_float", 0))

    status_index = cal.index(as_of) if status else None
    n_real = len(leaf_nodes)
    pdl = model.project.deadline
    deadline_index = cal.last_index(pdl) + 1 if pdl is not None else None
    res = cpm.schedule(activities, prep.graph, status=status_index, project_deadline=deadline_index,
                       critical_threshold=threshold)

    durs = prep.durations
    es_l, ef_l, ls_l, lf_l = res.es, res.ef, res.ls, res.lf
    # Displayed days: a task from S to F − 1 (at least S), a milestone on S − 1 (day 0 when S = 0).
    start_i = [(e - 1 if e else 0) if d == 0 else e for d, e in zip(durs, es_l)]
    finish_i = [s if d == 0 else (f - 1 if f - 1 > e else e)
                for d, s, e, f in zip(durs, start_i, es_l, ef_l)]
    lstart_i = [(e - 1 if e else 0) if d == 0 else e for d, e in zip(durs, ls_l)]
    lfinish_i = [s if d == 0 else (f - 1 if f - 1 > e else e)
                 for d, s, e, f in zip(durs, lstart_i, ls_l, lf_l)]
    shown = cal.dates(start_i + finish_i + lstart_i + lfinish_i)
    starts, finishes = shown[:n_real], shown[n_real:2 * n_real]
    lstarts, lfinishes = shown[2 * n_real:3 * n_real], shown[3 * n_real:]
    states = prep.states
    remaining = prep.remaining if status else durs
    progress = prep.progress
    tf_l, ff_l, crit_l, resume_l = res.total_float, res.free_float, res.critical, res.resume

    tasks: list[TaskSchedule | None] = [None] * len(nodes)
    TS = TaskSchedule
    for n, d, sd, fd, lsd, lfd, tf, ff, cr, st, pg, es, ef, ls, lf, rs, rm in zip(
            leaf_nodes, durs, starts, finishes, lstarts, lfinishes, tf_l, ff_l, crit_l, states, progress,
            es_l, ef_l, ls_l, lf_l, resume_l, remaining):
        t = n.task
        tasks[n.index] = TS(t.id, t.name, n.wbs, n.parent, False, d == 0, d, sd, fd, lsd, lfd, tf, ff, cr, st,
                            pg, t.deadline, es, ef, ls, lf, t, rs, rm)

    # Summaries, children before parents (the getters pick a summary's leaves, in WBS order,
    # from the per-leaf lists).
    for n, get, children in prep.summaries:
        t = n.task
        ds = get(durs)
        pgs = get(progress)
        weight = sum(ds)
        if weight:
            pg = sum(map(mul, ds, pgs)) / weight
        else:
            pg = sum(pgs) / len(pgs)
        sts = get(states)
        states_here = set(sts)
        state = sts[0] if len(states_here) == 1 else IN_PROGRESS
        tfs, ffs = get(tf_l), get(ff_l)
        if DONE in states_here and len(states_here) > 1:  # floats of the leaves not done yet
            tfs = [x for x, s in zip(tfs, sts) if s != DONE]
            ffs = [x for x, s in zip(ffs, sts) if s != DONE]
        es = min(get(es_l))
        ef = max(get(ef_l))
        tasks[n.index] = TS(
            t.id, t.name, n.wbs, n.parent, True, False, ef - es, min(get(starts)), max(get(finishes)),
            min(get(lstarts)), max(get(lfinishes)), min(tfs), min(ffs), any(get(crit_l)), state, pg,
            t.deadline, es, ef, min(get(ls_l)), max(get(lf_l)), t, min(get(resume_l)), sum(get(remaining)),
            list(children))

    ids = prep.ids
    paths = [[ids[i] for i in path if i < n_real] for path in res.critical_paths]
    done_tasks = tasks if None not in tasks else [x for x in tasks if x is not None]
    finish = max(finishes, default=cal.date(0))
    return Schedule(
        project_id=model.project.id, as_of=as_of if status else None, start=cal.date(0), finish=finish,
        deadline=pdl, tasks=done_tasks, by_id={x.id: x for x in done_tasks},
        critical_path=paths[0] if paths else [], critical_paths=paths, calendar=cal,
        finish_index=res.project_finish, deadline_index=deadline_index, status_index=status_index,
        critical_float=threshold,
        links=list(prep.shown_visible),
        driving=res.driving if prep.n_virtual == 0 else list(compress(res.driving, prep.visible)),
        critical_paths_truncated=res.critical_paths_truncated)
