"""The report context: one documented dict built from a project, a status date and a
language. Every template (built-in or user) gets exactly this; docs/templates.md lists
every key.

The context holds plain data only (dicts, lists, strings, numbers, ``datetime.date``,
and for HTML the chart SVGs as safe markup): no model objects, so a sandboxed template
cannot reach anything but the report's data. Dates stay dates and money stays numbers;
templates format them with the ``date``, ``money``, ``number``, ``ratio``, ``percent``
and ``label`` filters of the report's language.

Parts of the pipeline that are not available (``kapm.schedule``, ``kapm.status``) are
listed in ``missing`` and their keys hold empty values, so a report still renders.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from kapm import __version__
from kapm.sla import cadence_step

#: Gantt rows beyond which only summaries, milestones and critical tasks are drawn.
GANTT_FULL_ROWS = 200
#: Hard cap of Gantt rows (the chart stays readable and rendering stays fast).
GANTT_MAX_ROWS = 400
TOP_RISKS = 5
_PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3, None: 4}


class _People:
    def __init__(self, people: dict):
        self.people = people

    def name(self, pid: str | None) -> str | None:
        if pid is None:
            return None
        p = self.people.get(pid)
        return p.name if p is not None else pid

    def names(self, ids) -> list[str]:
        return [self.name(i) for i in ids or ()]

    def is_client(self, pid: str | None) -> bool:
        from kapm.model import Contact

        return isinstance(self.people.get(pid), Contact)


def build_context(result, as_of: date, lang: str, *, template: str = "status", fmt: str = "md",
                  baseline: dict | None = None) -> dict:
    """The context of one report (see docs/templates.md for every key).

    ``result`` is a :class:`kapm.analysis.ProjectResult` without error findings;
    ``template`` is the report's name (it picks the reporting period from the comms plan);
    ``fmt`` is ``md`` or ``html`` (charts are drawn for HTML only)."""
    p = result.model
    people = _People(result.people)
    missing: list[str] = []
    schedule = plan = None
    try:
        schedule = result.schedule(status=True, as_of=as_of)
        plan = result.schedule(status=False, as_of=as_of)
    except ImportError:
        pass
    if schedule is None:
        missing.append("schedule")
    evm = health = None
    s_curve = None
    try:
        from kapm import status as _status

        if schedule is not None:
            from kapm.report.i18n import translations

            health = _status.health(result, as_of, gettext=translations(lang).gettext)
            evm = getattr(health, "evm", None) or _status.earned_value(result, as_of)
            s_curve = _status.s_curve
    except ImportError:
        pass
    if evm is None or health is None:
        missing.append("status")

    from kapm.gitlayer import describe_worktree

    tree = describe_worktree(result.dir)
    period = _period(p, template, as_of)
    tasks = _tasks(schedule, people) if schedule is not None else []
    plan_float = {t.id: t.total_float for t in plan.tasks} if plan is not None else {}
    acc = result.account.model if result.account is not None and result.account.model is not None else None
    report_cfg = result.config.section("report") if result.config is not None else None
    currency = p.project.currency

    ctx = {
        "kapm_version": __version__,
        "lang": lang,
        "format": fmt,
        "template": template,
        "as_of": as_of,
        "generated_by": f"kapm {__version__}",
        "company": getattr(report_cfg, "company", None),
        "missing": missing,
        "provenance": {
            "commit": tree["commit"],
            "short_commit": tree["commit"][:10] if tree["commit"] else None,
            "dirty": tree["dirty"],
            "version": __version__,
        },
        "baseline": baseline,
        "project": {
            "id": p.project.id,
            "name": p.project.name,
            "status": p.project.status,
            "manager": people.name(p.project.manager),
            "manager_id": p.project.manager,
            "start": p.project.start,
            "deadline": p.project.deadline,
            "currency": currency,
            "budget": p.project.budget,
            "baseline_rev": p.project.baseline,
        },
        "account": _account(acc, people),
        "period": period,
        "schedule": _schedule_summary(schedule, result, p),
        "tasks": tasks,
        "health": _health(health),
        "progress": _progress(tasks, schedule, evm, as_of),
        "milestones": _milestones(tasks, getattr(schedule, "calendar", None)),
        "done_since": [t for t in tasks if not t["summary"] and t["state"] == "done" and t["finish"]
                       and period["start"] < t["finish"] <= as_of],
        "in_progress": [t for t in tasks if not t["summary"] and t["state"] == "in_progress"],
        "planned_next": [t for t in tasks if not t["summary"] and t["state"] != "done" and t["start"]
                         and t["start"] <= period["next_end"] and t["finish"] > as_of],
        "critical_path": [t for t in tasks if t["critical"] and not t["summary"]],
        "float_erosion": _float_erosion(tasks, plan_float),
        "overallocation": _overallocation(p, schedule, people, as_of),
        "risks": _risks(result, people, as_of),
        "issues": _issues(p, people),
        "changes": _changes(p, people),
        "actions": _actions(p, people, as_of),
        "sla": _sla(result, as_of),
        "comms": _comms(result, as_of, period, tasks, people),
        "evm": _evm(evm, (lambda: s_curve(result, as_of)) if s_curve and evm is not None else list),
        "budget": _budget(p, tasks, evm, as_of),
        "objectives": _objectives(p, people),
        "deliverables": _deliverables(p, tasks, people),
        "quality": _quality(p),
        "feedback": _feedback(p, people, as_of),
        "closure": _closure(p, people),
        "scope": {"in": list(p.scope.in_) if p.scope else [], "out": list(p.scope.out) if p.scope else []},
    }
    ctx["risks"]["top"] = [r for r in ctx["risks"]["open"]][:TOP_RISKS]
    ctx["decisions_needed"] = _decisions(ctx, people)
    ctx["gantt"] = _gantt_rows(tasks)
    ctx["charts"] = _charts(ctx, lang)
    # git history: computed only when a template asks (the steering report does)
    ctx["history"] = LazyDict({}, {"trend": lambda: _trend(result, as_of)})
    return ctx


def _high_score(result) -> int:
    """The ``high_risk_score`` setting (10): a high risk in reports as in K002 and the portfolio."""
    settings = result.config.settings if result.config is not None else {}
    return int(settings.get("high_risk_score", 10))


def _trend(result, as_of: date) -> dict | None:
    from markupsafe import Markup

    from kapm.trend import for_report

    data = for_report(result.dir)
    if data is not None:
        data["svg"] = Markup(data["svg"])  # drawn by kapm.trend.to_svg, which escapes every text
    return data


class LazyDict(dict):
    """A dict whose expensive values are computed on first access (the S-curve and the
    charts): a report that does not use them does not pay for them. Templates cannot
    tell the difference; every key is always present."""

    def __init__(self, values: dict, lazy: dict):
        super().__init__(values)
        super().update(dict.fromkeys(lazy))
        self._lazy = dict(lazy)

    def _resolve(self, key):
        if key in self._lazy:
            from kapm.report.render import untimed

            with untimed():  # kapm's own work does not count against the template's time limit
                super().__setitem__(key, self._lazy.pop(key)())

    def __getitem__(self, key):
        self._resolve(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self._resolve(key)
        return super().get(key, default)

    def _resolve_all(self):
        for key in list(self._lazy):
            self._resolve(key)

    def values(self):
        self._resolve_all()
        return super().values()

    def items(self):
        self._resolve_all()
        return super().items()

    def copy(self):
        self._resolve_all()
        return dict(self)


# --------------------------------------------------------------------------- sections


def _account(acc, people: _People) -> dict | None:
    if acc is None:
        return None
    a = acc.account
    return {"id": a.id, "name": a.name, "tier": a.tier, "industry": a.industry,
            "owner": people.name(a.owner), "owner_id": a.owner}


def _period(p, template: str, as_of: date) -> dict:
    """The reporting period: the cadence of the comms item whose ``report`` is this
    template (default weekly). Its start is the previous report (the latest log entry of
    that item before the status date), else one cadence back."""
    item = next((c for c in p.comms if c.report == template), None)
    cadence = item.cadence if item is not None and item.cadence != "milestones" else "weekly"
    previous = None
    if item is not None:
        dates = [e.date for e in p.log if e.plan == item.id and e.date < as_of]
        previous = max(dates) if dates else None
    start = previous or cadence_step(cadence, as_of, -1)
    return {"cadence": cadence, "comms_id": item.id if item is not None else None,
            "previous_report": previous, "start": start, "end": as_of,
            "next_end": cadence_step(cadence, as_of, 1),
            "days": (as_of - start).days}


def _tasks(schedule, people: _People) -> list[dict]:
    rows = []
    level: dict[str, int] = {}
    for ts in schedule.tasks:
        lvl = level[ts.parent] + 1 if ts.parent in level else 0
        level[ts.id] = lvl
        task = ts.task
        rows.append({
            "id": ts.id, "name": ts.name, "wbs": ts.wbs, "parent": ts.parent, "level": lvl,
            "summary": bool(ts.summary), "milestone": bool(ts.milestone), "duration": ts.duration,
            "start": ts.start, "finish": ts.finish, "late_start": ts.late_start, "late_finish": ts.late_finish,
            "total_float": ts.total_float, "free_float": ts.free_float, "critical": bool(ts.critical),
            "state": _state(ts.state), "progress": ts.progress, "deadline": ts.deadline,
            "baseline_start": ts.baseline_start, "baseline_finish": ts.baseline_finish,
            "finish_variance": ts.finish_variance,
            "owner": people.name(task.owner) if task is not None else None,
            "owner_id": task.owner if task is not None else None,
            "deliverable": task.deliverable if task is not None else None,
        })
    return rows


def _state(value) -> str:
    """``done`` | ``in_progress`` | ``not_started`` (the codes of ``kapm plan --format json``)."""
    return str(value or "not_started").replace(" ", "_")


def _schedule_summary(schedule, result, p) -> dict:
    if schedule is None:
        return {"start": p.project.start, "finish": None, "deadline": p.project.deadline, "slip_days": None,
                "critical_path": [], "critical_paths": []}
    return {"start": schedule.start, "finish": schedule.finish, "deadline": schedule.deadline,
            "slip_days": schedule.slip_days,
            "critical_path": list(schedule.critical_path or []),
            "critical_paths": [list(cp) for cp in (schedule.critical_paths or [])]}


def _slip(calendar, finish: date | None, deadline: date | None) -> int | None:
    """Working days from ``deadline`` to ``finish`` (positive = late, negative = ahead)."""
    if finish is None or deadline is None or calendar is None:
        return None
    from kapm.history import workday_delta

    return workday_delta(calendar, finish, deadline)


def _health(health) -> dict:
    dims = ("overall", "schedule", "cost", "risk", "client")
    if health is None:
        return {**{d: None for d in dims}, "reasons": {d: None for d in dims}}
    reasons = dict(getattr(health, "reasons", {}) or {})
    return {**{d: getattr(health, d, None) for d in dims},
            "reasons": {d: reasons.get(d) for d in dims}}


def _progress(tasks: list[dict], schedule, evm, as_of: date) -> dict:
    leaves = [t for t in tasks if not t["summary"]]
    work = sum(t["duration"] or 0 for t in leaves)
    done_work = sum((t["duration"] or 0) * (t["progress"] or 0) / 100 for t in leaves)
    counts = {"done": 0, "in_progress": 0, "not_started": 0}
    for t in leaves:
        counts[t["state"]] = counts.get(t["state"], 0) + 1
    elapsed = None
    if schedule is not None and schedule.finish and schedule.start and schedule.finish > schedule.start:
        span = (schedule.finish - schedule.start).days
        elapsed = max(0.0, min(100.0, (as_of - schedule.start).days / span * 100))
    earned = None
    if evm is not None and evm.bac:
        earned = evm.ev / evm.bac * 100
    return {"percent": (done_work / work * 100) if work else None, "earned_percent": earned,
            "time_elapsed_percent": elapsed, "tasks": len(leaves), "done": counts["done"],
            "in_progress": counts["in_progress"], "not_started": counts["not_started"]}


def _milestones(tasks: list[dict], calendar) -> list[dict]:
    out = []
    for t in tasks:
        if not t["milestone"]:
            continue
        out.append({"id": t["id"], "name": t["name"], "wbs": t["wbs"], "state": t["state"],
                    "baseline": t["baseline_finish"], "forecast": t["finish"], "deadline": t["deadline"],
                    "variance": t["finish_variance"], "slip_days": _slip(calendar, t["finish"], t["deadline"]),
                    "critical": t["critical"], "total_float": t["total_float"]})
    return out


def _float_erosion(tasks: list[dict], plan_float: dict) -> list[dict]:
    """Open tasks whose total float is lower in the forecast than in the plan."""
    out = []
    for t in tasks:
        if t["summary"] or t["state"] == "done" or t["id"] not in plan_float:
            continue
        before, now = plan_float[t["id"]], t["total_float"]
        if before is not None and now is not None and now < before:
            out.append({**t, "plan_float": before, "float_loss": before - now})
    out.sort(key=lambda r: (-r["float_loss"], r["wbs"] or ""))
    return out


def _overallocation(p, schedule, people: _People, as_of: date) -> list[dict]:
    """People booked above their capacity on some calendar day of open work (sum of
    assignee allocations of overlapping tasks, weekends included as the tasks span
    them). One sweep per person over sorted start/finish events: linear-logarithmic."""
    if schedule is None:
        return []
    caps = {m.id: m.capacity for m in list(p.team)}
    events: dict[str, list[tuple[date, float]]] = {}
    for ts in schedule.tasks:
        task = ts.task
        if ts.summary or task is None or not task.assignees or ts.start is None or ts.finish is None:
            continue
        if ts.finish < as_of or _state(ts.state) == "done":
            continue
        for pid, pct in dict(task.assignees).items():
            ev = events.setdefault(pid, [])
            ev.append((max(ts.start, as_of), float(pct)))
            ev.append((ts.finish + timedelta(days=1), -float(pct)))
    out = []
    for pid in sorted(events):
        cap = caps.get(pid, 1) * 100
        load, peak, first, days_over, since = 0.0, 0.0, None, 0, None
        for day, delta in sorted(events[pid]):
            if since is not None and load > cap + 1e-9:
                days_over += (day - since).days
            load += delta
            since = day
            if load > cap + 1e-9:
                if load > peak:
                    peak = load
                first = first or day
        if first is not None:
            out.append({"person": people.name(pid), "person_id": pid, "capacity": cap, "peak": peak,
                        "first": first, "days": days_over})
    return out


def _risks(result, people: _People, as_of: date) -> dict:
    from kapm.status import risk_zone, thresholds

    p, high, th = result.model, _high_score(result), thresholds(result)
    rows = []
    matrix = [[[] for _ in range(5)] for _ in range(5)]
    for r in p.risks:
        residual = r.residual
        rp = residual.probability if residual and residual.probability else None
        ri = residual.impact if residual and residual.impact else None
        rows.append({"id": r.id, "title": r.title, "description": r.description, "category": r.category,
                     "probability": r.probability, "impact": r.impact, "score": r.score,
                     "strategy": r.strategy, "response": r.response, "owner": people.name(r.owner),
                     "owner_id": r.owner, "status": r.status, "raised": r.raised, "reviewed": r.reviewed,
                     "days_since_review": (as_of - r.reviewed).days if r.reviewed else None,
                     "due": r.due, "trigger": r.trigger, "contingency": r.contingency, "tasks": list(r.tasks),
                     "residual_score": rp * ri if rp and ri else None,
                     "zone": risk_zone(r.score, th.risk_red_score, th.risk_amber_score)})
        if r.status == "open":
            matrix[r.probability - 1][r.impact - 1].append(r.id)
    rows.sort(key=lambda r: (-r["score"], r["id"]))
    open_ = [r for r in rows if r["status"] == "open"]
    return {"all": rows, "open": open_, "top": [], "matrix": matrix,
            "counts": [[len(c) for c in row] for row in matrix],
            "open_count": len(open_), "high_count": sum(1 for r in open_ if r["score"] >= high),
            "high_score": high}


def _issues(p, people: _People) -> dict:
    rows = [{"id": i.id, "title": i.title, "raised": i.raised, "owner": people.name(i.owner), "owner_id": i.owner,
             "priority": i.priority, "status": i.status, "resolved": i.resolved, "resolution": i.resolution,
             "tasks": list(i.tasks)} for i in p.issues]
    open_ = sorted((r for r in rows if r["status"] == "open"),
                   key=lambda r: (_PRIORITY_RANK.get(r["priority"], 4), r["raised"] or date.min, r["id"]))
    return {"all": rows, "open": open_}


def _changes(p, people: _People) -> dict:
    rows = []
    for c in p.changes:
        imp = c.impact
        rows.append({"id": c.id, "title": c.title, "description": c.description,
                     "requested_by": people.name(c.requested_by), "raised": c.raised, "status": c.status,
                     "decided": c.decided, "approved_by": people.name(c.approved_by),
                     "schedule_days": imp.schedule if imp else None, "cost": imp.cost if imp else None,
                     "scope": imp.scope if imp else None, "tasks": list(c.tasks),
                     "deliverables": list(c.deliverables)})
    pending = [r for r in rows if r["status"] in ("proposed", "assessing")]
    accepted = [r for r in rows if r["status"] in ("approved", "implemented")]
    return {"all": rows, "pending": pending,
            "approved_cost": sum(r["cost"] or 0 for r in accepted),
            "approved_days": sum(r["schedule_days"] or 0 for r in accepted),
            "pending_cost": sum(r["cost"] or 0 for r in pending),
            "pending_days": sum(r["schedule_days"] or 0 for r in pending)}


def _actions(p, people: _People, as_of: date) -> dict:
    rows = []
    for e in p.log:
        if e.date > as_of:
            continue
        for a in e.actions:
            rows.append({"id": a.id, "what": a.what, "owner": people.name(a.owner), "owner_id": a.owner,
                         "client": people.is_client(a.owner), "due": a.due, "done": a.done,
                         "overdue": a.is_overdue(as_of), "open": a.is_open(as_of),
                         "raised": e.date, "source": e.summary})
    open_ = sorted((r for r in rows if r["open"]), key=lambda r: (r["due"] or date.max, r["id"]))
    return {"all": rows, "open": open_, "overdue": [r for r in open_ if r["overdue"]]}


def _decisions(ctx: dict, people: _People) -> list[dict]:
    """Decisions the client owes: pending change requests and open client actions."""
    out = [{"kind": "change", "id": c["id"], "title": c["title"], "owner": c["requested_by"], "due": None,
            "status": c["status"]} for c in ctx["changes"]["pending"]]
    out += [{"kind": "action", "id": a["id"], "title": a["what"], "owner": a["owner"], "due": a["due"],
             "status": "overdue" if a["overdue"] else "open"} for a in ctx["actions"]["open"] if a["client"]]
    return out


def _sla(result, as_of: date) -> dict:
    from kapm.sla import client_window_days, effective_sla, format_minutes, request_breaches

    p = result.model
    sla = effective_sla(result)
    breaches = request_breaches(result, as_of)
    breached = {(b.request_id, b.kind) for b in breaches}
    end = datetime.combine(as_of, time(23, 59))
    rows = []
    counts = {"respond": [0, 0], "resolve": [0, 0]}  # [met, breached] among decided outcomes
    for req in p.requests:
        if req.received.replace(tzinfo=None) > end:
            continue
        target = sla.target(req.priority) if sla is not None else None
        row = {"id": req.id, "summary": req.summary, "from": result.people.get(req.from_).name
               if req.from_ in result.people else req.from_, "priority": req.priority,
               "received": req.received.date(), "received_at": req.received.strftime("%Y-%m-%d %H:%M"),
               "change": req.change}
        for kind, field, limit, done in (("respond", "responded", target.respond if target else None, req.responded),
                                         ("resolve", "resolved", target.resolve if target else None, req.resolved)):
            happened = done is not None and done.replace(tzinfo=None) <= end
            row[kind + "_target"] = format_minutes(limit) if limit is not None else None
            row[field] = done.date() if happened else None
            if (req.id, kind) in breached:
                outcome = "breached"
            elif limit is None or not happened:
                outcome = "pending" if not happened else "met"
            else:
                outcome = "met"
            if limit is not None and outcome != "pending":
                counts[kind][outcome == "breached"] += 1
            row[kind + "_status"] = outcome
        row["open"] = row["resolved"] is None
        rows.append(row)
    window = as_of - timedelta(days=client_window_days(result))
    recent = sorted({b.request_id for b in breaches if b.breached_at.date() > window})

    def rate(kind):
        met, bad = counts[kind]
        return met / (met + bad) * 100 if met + bad else None

    return {"requests": rows, "open": [r for r in rows if r["open"]],
            "breaches": [{"request": b.request_id, "kind": b.kind, "target": format_minutes(b.target),
                          "actual": format_minutes(b.actual) if b.actual is not None else None,
                          "open": b.actual is None, "at": b.breached_at.strftime("%Y-%m-%d %H:%M")}
                         for b in breaches],
            "breached_30d": recent, "total": len(rows),
            "respond_met_percent": rate("respond"), "resolve_met_percent": rate("resolve")}


def _comms(result, as_of: date, period: dict, tasks: list[dict], people: _People) -> dict:
    from kapm.sla import lapsed_comms

    p = result.model
    lapses = {lp.item.id: lp for lp in lapsed_comms(result, as_of)}
    last: dict[str, date] = {}
    for e in p.log:
        if e.plan and e.date <= as_of and (e.plan not in last or e.date > last[e.plan]):
            last[e.plan] = e.date
    upcoming_ms = sorted((t["finish"], t["id"]) for t in tasks if t["milestone"] and t["state"] != "done"
                         and t["finish"] and t["finish"] >= as_of)
    rows = []
    for c in p.comms:
        prev = last.get(c.id)
        if c.cadence == "milestones":
            nxt = upcoming_ms[0][0] if upcoming_ms else None
        else:
            nxt = cadence_step(c.cadence, prev or p.project.start, 1)
            while nxt <= as_of and c.id not in lapses:
                nxt = cadence_step(c.cadence, nxt, 1)
        lapse = lapses.get(c.id)
        rows.append({"id": c.id, "name": c.name, "cadence": c.cadence, "channel": c.channel,
                     "owner": people.name(c.owner), "audience": people.names(c.audience), "report": c.report,
                     "last": prev, "next": nxt, "lapsed": lapse is not None,
                     "overdue_days": lapse.overdue_days if lapse else None})
    upcoming = sorted((r for r in rows if r["next"] and (r["lapsed"] or r["next"] <= period["next_end"])),
                      key=lambda r: (r["next"], r["id"]))
    recent = [{"date": e.date, "kind": e.kind, "summary": e.summary, "decisions": list(e.decisions)}
              for e in p.log if period["start"] < e.date <= as_of]
    return {"plan": rows, "upcoming": upcoming, "lapsed": [r for r in rows if r["lapsed"]], "recent": recent}


def _evm(evm, curve) -> dict:
    """EVM figures; ``series`` (the S-curve points) is computed when first used."""
    keys = ("bac", "pv", "ev", "ac", "sv", "cv", "spi", "cpi", "eac", "etc", "vac")

    def series():
        return [{"date": pt.date, "pv": pt.pv, "ev": pt.ev, "ac": pt.ac} for pt in curve()]

    values = {k: (getattr(evm, k, None) if evm is not None else None) for k in keys}
    return LazyDict(values, {"series": series})


def _budget(p, tasks: list[dict], evm, as_of: date) -> dict:
    contract = p.contract
    value = contract.value if contract else None
    finish_of = {t["id"]: t["finish"] for t in tasks}
    payments = []
    for pay in (contract.payments if contract else []):
        amount = pay.money(value)
        due = pay.due or finish_of.get(pay.milestone)
        if pay.paid and pay.paid <= as_of:
            state = "paid"
        elif pay.invoiced and pay.invoiced <= as_of:
            state = "invoiced"
        elif due and due < as_of:
            state = "overdue"
        else:
            state = "due"
        payments.append({"id": pay.id, "amount": amount, "share": pay.share, "due": due, "milestone": pay.milestone,
                         "invoiced": pay.invoiced, "paid": pay.paid, "state": state})
    by_cat: dict[str, float] = {}
    for c in p.costs:
        if c.date <= as_of:
            by_cat[c.category or "other"] = by_cat.get(c.category or "other", 0) + c.amount
    return {"currency": p.project.currency, "bac": evm.bac if evm is not None else p.project.budget,
            "project_budget": p.project.budget, "contract_value": value,
            "contract": {"id": contract.id, "title": contract.title, "signed": contract.signed,
                         "payment_terms": contract.payment_terms} if contract else None,
            "payments": payments,
            "invoiced": sum(x["amount"] or 0 for x in payments if x["state"] in ("invoiced", "paid")),
            "paid": sum(x["amount"] or 0 for x in payments if x["state"] == "paid"),
            "actual_cost": sum(by_cat.values()),
            "costs_by_category": [{"category": k, "amount": by_cat[k]} for k in sorted(by_cat)],
            "subcontracts": [{"id": s.id, "vendor": s.vendor, "scope": s.scope, "value": s.value, "due": s.due}
                             for s in (contract.subcontracts if contract else [])]}


def _objectives(p, people: _People) -> list[dict]:
    out = []
    for o in p.objectives:
        met = None
        if o.result is not None and o.target is not None:
            lower_better = o.baseline is not None and o.target < o.baseline
            met = o.result <= o.target if lower_better else o.result >= o.target
        out.append({"id": o.id, "statement": o.statement, "metric": o.metric, "baseline": o.baseline,
                    "target": o.target, "unit": o.unit, "due": o.due, "owner": people.name(o.owner),
                    "result": o.result, "met": met})
    return out


def _deliverables(p, tasks: list[dict], people: _People) -> list[dict]:
    finish_of = {t["id"]: t["finish"] for t in tasks}
    return [{"id": d.id, "name": d.name, "due": d.due or finish_of.get(d.milestone), "milestone": d.milestone,
             "owner": people.name(d.owner), "acceptance": list(d.acceptance),
             "accepted": d.accepted.date if d.accepted else None,
             "accepted_by": people.name(d.accepted.by) if d.accepted else None,
             "ref": d.accepted.ref if d.accepted else None} for d in p.deliverables]


def _quality(p) -> list[dict]:
    if p.quality is None:
        return []
    return [{"id": c.id, "name": c.name, "kind": c.kind, "date": c.date, "result": c.result,
             "defects": c.defects, "follow_up": c.follow_up} for c in p.quality.checks]


def _feedback(p, people: _People, as_of: date) -> dict:
    rows = [{"date": f.date, "from": people.name(f.from_), "kind": f.kind, "csat": f.csat, "nps": f.nps,
             "comment": f.comment} for f in p.feedback if f.date <= as_of]
    rows.sort(key=lambda r: r["date"])
    scored = [f.csat for f in p.csat_surveys(as_of)]
    return {"all": rows, "latest_csat": scored[-1] if scored else None,
            "previous_csat": scored[-2] if len(scored) > 1 else None,
            "average_csat": sum(scored) / len(scored) if scored else None}


def _closure(p, people: _People) -> dict:
    c = p.closure
    checklist = [{"item": i.item, "done": bool(i.done)} for i in (c.checklist if c else [])]
    return {"date": c.date if c else None, "accepted_by": people.name(c.accepted_by) if c else None,
            "summary": c.summary if c else None, "checklist": checklist,
            "checklist_done": sum(1 for i in checklist if i["done"]),
            "lessons": [{"what": x.what, "category": x.category, "recommendation": x.recommendation}
                        for x in (c.lessons if c else [])]}


# --------------------------------------------------------------------------- charts


def _gantt_rows(tasks: list[dict]) -> dict:
    rows = tasks
    reduced = False
    if len(rows) > GANTT_FULL_ROWS:
        rows = [t for t in tasks if t["summary"] or t["milestone"] or t["critical"]]
        reduced = True
    shown = rows[:GANTT_MAX_ROWS]
    return {"rows": shown, "shown": len(shown), "total": len(tasks), "reduced": reduced or len(rows) > len(shown)}


def _charts(ctx: dict, lang: str) -> dict:
    from kapm.report import charts
    from kapm.report.i18n import Formats, translations

    t = translations(lang).gettext
    fmt = Formats(lang, ctx["project"]["currency"])
    return LazyDict({}, {
        "gantt": lambda: charts.gantt(ctx["gantt"]["rows"], as_of=ctx["as_of"], deadline=ctx["schedule"]["deadline"],
                                      t=t, fmt=fmt, title=t("Schedule (Gantt chart)")),
        "heatmap": lambda: charts.heatmap(ctx["risks"]["matrix"], t=t, title=t("Risk heat map")),
        "scurve": lambda: charts.scurve(ctx["evm"]["series"], as_of=ctx["as_of"], bac=ctx["evm"]["bac"], t=t,
                                        fmt=fmt, title=t("Earned value S-curve")),
    })
