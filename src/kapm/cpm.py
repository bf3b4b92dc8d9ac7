"""Critical path method over working-day indexes (SPEC §3 and §4).

Pure Python on plain lists, linear in tasks + links. The caller turns dates into
indexes with :class:`kapm.workdays.WorkCalendar`, expands summaries into their leaf
tasks, checks for cycles (P001) and unknown ids first, and turns the result back into
dates.

Index conventions (SPEC §3)
---------------------------
A task of N working days starting on working day s has start index ``S = s`` and
finish index ``F = s + N`` (the boundary after its last day): it is displayed from day
``S`` to day ``F - 1``. A milestone has N = 0 (F = S) and is displayed on day
``S - 1`` (day 0 when S = 0).

Links (``pred`` → ``succ``, lag L in working days, negative = lead):
``FS: succ.S ≥ pred.F + L``, ``SS: succ.S ≥ pred.S + L``, ``FF: succ.F ≥ pred.F + L``,
``SF: succ.F ≥ pred.S + L``. Every task starts as early as the links and its lower
bounds allow, and never before day 0.

What the caller passes (all indexes):

* ``not_before``: a lower bound on S, already converted: ``index(D)`` for a task, and
  ``index(D) + 1`` for a milestone (a milestone date is the *end* of that day).
* ``deadline``: an upper bound on F: ``last(D) + 1`` (task, milestone or project).
* ``actual_start``: ``index(date)``; ``actual_finish``: ``last(date) + 1`` (an F index).
* ``status``: ``index(status date)``, or ``None`` for the pure plan.

Forecast (``status`` is not None; SPEC §4)
------------------------------------------
* **done** tasks sit on their actuals and ignore their links: S = actual_start (default:
  the start of the pure plan), F = actual_finish; without an actual finish,
  F = min(S + N, status) (a task reported done is finished by the status date), never
  below S.
* **in progress** tasks keep S = actual_start (default: the plan start). Their remaining
  work ``remaining`` (default N) is scheduled from the *resume index* R, the smallest
  value ≥ max(status, S) that satisfies the links: FS/SS links bound R, FF/SF links bound
  F = R + remaining. An in-progress milestone is treated as not started.
* **not started** tasks cannot start before the status index (milestones: status + 1,
  the same end-of-day rule as ``not_before``).

With ``status=None`` the states and actuals are ignored.

Backward pass and floats
------------------------
Late dates are computed back from the *anchor*: the project finish (the latest early
finish) or the project deadline when that is earlier. Every task's late finish is at
most the anchor and its own deadline. A deadline earlier than the early finish therefore
yields a negative total float on the tasks that drive it (the slip, in working days).

* total float = LS − ES (= LF − EF), may be negative;
* free float = the smallest slack of the task's outgoing links measured on early dates,
  never below 0 and never above the total float (as in MS Project; it matters when day 0
  or a deadline holds a successor); a task with no (counted) successor gets the slack to
  the project finish;
* critical = total float ≤ ``critical_threshold`` (default 0).

Decisions for the forecast: **done** tasks are out of the backward pass: their late
dates equal their actual dates, both floats are 0 and they are never critical (they can
no longer delay anything); links *into* a done task constrain nothing. For an **in
progress** task the start is a fact, so SS/SF links *from* it do not constrain its late
finish (they only count in the forward pass) and do not count for its free float;
its late start is reported as ``ES + total float``.

Critical paths: the critical tasks joined by *driving* links (links that are tight on
early dates: the bound they impose equals the successor's early value) form a DAG; every
chain from a critical task with no driving critical predecessor to one with no driving
critical successor is a critical path. Paths are enumerated depth-first in topological
order and capped at ``max_paths`` (``critical_paths_truncated`` says when the cap hit).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

__all__ = [
    "Activity",
    "CpmResult",
    "CycleError",
    "DONE",
    "IN_PROGRESS",
    "LINK_TYPES",
    "Link",
    "NOT_STARTED",
    "schedule",
]

DONE = "done"
IN_PROGRESS = "in_progress"
NOT_STARTED = "not_started"
LINK_TYPES = ("FS", "SS", "FF", "SF")

# link type -> (the bound reads the predecessor's finish?, the bound applies to the successor's finish?)
_LINK_SIDES = {"FS": (True, False), "SS": (False, False), "FF": (True, True), "SF": (False, True)}


class Link(NamedTuple):
    """A dependency ``pred → succ`` (task positions) of a type in LINK_TYPES, lag in working days."""

    pred: int
    succ: int
    type: str = "FS"
    lag: int = 0


@dataclass(slots=True)
class Activity:
    """One leaf task as the engine sees it (all values are working-day indexes)."""

    duration: int
    not_before: int | None = None
    deadline: int | None = None
    state: str = NOT_STARTED
    actual_start: int | None = None
    actual_finish: int | None = None
    remaining: int | None = None
    # A zero-duration join node the caller inserts to keep summary-to-summary links
    # linear (|A| + |B| links instead of |A| x |B|): no status floor, never on a path.
    virtual: bool = False


class CycleError(ValueError):
    """The links contain a cycle; ``cycle`` lists task positions, first repeated at the end."""

    def __init__(self, cycle: list[int]):
        self.cycle = cycle
        super().__init__("dependency cycle: " + " → ".join(str(i) for i in cycle))


@dataclass(slots=True)
class CpmResult:
    """Schedule of ``n`` tasks; lists are indexed by task position."""

    es: list[int]
    ef: list[int]
    ls: list[int]
    lf: list[int]
    total_float: list[int]
    free_float: list[int]
    critical: list[bool]
    resume: list[int]  # where the remaining work is scheduled from (= es unless in progress)
    project_finish: int  # latest early finish (0 without tasks)
    anchor: int  # the finish the backward pass starts from: min(project_finish, project deadline)
    order: list[int]  # a topological order of the tasks
    driving: list[bool]  # per link, in the order given: tight on early dates
    critical_paths: list[list[int]] = field(default_factory=list)
    critical_paths_truncated: bool = False


@dataclass(slots=True)
class Graph:
    """Adjacency and topological order of a task network, independent of durations and
    status: build it once with :func:`graph` when scheduling the same network twice
    (forecast and plan)."""

    n: int
    links: list
    incoming: list
    outgoing: list
    order: list[int]


def graph(n: int, links: Iterable[Sequence]) -> Graph:
    """Check the links and build the adjacency (raises ValueError / CycleError)."""
    link_list = links if isinstance(links, list) else list(links)
    sides = _LINK_SIDES
    # Adjacency, one shared tuple per link for both passes:
    # (pred, succ, reads pred finish, bounds succ finish, lag, link number)
    incoming: list[list[tuple[int, int, bool, bool, int, int]]] = [[] for _ in range(n)]
    outgoing: list[list[tuple[int, int, bool, bool, int, int]]] = [[] for _ in range(n)]
    for k, (p, s, t, lag) in enumerate(link_list):
        side = sides.get(t)
        if side is None:
            raise ValueError(f"unknown link type {t!r} (expected one of {', '.join(LINK_TYPES)})")
        if not (0 <= p < n and 0 <= s < n):
            raise ValueError(f"link {p} → {s} refers to a task position outside 0..{n - 1}")
        if type(lag) is not int:
            raise ValueError(f"link lag must be an int, got {lag!r}")
        entry = (p, s, side[0], side[1], lag, k)
        incoming[s].append(entry)
        outgoing[p].append(entry)
    return Graph(n, link_list, incoming, outgoing, _topological_order(n, outgoing, incoming))


def schedule(
    activities: Sequence[Activity],
    links: "Iterable[Sequence] | Graph",
    *,
    status: int | None = None,
    project_deadline: int | None = None,
    critical_threshold: int = 0,
    max_paths: int = 50,
) -> CpmResult:
    """Compute early/late dates, floats and critical paths (see the module docstring).

    ``links`` are :class:`Link` or any ``(pred, succ, type, lag)`` sequences.
    Raises :class:`CycleError` on a cycle and ``ValueError`` on a malformed input
    (position out of range, unknown link type, negative duration or remaining).
    """
    n = len(activities)
    g = links if isinstance(links, Graph) else graph(n, links)
    if g.n != n:
        raise ValueError(f"the graph has {g.n} tasks, the activities {n}")
    link_list, incoming, outgoing, order = g.links, g.incoming, g.outgoing, g.order
    dur = [a.duration for a in activities]
    if dur and min(dur) < 0:
        i = next(i for i, d in enumerate(dur) if d < 0)
        raise ValueError(f"task {i} has a negative duration {dur[i]}")
    virtual = [a.virtual for a in activities]
    not_before = [a.not_before for a in activities]

    # States: only meaningful with a status date.
    if status is None:
        state = [NOT_STARTED] * n
    else:
        state = [a.state for a in activities]
        for i, st in enumerate(state):
            if st == NOT_STARTED:
                continue
            if st not in (DONE, IN_PROGRESS):
                raise ValueError(f"task {i} has an unknown state {st!r}")
            if st == IN_PROGRESS and dur[i] == 0:
                state[i] = NOT_STARTED
    needs_plan = status is not None and any(
        st != NOT_STARTED and a.actual_start is None for st, a in zip(state, activities)
    )
    plan_start = (
        _forward(activities, dur, order, incoming, [NOT_STARTED] * n, None, None, None, not_before, virtual)[0]
        if needs_plan else None
    )

    # Work to schedule per task: the duration, or the remaining duration when in progress.
    work = list(dur)
    start_fixed: list[int | None] = [None] * n
    if status is not None:
        for i, a in enumerate(activities):
            if state[i] == NOT_STARTED:
                continue
            s0 = a.actual_start if a.actual_start is not None else plan_start[i]  # type: ignore[index]
            start_fixed[i] = s0
            if state[i] == IN_PROGRESS:
                r = dur[i] if a.remaining is None else a.remaining
                if r < 0:
                    raise ValueError(f"task {i} has a negative remaining duration {r}")
                work[i] = r

    es, resume, ef = _forward(activities, work, order, incoming, state, start_fixed, status, dur, not_before,
                              virtual)

    project_finish = max(ef, default=0)
    anchor = project_finish if project_deadline is None else min(project_finish, project_deadline)
    # Without a status date nothing is done or in progress: the checks below are skipped.
    plain = status is None

    # Backward pass.
    lf = [0] * n
    lr = [0] * n  # late resume (= late start unless in progress)
    deadline = [a.deadline for a in activities]
    for v in reversed(order):
        if not plain and state[v] == DONE:
            lf[v] = ef[v]
            lr[v] = resume[v]
            continue
        best = anchor
        dl = deadline[v]
        if dl is not None and dl < best:
            best = dl
        wv = work[v]
        if plain:
            for _p, s, pred_finish, succ_finish, lag, _k in outgoing[v]:
                if pred_finish:
                    bound = (lf[s] if succ_finish else lr[s]) - lag
                else:  # the link bounds our start; convert to a bound on our finish
                    bound = (lf[s] if succ_finish else lr[s]) - lag + wv
                if bound < best:
                    best = bound
        else:
            started = state[v] == IN_PROGRESS
            for _p, s, pred_finish, succ_finish, lag, _k in outgoing[v]:
                if state[s] == DONE:
                    continue
                if not pred_finish and started:
                    continue  # the start is a fact: SS/SF links from it cannot be violated any more
                bound = (lf[s] if succ_finish else lr[s]) - lag
                if not pred_finish:
                    bound += wv  # the link bounds our start; convert to a bound on our finish
                if bound < best:
                    best = bound
        lf[v] = best
        lr[v] = best - wv

    total_float = [f - e for f, e in zip(lf, ef)]
    ls = [e + t for e, t in zip(es, total_float)]
    if not plain:
        for i in range(n):
            if state[i] == DONE:
                total_float[i] = 0
                ls[i] = es[i]

    # Driving links and free float (early dates).  Reverse topological order, so that the
    # slack through a virtual join node (its own smallest outgoing gap) is known first.
    driving = [False] * len(link_list)
    free_float = [0] * n
    through: list[int | None] = [None] * n  # virtual nodes: smallest gap onwards
    any_virtual = True in virtual
    for v in reversed(order):
        if not plain and state[v] == DONE:
            continue
        started = not plain and state[v] == IN_PROGRESS
        slack = None
        efv = ef[v]
        esv = es[v]
        for _p, s, pred_finish, succ_finish, lag, k in outgoing[v]:
            if not plain and state[s] == DONE:
                continue
            gap = (ef[s] if succ_finish else resume[s]) - ((efv if pred_finish else esv) + lag)
            if gap == 0:
                driving[k] = True
            if not pred_finish and started:
                continue
            if any_virtual and virtual[s] and through[s] is not None:
                gap += through[s]
            if slack is None or gap < slack:
                slack = gap
        if any_virtual and virtual[v]:
            through[v] = slack
            continue
        if slack is None:
            slack = project_finish - efv
        tf = lf[v] - efv
        if slack > tf:
            slack = tf  # free float never exceeds total float (day 0 can absorb a lead)
        free_float[v] = slack if slack > 0 else 0

    if plain:
        critical = [t <= critical_threshold for t in total_float]
    else:
        critical = [st != DONE and t <= critical_threshold for st, t in zip(state, total_float)]
    paths, truncated = _critical_paths(n, order, outgoing, driving, critical, max_paths)
    return CpmResult(
        es=es,
        ef=ef,
        ls=ls,
        lf=lf,
        total_float=total_float,
        free_float=free_float,
        critical=critical,
        resume=resume,
        project_finish=project_finish,
        anchor=anchor,
        order=order,
        driving=driving,
        critical_paths=paths,
        critical_paths_truncated=truncated,
    )


def _forward(activities, work, order, incoming, state, start_fixed, status, dur, not_before, virtual):
    """Forward pass; returns (start, resume, finish) lists."""
    n = len(work)
    es = [0] * n
    resume = [0] * n
    ef = [0] * n
    if status is None:  # the pure plan: nothing done or in progress, no status floor
        for v in order:
            w = work[v]
            lb = not_before[v]
            if lb is None or lb < 0:
                lb = 0
            for p, _s, pred_finish, succ_finish, lag, _k in incoming[v]:
                b = (ef[p] if pred_finish else es[p]) + lag
                if succ_finish:
                    b -= w
                if b > lb:
                    lb = b
            resume[v] = es[v] = lb
            ef[v] = lb + w
        return es, resume, ef
    for v in order:
        st = state[v]
        if st == DONE:
            a = activities[v]
            s0 = start_fixed[v]
            if a.actual_finish is not None:
                f0 = a.actual_finish
            else:
                f0 = s0 + dur[v]
                if f0 > status:
                    f0 = status
            if f0 < s0:
                f0 = s0
            es[v] = resume[v] = s0
            ef[v] = f0
            continue
        w = work[v]
        lb = 0
        nb = not_before[v]
        if nb is not None and nb > lb:
            lb = nb
        if not virtual[v]:
            floor = status + 1 if w == 0 and st == NOT_STARTED else status
            if floor > lb:
                lb = floor
            if st == IN_PROGRESS and start_fixed[v] > lb:
                lb = start_fixed[v]
        for p, _s, pred_finish, succ_finish, lag, _k in incoming[v]:
            b = (ef[p] if pred_finish else es[p]) + lag
            if succ_finish:
                b -= w
            if b > lb:
                lb = b
        resume[v] = lb
        ef[v] = lb + w
        es[v] = start_fixed[v] if st == IN_PROGRESS else lb
    return es, resume, ef


def _topological_order(n: int, outgoing: list[list[tuple]], incoming: list[list[tuple]]) -> list[int]:
    """Kahn's algorithm (FIFO; deterministic for a given input)."""
    indeg = [len(inc) for inc in incoming]
    order = [v for v in range(n) if indeg[v] == 0]
    i = 0
    while i < len(order):
        for link in outgoing[order[i]]:
            s = link[1]
            indeg[s] -= 1
            if indeg[s] == 0:
                order.append(s)
        i += 1
    if len(order) < n:
        raise CycleError(_find_cycle(n, incoming, indeg))
    return order


def _find_cycle(n: int, incoming: list[list[tuple]], indeg: list[int]) -> list[int]:
    """A cycle among the tasks Kahn could not order (each has a remaining predecessor)."""
    v = next(i for i in range(n) if indeg[i] > 0)
    seen: dict[int, int] = {}
    walk: list[int] = []
    while v not in seen:
        seen[v] = len(walk)
        walk.append(v)
        v = next(link[0] for link in incoming[v] if indeg[link[0]] > 0)
    cycle = walk[seen[v] :][::-1]  # walked backwards along links: reverse into link order
    return cycle + [cycle[0]]


def _critical_paths(n, order, outgoing, driving, critical, max_paths):
    nxt: dict[int, list[int]] = {}
    has_pred: set[int] = set()
    for p in range(n):
        if not critical[p]:
            continue
        lst = [s for _p, s, _pf, _sf, _lag, k in outgoing[p] if driving[k] and critical[s]]
        nxt[p] = lst
        has_pred.update(lst)
    pos = None
    for lst in nxt.values():
        if len(lst) < 2:
            continue
        if pos is None:
            pos = {v: i for i, v in enumerate(order)}
        lst.sort(key=pos.__getitem__)
        # two links between the same pair would duplicate paths
        lst[:] = list(dict.fromkeys(lst))
    paths: list[list[int]] = []
    for src in order:
        if not critical[src] or src in has_pred:
            continue
        stack = [(src, 0)]
        path = [src]
        while stack:
            v, i = stack[-1]
            if not nxt[v]:
                if len(paths) >= max_paths:
                    return paths, True
                paths.append(list(path))
            if i < len(nxt[v]):
                stack[-1] = (v, i + 1)
                w = nxt[v][i]
                stack.append((w, 0))
                path.append(w)
            else:
                stack.pop()
                path.pop()
    return paths, False
