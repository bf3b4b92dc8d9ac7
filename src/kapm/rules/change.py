"""Change control rules (X001, X002); X003 (changes against a git baseline) is in history_rules.py."""

from __future__ import annotations

from kapm.rules.registry import WARNING, Hit, rule

_UNDECIDED = ("proposed", "assessing")


@rule("X001", "approved-change-unlinked", WARNING)
def approved_change_unlinked(ctx):
    """Approved change request linked to no task or deliverable.

    An approved (or implemented) change must show where it lands in the plan: list the
    ``tasks`` it adds or changes, or the ``deliverables`` it affects.  Otherwise the
    extra work is paid for but never planned, tracked or reported.

    Bad:
        changes:
          - {id: CR-1, title: E-invoice interface, status: approved, decided: 2026-10-12}
    Good:
        changes:
          - {id: CR-1, title: E-invoice interface, status: approved, decided: 2026-10-12, tasks: [dev-einv]}
    """
    for c in ctx.project.changes:
        if c.status in ("approved", "implemented") and not c.tasks and not c.deliverables:
            yield Hit(f"{c.status} change '{c.id}' is linked to no task or deliverable; "
                      "its work is not in the plan, so it is neither scheduled nor tracked",
                      c.path + ("status",), "add tasks: [ids] or deliverables: [ids]")


@rule("X002", "change-undecided", WARNING)
def change_undecided(ctx):
    """Change request undecided for more than 10 working days.

    A change in ``proposed`` or ``assessing`` status for more than
    ``change_decision_days`` working days (default 10) of the project calendar since it
    was ``raised`` blocks the work it touches and leaves the client waiting.  Changes
    without a ``raised`` date are not checked.

    Bad:
        changes:
          - {id: CR-4, title: Extra reports, status: assessing, raised: 2026-10-16}
    Good:
        changes:
          - {id: CR-4, title: Extra reports, status: approved, raised: 2026-10-16, decided: 2026-10-28,
             tasks: [dev-reports]}
    """
    from kapm.sla import work_calendar, working_days_between

    limit = int(ctx.settings.get("change_decision_days", 10))
    cal = None
    for c in ctx.project.changes:
        if c.status not in _UNDECIDED or c.raised is None or c.raised >= ctx.as_of:
            continue
        cal = cal or work_calendar(ctx.result)
        days = working_days_between(cal, c.raised, ctx.as_of)
        if days > limit:
            yield Hit(f"change '{c.id}' has waited {days} working days for a decision (raised {c.raised}, "
                      f"status {c.status}); the work it touches is blocked",
                      c.path + ("status",), f"get a decision from the client (limit: {limit} working days)")
