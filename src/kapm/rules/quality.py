"""Quality and closure rules (Q001, Q002)."""

from __future__ import annotations

from kapm.rules.registry import WARNING, Hit, rule


@rule("Q001", "failed-check-without-follow-up", WARNING)
def failed_check_without_follow_up(ctx):
    """Failed quality check without a follow-up.

    A check with ``result: fail`` must name the issue or change request that deals with
    the failure in ``follow_up``; otherwise the defects it found are nobody's work.

    Bad:
        quality:
          checks:
            - {id: QC-4, name: Training material review, result: fail, defects: 12}
    Good:
        quality:
          checks:
            - {id: QC-4, name: Training material review, result: fail, defects: 12, follow_up: I-6}
        issues:
          - {id: I-6, title: Rework training material, owner: xu.jing}
    """
    q = ctx.project.quality
    if q is None:
        return
    for c in q.checks:
        if c.result == "fail" and not c.follow_up:
            defects = f" with {c.defects} defects" if c.defects else ""
            yield Hit(f"quality check '{c.id}' failed{defects} and has no follow-up; "
                      "the failure is not tracked to a fix",
                      c.path + ("result",), "add follow_up: <issue or change id>")


@rule("Q002", "closure-incomplete", WARNING)
def closure_incomplete(ctx):
    """Closed project with open checklist items or no lessons learned.

    A project with ``status: closed`` needs a ``closure`` section whose checklist items
    are all ``done`` and at least one entry in ``lessons``; lessons are what the next
    project for this client starts from.

    Bad:
        project: {id: erp, name: ERP, start: 2026-01-05, status: closed}
        closure:
          checklist:
            - {item: Archive project documents, done: false}
    Good:
        project: {id: erp, name: ERP, start: 2026-01-05, status: closed}
        closure:
          checklist:
            - {item: Archive project documents, done: true}
          lessons:
            - {what: Book key users before the blueprint starts, category: resource}
    """
    p = ctx.project
    if p.project.status != "closed":
        return
    closure = p.closure
    if closure is None:
        yield Hit(f"project '{p.project.id}' is closed but has no closure section; acceptance, checklist "
                  "and lessons learned are not recorded", p.project.path + ("status",),
                  "add closure: {date, accepted_by, checklist, lessons}")
        return
    for item in closure.checklist:
        if not item.done:
            yield Hit(f"project is closed but checklist item '{item.item}' is not done; the closure is incomplete",
                      item.path + ("done",), "finish it and set done: true, or reopen the project")
    if not closure.lessons:
        yield Hit("project is closed without lessons learned; the next project repeats its mistakes",
                  closure.path, "add closure.lessons: [{what, category, recommendation}]", key=True)
