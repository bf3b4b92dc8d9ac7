"""Earned value and health (RAG) as of a status date (SPEC §4).

Earned value, per leaf task and rolled up to summaries and the project:

* **BAC** (budget at completion) of a leaf: its ``cost``; else Σ assignee ``rate`` ×
  allocation % × duration (assignees without a rate add nothing); else the ``cost`` of
  its nearest summary that has one, spread over that summary's leaves without a budget in
  proportion to duration.  When no task has a budget at all, ``project.budget`` is spread
  over the leaves in proportion to duration.  The project's BAC is the sum over leaves.
* **PV** = BAC × the share of the task's planned working days (plan schedule, no actuals;
  the baseline once there is one) that lie before the status date.  A milestone counts
  fully once its date is before the status date.
* **EV** = BAC × progress (a done task: 100 %).
* **AC** = Σ ``costs`` dated on or before the status date.  A cost entry that names a task
  goes to that task (a summary's entry to the summary); the others count only for the
  project total.
* SV = EV − PV, CV = EV − AC, SPI = EV / PV, CPI = EV / AC, EAC = BAC / CPI, ETC = EAC − AC,
  VAC = BAC − EAC.  Undefined ratios are ``None`` ("n/a"): SPI when PV = 0, CPI when
  AC = 0.  EAC without a CPI (nothing spent yet) is the BAC; with CPI = 0 (money spent,
  nothing earned) EAC, ETC and VAC are undefined.

Health per dimension (thresholds from kapm.yaml ``health``), each with a reason:

* schedule — green: finish ≤ deadline and SPI ≥ spi_green; amber: slip ≤ slip_amber_days
  and SPI ≥ spi_amber; else red (no deadline: slip 0; SPI n/a: the SPI condition is
  ignored);
* cost — green: EAC ≤ BAC and CPI ≥ cpi_green; amber: EAC ≤ eac_amber_ratio × BAC and
  CPI ≥ cpi_amber; else red (CPI n/a: ignored; EAC n/a: red; no budget: green, "not
  assessed");
* risk — red if an open risk scores ≥ risk_red_score, amber if ≥ risk_amber_score;
* client — red if a request breached its SLA within the last client_window_days days
  (:func:`kapm.sla.request_breaches`) or the latest CSAT ≤ csat_red; amber if a comms
  plan item has lapsed (:func:`kapm.sla.lapsed_comms`) or the CSAT fell since the
  previous survey;
* overall — the worst of the four.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

__all__ = ["TaskEvm", "Evm", "CurvePoint", "Health", "earned_value", "task_budgets", "s_curve", "health",
           "GREEN", "AMBER", "RED"]

GREEN, AMBER, RED = "green", "amber", "red"
_RANK = {GREEN: 0, AMBER: 1, RED: 2}
DIMENSIONS = ("schedule", "cost", "risk", "client")


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


@dataclass
class TaskEvm:
    """Earned-value figures of one task (or the project when ``id`` is None)."""

    id: str | None
    bac: float = 0.0
    pv: float = 0.0
    ev: float = 0.0
    ac: float = 0.0

    @property
    def sv(self) -> float:
        return self.ev - self.pv

    @property
    def cv(self) -> float:
        return self.ev - self.ac

    @property
    def spi(self) -> float | None:
        return _ratio(self.ev, self.pv)

    @property
    def cpi(self) -> float | None:
        return _ratio(self.ev, self.ac)

    @property
    def eac(self) -> float | None:
        cpi = self.cpi
        if cpi is None:
            return self.bac
        return self.bac / cpi if cpi else None

    @property
    def etc(self) -> float | None:
        eac = self.eac
        return None if eac is None else eac - self.ac

    @property
    def vac(self) -> float | None:
        eac = self.eac
        return None if eac is None else self.bac - eac

    def as_dict(self) -> dict:
        """Plain numbers (rounded to cents) for JSON; undefined values are None."""

        def r(x):
            return None if x is None else round(x, 2)

        return {"bac": r(self.bac), "pv": r(self.pv), "ev": r(self.ev), "ac": r(self.ac), "sv": r(self.sv),
                "cv": r(self.cv), "spi": r(self.spi), "cpi": r(self.cpi), "eac": r(self.eac), "etc": r(self.etc),
                "vac": r(self.vac)}


@dataclass
class Evm(TaskEvm):
    """Project earned value as of ``as_of`` with the per-task figures in ``tasks``."""

    as_of: date | None = None
    tasks: dict[str, TaskEvm] = field(default_factory=dict)  # every task, summaries rolled up


@dataclass(frozen=True)
class CurvePoint:
    """Cumulative PV, EV and AC at a date (EV and AC are None after the status date)."""

    date: date
    pv: float
    ev: float | None
    ac: float | None


def _leaf_info(result):
    from kapm.wbs import project_wbs

    wbs = project_wbs(result)
    return wbs, [n for n in wbs.nodes if not n.task.tasks]


def task_budgets(result) -> dict[str, float]:
    """BAC of every leaf task id (see the module docstring for the order of sources)."""
    p = result.model
    wbs, leaves = _leaf_info(result)
    people = result.people
    tasks = [n.task for n in leaves]
    if all(t.cost is None and not t.assignees for t in tasks) and \
            all(n.task.cost is None for n in wbs.nodes if n.task.tasks):
        # The common case of a plan without task budgets: the project budget (if any) is
        # spread over all leaves in proportion to duration (the general code below, faster).
        if p.project.budget is None or not tasks:
            return {t.id: 0.0 for t in tasks}
        amount = float(p.project.budget)
        spread = [t.planned_duration() or 0 for t in tasks]
        total = sum(spread)
        if total:
            return {t.id: (amount * (d / total) or 0.0) for t, d in zip(tasks, spread)}
        share = amount * (1 / len(tasks)) or 0.0
        return {t.id: share for t in tasks}
    budget: dict[str, float | None] = {}
    durs: dict[int, int] = {}  # id(task) -> planned duration (0 when missing), for _spread
    for n in leaves:
        t = n.task
        dur = durs[id(t)] = t.planned_duration() or 0
        if t.cost is not None:
            budget[t.id] = float(t.cost)
            continue
        total = None
        if t.assignees:
            for who, alloc in t.assignees.items():
                rate = getattr(people.get(who), "rate", None)
                if rate is not None:
                    total = (total or 0.0) + float(rate) * alloc / 100 * dur
        budget[t.id] = total
    # a summary's cost: spread over its leaves without a budget (innermost summary first)
    for n in reversed(wbs.nodes):
        t = n.task
        if not t.tasks or t.cost is None:
            continue
        open_leaves = [wbs.nodes[i].task for i in n.leaves if budget.get(wbs.nodes[i].task.id) is None]
        _spread(budget, open_leaves, float(t.cost), durs)
    if p.project.budget is not None and all(v is None for v in budget.values()):
        _spread(budget, [n.task for n in leaves], float(p.project.budget), durs)
    return {k: (v or 0.0) for k, v in budget.items()}


def _spread(budget: dict, tasks: list, amount: float, durs: dict | None = None) -> None:
    if not tasks:
        return
    if durs is None:
        durs_ = [t.planned_duration() or 0 for t in tasks]
    else:
        durs_ = [durs[id(t)] for t in tasks]
    total = sum(durs_)
    if total:
        for t, d in zip(tasks, durs_):
            budget[t.id] = amount * (d / total)
    else:
        share = 1 / len(tasks)
        for t in tasks:
            budget[t.id] = amount * share


def _share_before(es: int, ef: int, index: int) -> float:
    """Share of the working days es .. ef−1 before ``index`` (a milestone: 0 or 1)."""
    if ef <= es:
        return 1.0 if es <= index else 0.0
    return min(max(index - es, 0), ef - es) / (ef - es)


def _ramp_totals(items: list[tuple[float, int, int]], indexes: list[int]) -> list[float]:
    """For each sample index i (ascending): Σ value × _share_before(s, f, i) over items.

    A sweep over the ramps' start and end points: O((items + samples) log items) instead of
    items × samples (a 10,000-task S-curve over two years: 30 s → 0.05 s)."""
    events: list[tuple[int, float, float]] = []  # (index, slope change, step)
    for value, es, ef in items:
        if not value:
            continue
        if ef <= es:
            events.append((es, 0.0, value))
        else:
            slope = value / (ef - es)
            events.append((es, slope, 0.0))
            events.append((ef, -slope, 0.0))
    events.sort(key=lambda e: e[0])
    out: list[float] = []
    total = slope = 0.0
    pos = None
    k = 0
    for i in indexes:
        while k < len(events) and events[k][0] <= i:
            at, d_slope, step = events[k]
            if pos is not None:
                total += slope * (at - pos)
            pos = at
            slope += d_slope
            total += step
            k += 1
        out.append(total + (slope * (i - pos) if pos is not None else 0.0))
    return out


def earned_value(result, as_of: date) -> Evm | None:
    """Earned value of the project and each task as of ``as_of``; None when the project
    cannot be scheduled.  Computed once per status date (rules, plan and reports share it)."""
    cache = result.__dict__.setdefault("_evm", {})
    if as_of not in cache:
        cache[as_of] = _earned_value(result, as_of)
    return cache[as_of]


def _earned_value(result, as_of: date) -> Evm | None:
    plan = result.schedule(status=False, as_of=as_of)
    if plan is None:
        return None
    budgets = task_budgets(result)
    try:
        idx = plan.calendar.index(as_of)
    except ValueError:  # a status date the calendar cannot reach (centuries away, or past its last workday)
        return None
    ac_by_task: dict[str, float] = {}
    total_ac = 0.0
    for c in result.model.costs:
        if c.date > as_of:
            continue
        total_ac += float(c.amount)
        if c.task is not None and c.task in plan.by_id:
            ac_by_task[c.task] = ac_by_task.get(c.task, 0.0) + float(c.amount)
    out: dict[str, TaskEvm] = {}
    bacs: list[float] = []
    pvs: list[float] = []
    evs: list[float] = []
    get_budget, get_ac = budgets.get, ac_by_task.get
    for ts in plan.tasks:
        if ts.summary:
            continue
        tid = ts.id
        bac = get_budget(tid, 0.0)
        es, ef = ts.es, ts.ef
        # bac × the share of the planned working days before the status date (_share_before)
        if ef <= es:
            pv = bac * (1.0 if es <= idx else 0.0)
        else:
            pv = bac * (min(max(idx - es, 0), ef - es) / (ef - es))
        ev = bac * ts.progress / 100  # progress: 100 when done; recorded progress otherwise
        out[tid] = TaskEvm(tid, bac, pv, ev, get_ac(tid, 0.0))
        bacs.append(bac)
        pvs.append(pv)
        evs.append(ev)
    # roll up, children before parents (reverse WBS order)
    for ts in reversed(plan.tasks):
        if not ts.summary:
            continue
        e = TaskEvm(ts.id, ac=get_ac(ts.id, 0.0))
        for cid in ts.children:
            c = out[cid]
            e.bac += c.bac
            e.pv += c.pv
            e.ev += c.ev
            e.ac += c.ac
        out[ts.id] = e
    evm = Evm(None, sum(bacs), sum(pvs), sum(evs), total_ac,
              as_of=as_of, tasks={ts.id: out[ts.id] for ts in plan.tasks})
    return evm


def s_curve(result, as_of: date) -> list[CurvePoint]:
    """Cumulative PV / EV / AC every 7 days from the project start to max(finish, as_of),
    plus the status date itself.  PV follows the plan schedule; EV before the status date
    is interpolated from the forecast (done tasks over their actual days, in-progress tasks
    linearly from their start to the status date); AC sums the cost ledger."""
    plan = result.schedule(status=False, as_of=as_of)
    fc = result.schedule(status=True, as_of=as_of)
    evm = earned_value(result, as_of)
    if plan is None or fc is None or evm is None:
        return []
    cal = plan.calendar
    end = max(plan.finish, fc.finish, as_of)
    days = []
    d = plan.start
    while d < end:
        days.append(d)
        d += timedelta(days=7)
    days.append(d)
    if as_of >= plan.start and as_of not in days:
        days.append(as_of)
    days.sort()
    status_idx = cal.index(as_of)
    costs = sorted((c.date, float(c.amount)) for c in result.model.costs if c.date <= as_of)
    leaves = [ts for ts in plan.tasks if not ts.summary]
    indexes = [cal.index(day) for day in days]
    pvs = _ramp_totals([(evm.tasks[ts.id].bac, ts.es, ts.ef) for ts in leaves], indexes)
    earned: list[tuple[float, int, int]] = []
    for ts in leaves:
        f = fc.by_id[ts.id]
        e = evm.tasks[ts.id].ev
        if not e:
            continue
        if f.state == "done":
            earned.append((e, f.es, f.ef))
        elif f.es < status_idx:
            earned.append((e, f.es, status_idx))  # earned linearly since the start
        else:
            earned.append((e, status_idx, status_idx))  # counted from the status date on
    evs = _ramp_totals(earned, indexes)
    points = []
    ci, ac = 0, 0.0
    for day, pv, ev in zip(days, pvs, evs):
        if day > as_of:
            points.append(CurvePoint(day, pv, None, None))
            continue
        while ci < len(costs) and costs[ci][0] <= day:
            ac += costs[ci][1]
            ci += 1
        points.append(CurvePoint(day, pv, ev, ac))
    return points


@dataclass
class Health:
    """RAG per dimension with the reason for each colour."""

    overall: str
    schedule: str
    cost: str
    risk: str
    client: str
    reasons: dict[str, str]
    slip_days: int | None = None
    spi: float | None = None
    cpi: float | None = None
    evm: Evm | None = None

    def as_dict(self) -> dict:
        return {"overall": self.overall, **{d: getattr(self, d) for d in DIMENSIONS}, "reasons": dict(self.reasons)}


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def _money(x: float | None) -> str:
    return "n/a" if x is None else f"{x:,.0f}"


def _identity(message: str) -> str:
    return message


def _days(n: int, _=_identity) -> str:
    return (_("{n} working day") if n == 1 else _("{n} working days")).format(n=n)


# Health reasons are sentences for people; ``_`` translates each fragment (gettext of the
# report's language, identity for English), so a Chinese report reads Chinese throughout.

def _schedule_health(fc, evm, th, _=_identity) -> tuple[str, str, int | None]:
    if fc is None:
        return RED, _("the plan cannot be scheduled (run kapm check)"), None
    spi = evm.spi if evm is not None else None
    slip = fc.slip_days if fc.deadline is not None else 0
    if fc.deadline is None:
        where = _("forecast finish {finish}, no deadline").format(finish=fc.finish)
    elif slip <= 0:
        where = _("forecast finish {finish} meets the deadline {deadline}").format(
            finish=fc.finish, deadline=fc.deadline)
        if slip < 0:
            where += _(" ({days} ahead)").format(days=_days(-slip, _))
    else:
        where = _("forecast finish {finish} is {days} after the deadline {deadline}").format(
            finish=fc.finish, days=_days(slip, _), deadline=fc.deadline)
    spi_txt = _("SPI {spi}").format(spi=_fmt(spi))
    if slip <= 0 and (spi is None or spi >= th.spi_green):
        return GREEN, f"{where}; {spi_txt}", fc.slip_days
    if slip <= th.slip_amber_days and (spi is None or spi >= th.spi_amber):
        why = [] if slip <= 0 else [_("slip within {days}").format(days=_days(th.slip_amber_days, _))]
        if spi is not None and spi < th.spi_green:
            why.append(_("SPI below {limit}").format(limit=f"{th.spi_green:g}"))
        return AMBER, f"{where}; {spi_txt}" + (f" ({', '.join(why)})" if why else ""), fc.slip_days
    why = []
    if slip > th.slip_amber_days:
        why.append(_("slip over {days}").format(days=_days(th.slip_amber_days, _)))
    if spi is not None and spi < th.spi_amber:
        why.append(_("SPI below {limit}").format(limit=f"{th.spi_amber:g}"))
    return RED, f"{where}; {spi_txt} ({', '.join(why)})", fc.slip_days


def _cost_health(evm, th, _=_identity) -> tuple[str, str]:
    if evm is None:
        return RED, _("the plan cannot be scheduled (run kapm check)")
    bac, eac, cpi = evm.bac, evm.eac, evm.cpi
    if not bac:
        return GREEN, _("no budget (BAC 0): cost not assessed; AC {ac}").format(ac=_money(evm.ac))
    if eac is None:
        return RED, _("AC {ac} spent with nothing earned (CPI 0): EAC cannot be forecast").format(
            ac=_money(evm.ac))
    base = _("EAC {eac} vs BAC {bac} ({ratio}); CPI {cpi}").format(
        eac=_money(eac), bac=_money(bac), ratio=f"{eac / bac:.0%}", cpi=_fmt(cpi))
    if eac <= bac and (cpi is None or cpi >= th.cpi_green):
        return GREEN, base
    if eac <= th.eac_amber_ratio * bac and (cpi is None or cpi >= th.cpi_amber):
        why = []
        if eac > bac:
            why.append(_("EAC over BAC"))
        if cpi is not None and cpi < th.cpi_green:
            why.append(_("CPI below {limit}").format(limit=f"{th.cpi_green:g}"))
        return AMBER, f"{base} ({', '.join(why)})"
    why = []
    if eac > th.eac_amber_ratio * bac:
        why.append(_("EAC over {ratio} × BAC").format(ratio=f"{th.eac_amber_ratio:g}"))
    if cpi is not None and cpi < th.cpi_amber:
        why.append(_("CPI below {limit}").format(limit=f"{th.cpi_amber:g}"))
    return RED, f"{base} ({', '.join(why)})"


def thresholds(result):
    """The health thresholds in force for ``result`` (kapm.yaml ``health``, else the defaults)."""
    from kapm.model import HealthThresholds

    cfg = result.config.model if result.config is not None else None
    return cfg.health if cfg is not None else HealthThresholds.model_construct()


def risk_zone(score: int, red: int, amber: int) -> str:
    """red ≥ ``red``, amber ≥ ``amber`` (the health thresholds ``risk_red_score`` /
    ``risk_amber_score``, 15 / 10), else green: the colours of the risk dimension of health,
    report pills and ``kapm risks``."""
    return RED if score >= red else AMBER if score >= amber else GREEN


def _risk_health(p, th, _=_identity) -> tuple[str, str]:
    open_risks = sorted((r for r in p.risks if r.status == "open"), key=lambda r: (-r.score, r.id))
    if not open_risks:
        return GREEN, _("no open risks")
    top = open_risks[0]
    n = len(open_risks)
    if top.score >= th.risk_red_score:
        return RED, _("open risk {id} scores {score} (≥ {limit}); {n} open").format(
            id=top.id, score=top.score, limit=th.risk_red_score, n=n)
    if top.score >= th.risk_amber_score:
        return AMBER, _("open risk {id} scores {score} (≥ {limit}); {n} open").format(
            id=top.id, score=top.score, limit=th.risk_amber_score, n=n)
    return GREEN, _("highest open risk {id} scores {score}; {n} open").format(id=top.id, score=top.score, n=n)


def _client_health(result, as_of: date, th, _=_identity) -> tuple[str, str]:
    p = result.model
    surveys = p.csat_surveys(as_of)
    latest = surveys[-1].csat if surveys else None
    previous = surveys[-2].csat if len(surveys) > 1 else None
    from kapm import sla

    since = as_of - timedelta(days=th.client_window_days)
    breaches = [b for b in sla.request_breaches(result, as_of) if b.breached_at.date() > since]
    lapses = sla.lapsed_comms(result, as_of)
    red, amber = [], []
    if breaches:
        ids = list(dict.fromkeys(b.request_id for b in breaches))
        shown = ", ".join(ids[:3]) + (", …" if len(ids) > 3 else "")
        msg = _("{n} SLA breach in the last {days} days ({ids})") if len(breaches) == 1 else \
            _("{n} SLA breaches in the last {days} days ({ids})")
        red.append(msg.format(n=len(breaches), days=th.client_window_days, ids=shown))
    if latest is not None and latest <= th.csat_red:
        red.append(_("latest CSAT {csat} (≤ {limit})").format(csat=latest, limit=th.csat_red))
    if lapses:
        ids = [x.item_id for x in lapses]
        amber.append(_("comms plan lapsed: {ids}").format(ids=", ".join(ids[:3]) + (", …" if len(ids) > 3 else "")))
    if latest is not None and previous is not None and latest < previous:
        amber.append(_("CSAT fell from {before} to {after}").format(before=previous, after=latest))
    if red:
        return RED, "; ".join(red + amber)
    if amber:
        return AMBER, "; ".join(amber)
    parts = [_("latest CSAT {csat}").format(csat=latest) if latest is not None else _("no CSAT recorded")]
    parts.append(_("no SLA breach in the last {days} days, comms plan kept").format(days=th.client_window_days))
    return GREEN, "; ".join(parts)


def health(result, as_of: date, gettext=None) -> Health:
    """RAG health of the project as of ``as_of`` (see the module docstring); ``gettext``
    translates the reasons (a report's language), English without it."""
    _ = gettext or _identity
    th = thresholds(result)
    fc = result.schedule(status=True, as_of=as_of)
    evm = earned_value(result, as_of)
    sched, sched_why, slip = _schedule_health(fc, evm, th, _)
    cost, cost_why = _cost_health(evm, th, _)
    risk, risk_why = _risk_health(result.model, th, _)
    client, client_why = _client_health(result, as_of, th, _)
    colours = {"schedule": sched, "cost": cost, "risk": risk, "client": client}
    overall = max(colours.values(), key=_RANK.__getitem__)
    worst = [d for d in DIMENSIONS if colours[d] == overall]
    if overall != GREEN:
        why_overall = _("worst of the four dimensions: {dimensions} {colour}").format(
            dimensions=", ".join(_(d) for d in worst), colour=_(overall))
    else:
        why_overall = _("all four dimensions green")
    reasons = {"schedule": sched_why, "cost": cost_why, "risk": risk_why, "client": client_why,
               "overall": why_overall}
    return Health(overall, sched, cost, risk, client, reasons, slip_days=slip,
                  spi=evm.spi if evm else None, cpi=evm.cpi if evm else None, evm=evm)
