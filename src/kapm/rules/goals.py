"""Goals and scope rules: objectives (G001) and deliverables (G002, G003)."""

from __future__ import annotations

from kapm.rules.registry import WARNING, Hit, rule

_SMART_FIELDS = ("metric", "target", "due", "owner")


@rule("G001", "objective-not-smart", WARNING)
def objective_not_smart(ctx):
    """Objective not SMART: metric, target, due or owner missing.

    An objective is measurable only with a ``metric`` and a ``target``, time-bound only
    with a ``due`` date, and someone's only with an ``owner``.  Without them nobody can
    say at closure whether the project delivered what the client bought.

    Bad:
        objectives:
          - {id: O1, statement: Faster month-end close}
    Good:
        objectives:
          - id: O1
            statement: Faster month-end close
            metric: Working days from period end to closed ledger
            baseline: 8
            target: 4
            due: 2027-06-30
            owner: qian.li
    """
    for o in ctx.project.objectives:
        missing = [f for f in _SMART_FIELDS if getattr(o, f) in (None, "")]
        if missing:
            listed = ", ".join(missing[:-1]) + " or " + missing[-1] if len(missing) > 1 else missing[0]
            yield Hit(f"objective '{o.id}' has no {listed}; its achievement cannot be measured "
                      "or signed off at closure", o.path + ("id",),
                      "add " + ", ".join(f"{f}:" for f in missing))


@rule("G002", "deliverable-without-acceptance", WARNING)
def deliverable_without_acceptance(ctx):
    """Deliverable without acceptance criteria.

    Acceptance criteria say when the client must accept a deliverable.  Without them,
    acceptance becomes a negotiation at the worst possible moment, and so does the
    payment tied to it.

    Bad:
        deliverables:
          - {id: D2, name: Business blueprint, due: 2026-10-30, owner: chen.jie}
    Good:
        deliverables:
          - id: D2
            name: Business blueprint
            due: 2026-10-30
            owner: chen.jie
            acceptance:
              - Every in-scope process has a to-be flow
              - Signed by the CIO
    """
    for d in ctx.project.deliverables:
        if not d.acceptance:
            yield Hit(f"deliverable '{d.id}' has no acceptance criteria; the client cannot say when it is done",
                      d.path + ("id",), "add acceptance: [criteria the client signs off against]")


def _milestone_finish(ctx, task_id: str):
    """When a milestone task was reached: its actual_finish (None while not done)."""
    node = ctx.wbs.by_id.get(task_id)
    if node is None:
        return None
    return node.task.actual_finish


@rule("G003", "deliverable-not-accepted", WARNING)
def deliverable_not_accepted(ctx):
    """Deliverable due and not accepted.

    A deliverable is due when its ``due`` date lies before the status date, or — for a
    deliverable tied to a ``milestone`` task — when that milestone has an
    ``actual_finish`` before the status date.  Record the client's sign-off in
    ``accepted``; until then the work is not finished in the client's eyes.

    Bad:
        deliverables:
          - {id: D2, name: Business blueprint, due: 2026-10-30, owner: chen.jie, acceptance: [Signed by the CIO]}
    Good:
        deliverables:
          - id: D2
            name: Business blueprint
            due: 2026-10-30
            owner: chen.jie
            acceptance: [Signed by the CIO]
            accepted: {date: 2026-10-29, by: zhang.san}
    """
    as_of = ctx.as_of
    for d in ctx.project.deliverables:
        if d.accepted is not None and d.accepted.date <= as_of:
            continue
        if d.due is not None:
            due, path, what = d.due, d.path + ("due",), f"was due on {d.due}"
        elif d.milestone:
            due = _milestone_finish(ctx, d.milestone)
            path, what = d.path + ("milestone",), f"was delivered with milestone '{d.milestone}' on {due}"
        else:
            continue
        if due is None or due >= as_of:
            continue
        days = (as_of - due).days
        yield Hit(f"deliverable '{d.id}' {what} and is not accepted {days} days later; "
                  "work the client has not signed off can still be reopened",
                  path, "record the sign-off: accepted: {date: YYYY-MM-DD, by: <contact>}")
