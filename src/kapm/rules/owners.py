"""People rules about accountability: owners (A001) and RACI (A002).

Over-allocation and leave (A003, A004) need the schedule and live with the plan rules.
"""

from __future__ import annotations

from kapm.rules.registry import WARNING, Hit, rule


def _owned_ids(wbs) -> set[str]:
    """Ids of tasks that have an accountable person themselves or through a summary above them."""
    owned: set[str] = set()
    for n in wbs.nodes:  # WBS order: a parent comes before its children
        t = n.task
        # == bool(t.accountable()), without building the list
        if t.owner or (t.raci is not None and t.raci.accountable) or (n.parent is not None and n.parent in owned):
            owned.add(t.id)
    return owned


@rule("A001", "missing-owner", WARNING)
def missing_owner(ctx):
    """Task or deliverable without an owner.

    Every piece of work needs one person who answers for it.  A task is owned when it
    has an ``owner`` or a ``raci.accountable`` person, or when a summary task above it
    has one (ownership is inherited down the WBS, so a work package owner covers its
    activities).  A deliverable needs its own ``owner``.  Only the topmost unowned task
    of a branch is reported.

    Bad:
        tasks:
          - {id: design, name: Design, duration: 5d}
        deliverables:
          - {id: D1, name: Blueprint, due: 2026-10-30}
    Good:
        tasks:
          - {id: design, name: Design, duration: 5d, owner: li.wei}
        deliverables:
          - {id: D1, name: Blueprint, due: 2026-10-30, owner: li.wei}
    """
    wbs = ctx.wbs
    owned = _owned_ids(wbs)
    reported: set[str] = set()
    for n in wbs.nodes:
        t = n.task
        if t.id in owned:
            continue
        reported.add(t.id)
        if n.parent is not None and n.parent in reported:
            continue  # the summary above is reported already
        what = f"summary task '{t.id}'" if t.tasks else f"task '{t.id}'"
        yield Hit(f"{what} has no owner; nobody is accountable for finishing it",
                  t.path + ("id",), "add owner: <person id> (a summary task's owner covers its subtasks)")
    for d in ctx.project.deliverables:
        if not d.owner:
            yield Hit(f"deliverable '{d.id}' has no owner; nobody drives it to client acceptance",
                      d.path + ("id",), "add owner: <person id>")


@rule("A002", "raci-accountable", WARNING)
def raci_accountable(ctx):
    """RACI with other than exactly one accountable person.

    Checked on tasks that have a ``raci`` block.  The task ``owner`` counts as the
    accountable person, and so does everyone in ``raci.accountable``; the same person in
    both counts once.  None means nobody decides; two or more means nobody really does.
    Tasks without a ``raci`` block are left to A001.

    Bad:
        tasks:
          - id: bbp
            name: Blueprint sign-off
            duration: 3d
            owner: li.wei
            raci: {responsible: [chen.jie], accountable: [zhang.san]}
    Good:
        tasks:
          - id: bbp
            name: Blueprint sign-off
            duration: 3d
            owner: li.wei
            raci: {responsible: [chen.jie], consulted: [zhang.san]}
    """
    for n in ctx.wbs.nodes:
        t = n.task
        if t.raci is None:
            continue
        people = t.accountable()
        if len(people) == 1:
            continue
        path = t.raci.path + ("accountable",) if t.raci.accountable else t.raci.path
        if not people:
            yield Hit(f"task '{t.id}' has a RACI but no accountable person; decisions on it have no owner",
                      path, "add owner: <person id> to the task (or raci.accountable)", key=True)
        else:
            yield Hit(f"task '{t.id}' has {len(people)} accountable people ({', '.join(people)}); "
                      "shared accountability means nobody is accountable",
                      path, "keep exactly one: the task owner, or one raci.accountable person; "
                      "move the others to responsible or consulted", key=True)
