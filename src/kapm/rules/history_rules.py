"""Rules that compare the project with its baseline read from git (X003)."""

from __future__ import annotations

from kapm.rules.registry import WARNING, Hit, rule

# A change request in these states does not justify new work.
_NOT_JUSTIFYING = ("rejected", "withdrawn")


@rule("X003", "unapproved-scope-change", WARNING)
def unapproved_scope_change(ctx):
    """Task added or duration raised since the baseline without a change request.

    Only with a baseline (``kapm check --baseline REV`` or ``project.baseline``): the
    project is compared with its version at that git revision.  Every task that did not
    exist in the baseline, and every leaf task whose planned duration grew, must be
    listed in the ``tasks`` of a change request (in any state but rejected or
    withdrawn; a change that lists a summary task covers its children).  Otherwise scope
    grew without the client agreeing to it.  When the baseline named by
    ``project.baseline`` cannot be read (not a git repository, unknown revision, a
    shallow clone, or the project does not validate there) this rule says so once,
    because nothing was compared.  Without a baseline the rule does nothing.

    Bad:
        # baseline v1.0 had `build` at 10d and no `reports` task
        project: {id: erp, name: ERP, start: 2026-09-01, baseline: v1.0}
        tasks:
          - {id: build, name: Build, duration: 15d}
          - {id: reports, name: Extra reports, duration: 5d, depends: [build]}
    Good:
        project: {id: erp, name: ERP, start: 2026-09-01, baseline: v1.0}
        tasks:
          - {id: build, name: Build, duration: 15d}
          - {id: reports, name: Extra reports, duration: 5d, depends: [build]}
        changes:
          - {id: CR-7, title: Reports and data volume, status: approved, tasks: [build, reports]}
    """
    from kapm.analysis import baseline_rev

    rev = baseline_rev(ctx.result)
    if not rev:
        return
    from kapm.gitlayer import GitError
    from kapm.history import load_baseline
    try:
        baseline = load_baseline(ctx.result)
    except GitError as exc:
        yield Hit(f"baseline {rev!r} cannot be read, so changes since the baseline are not checked: {exc}",
                  ctx.project.project.path + ("baseline",),
                  "fix project.baseline, or fetch the history and tags (git fetch --tags --unshallow)")
        return
    base = {t.id: t for t in baseline.version.result.model.all_tasks()}
    covered = set()
    for c in ctx.project.changes:
        if c.status not in _NOT_JUSTIFYING:
            covered.update(c.tasks)

    def visit(task, parent_added: bool, parent_covered: bool):
        is_covered = parent_covered or task.id in covered
        added = task.id not in base
        if added and not parent_added and not is_covered:
            yield Hit(f"task '{task.id}' was added since baseline {rev} without a change request listing it",
                      task.path + ("id",), "add a change request (changes: [{..., tasks: [" + task.id + "]}])")
        elif not added and not task.tasks and not is_covered:
            old, new = base[task.id].planned_duration(), task.planned_duration()
            if old is not None and new is not None and new > old:
                field = "duration" if task.duration is not None else ("estimate" if task.estimate else "milestone")
                yield Hit(f"duration of task '{task.id}' was raised from {old}d to {new}d since baseline {rev} "
                          "without a change request listing it", task.path + (field,),
                          "record the change: changes: [{..., tasks: [" + task.id + "]}]")
        for child in task.tasks:
            yield from visit(child, added or parent_added, is_covered)

    for task in ctx.project.tasks:
        yield from visit(task, False, False)
