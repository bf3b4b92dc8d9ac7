"""Client rules: communication plan, action items, request SLAs, feedback (C001–C006).

The SLA and cadence arithmetic lives in :mod:`kapm.sla`, shared with the client health
dimension, so a rule and the health colour never disagree.
"""

from __future__ import annotations

from kapm.rules.registry import INFO, WARNING, Hit, rule


@rule("C001", "comms-lapsed", WARNING)
def comms_lapsed(ctx):
    """Comms plan item lapsed: no log entry within its cadence plus grace days.

    Each ``comms`` item promises the client a rhythm.  A log entry with ``plan: <id>``
    fulfils it.  The next entry is due one cadence after the latest one (weekly 7,
    biweekly 14 calendar days, monthly one calendar month, quarterly three months;
    from the project start when there is none yet) plus ``comms_grace_days`` working
    days (default 2).  A ``milestones`` item expects an entry within 7 days plus grace
    after each milestone that has an ``actual_finish``.  Closed and cancelled projects
    are not checked.

    Bad:
        comms:
          - {id: weekly-status, name: Weekly status report, cadence: weekly}
        log:
          - {date: 2026-10-30, kind: report, summary: Week 44 status, plan: weekly-status}
    Good:
        comms:
          - {id: weekly-status, name: Weekly status report, cadence: weekly}
        log:
          - {date: 2026-11-13, kind: report, summary: Week 46 status, plan: weekly-status}
    """
    from kapm.sla import lapsed_comms

    grace = int(ctx.settings.get("comms_grace_days", 2))
    for lapse in lapsed_comms(ctx.result, ctx.as_of, grace):
        item = lapse.item
        if lapse.milestone is not None:
            last = f"no entry since milestone '{lapse.milestone}' finished on {lapse.since}"
        elif lapse.last is not None:
            last = f"last entry {lapse.last}"
        else:
            last = f"no entry since the project start {lapse.since}"
        yield Hit(f"{item.cadence} comms item '{item.id}' has lapsed: due by {lapse.due} ({last}); "
                  "the client is not getting the communication the plan promised",
                  item.path + ("cadence",), f"log it: a log entry with plan: {item.id}")


@rule("C002", "action-overdue", WARNING)
def action_overdue(ctx):
    """Action item overdue.

    An action item from a meeting (``log[].actions``) whose ``due`` date has passed
    without a ``done`` date.  Open promises to a client erode trust faster than late
    tasks.

    Bad:
        log:
          - date: 2026-11-02
            kind: meeting
            summary: Steering committee
            actions:
              - {id: A-17, what: Send the cutover plan, owner: li.wei, due: 2026-11-09}
    Good:
        log:
          - date: 2026-11-02
            kind: meeting
            summary: Steering committee
            actions:
              - {id: A-17, what: Send the cutover plan, owner: li.wei, due: 2026-11-09, done: 2026-11-06}
    """
    as_of = ctx.as_of
    for e in ctx.project.log:
        for a in e.actions:
            if not a.is_overdue(as_of):
                continue
            who = f" (owner {a.owner})" if a.owner else ""
            yield Hit(f"action '{a.id}'{who} was due {a.due} and is still open {(as_of - a.due).days} days later; "
                      "a promise to the client is being broken",
                      a.path + ("due",), "do it and record done: <date>, or agree a new due date")


def _breach_hits(ctx, kind: str):
    from kapm.sla import format_minutes, request_breaches

    for b in request_breaches(ctx.result, ctx.as_of):
        if b.kind != kind:
            continue
        req = b.request
        verb = "answered" if kind == "respond" else "resolved"
        target = format_minutes(b.target)
        if b.actual is None:
            msg = (f"{req.priority} request '{req.id}' is still not {verb}: its {target} SLA ran out at "
                   f"{b.breached_at:%Y-%m-%d %H:%M}")
            path = req.path + ("received",)
            hint = ("respond now and record responded: <timestamp>" if kind == "respond"
                    else "resolve it and record resolved: <timestamp>, or escalate")
        else:
            msg = (f"{req.priority} request '{req.id}' was {verb} after {format_minutes(b.actual)}; "
                   f"the SLA is {target}")
            path = req.path + ("responded" if kind == "respond" else "resolved",)
            hint = "explain the breach in the status report; repeated breaches turn the client health red"
        yield Hit(msg + ("; a breach of the agreed response target" if kind == "respond"
                         else "; a breach of the agreed resolution target"), path, hint)


@rule("C003", "response-sla-breached", WARNING)
def response_sla_breached(ctx):
    """Client request response SLA breached (or still unanswered past it).

    The target is the ``respond`` time for the request's ``priority`` in the project's
    ``sla``, else the account's (clock time: ``1d`` = 24 hours).  A request with no
    ``responded`` timestamp breaches once the target has passed at the end of the
    status date.

    Bad:
        requests:
          - {id: REQ-7, received: 2026-11-03T09:20, summary: QAS system down, priority: urgent,
             responded: 2026-11-03T14:00}
    Good:
        requests:
          - {id: REQ-7, received: 2026-11-03T09:20, summary: QAS system down, priority: urgent,
             responded: 2026-11-03T09:35}
    """
    yield from _breach_hits(ctx, "respond")


@rule("C004", "resolution-sla-breached", WARNING)
def resolution_sla_breached(ctx):
    """Client request resolution SLA breached.

    The target is the ``resolve`` time for the request's ``priority`` (project ``sla``
    over account ``sla``, clock time).  A request with no ``resolved`` timestamp breaches
    once the target has passed at the end of the status date.

    Bad:
        requests:
          - {id: REQ-7, received: 2026-11-03T09:20, summary: QAS system down, priority: urgent,
             responded: 2026-11-03T09:35, resolved: 2026-11-05T12:00}
    Good:
        requests:
          - {id: REQ-7, received: 2026-11-03T09:20, summary: QAS system down, priority: urgent,
             responded: 2026-11-03T09:35, resolved: 2026-11-03T12:10}
    """
    yield from _breach_hits(ctx, "resolve")


@rule("C005", "no-recent-feedback", INFO)
def no_recent_feedback(ctx):
    """No client feedback recorded for 90 days.

    Ask the client how it is going at least every ``feedback_days`` (default 90)
    calendar days; count from the latest ``feedback`` entry, or from the project start.
    Closed and cancelled projects are not checked.

    Bad:
        project: {id: erp, name: ERP, start: 2026-06-01}
        feedback: []
    Good:
        project: {id: erp, name: ERP, start: 2026-06-01}
        feedback:
          - {date: 2026-10-30, from: zhang.san, kind: survey, csat: 4}
    """
    p = ctx.project
    if p.project.status in ("closed", "cancelled"):
        return
    limit = int(ctx.settings.get("feedback_days", 90))
    dated = [f for f in p.feedback if f.date <= ctx.as_of]
    if dated:
        latest = max(dated, key=lambda f: f.date)
        last, path, what = latest.date, latest.path + ("date",), f"latest feedback {latest.date}"
    else:
        last, path, what = p.project.start, p.project.path + ("start",), f"none since the project start {p.project.start}"
    days = (ctx.as_of - last).days
    if days > limit:
        yield Hit(f"no client feedback for {days} days ({what}); dissatisfaction may go unnoticed",
                  path, f"record a survey or interview in feedback (limit: {limit} days)")


@rule("C006", "csat-dropped", WARNING)
def csat_dropped(ctx):
    """CSAT fell below 3 or dropped by 1 or more since the previous survey.

    Looks at the latest ``feedback`` entry with a ``csat`` score on or before the status
    date and compares it with the one before.  An unhappy or cooling client needs a
    conversation before the next steering committee.

    Bad:
        feedback:
          - {date: 2026-09-30, kind: survey, csat: 4}
          - {date: 2026-10-30, kind: survey, csat: 3}
    Good:
        feedback:
          - {date: 2026-09-30, kind: survey, csat: 4}
          - {date: 2026-10-30, kind: survey, csat: 4}
    """
    scored = ctx.project.csat_surveys(ctx.as_of)
    if not scored:
        return
    latest = scored[-1]
    previous = scored[-2] if len(scored) > 1 else None
    hint = "talk to the client (account manager and sponsor) and log the agreed actions"
    if latest.csat < 3:
        yield Hit(f"CSAT was {latest.csat} on {latest.date} (below 3); the client is dissatisfied",
                  latest.path + ("csat",), hint)
    elif previous is not None and previous.csat - latest.csat >= 1:
        yield Hit(f"CSAT dropped from {previous.csat} ({previous.date}) to {latest.csat} ({latest.date}); "
                  "client satisfaction is falling", latest.path + ("csat",), hint)
