"""References (R001–R004), dependency cycles (P001) and task-shape checks (S003, P003)."""

from __future__ import annotations

import difflib

from kapm.rules.registry import ERROR, Hit, rule


def _suggest(name: str, known) -> str | None:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def _task_refs(p):
    """(path, task id) for every field of a project that names a task, except depends."""
    for d in p.deliverables:
        if d.milestone:
            yield d.path + ("milestone",), d.milestone
    for group in (p.risks, p.changes, p.issues):
        for item in group:
            for i, t in enumerate(item.tasks):
                yield item.path + ("tasks", i), t
    if p.quality:
        for c in p.quality.checks:
            if c.task:
                yield c.path + ("task",), c.task
    for c in p.costs:
        if c.task:
            yield c.path + ("task",), c.task
    if p.contract:
        for pay in p.contract.payments:
            if pay.milestone:
                yield pay.path + ("milestone",), pay.milestone
        for sub in p.contract.subcontracts:
            for i, t in enumerate(sub.tasks):
                yield sub.path + ("tasks", i), t


@rule("R001", "unknown-task", ERROR)
def unknown_task(ctx):
    """A reference to a task id that does not exist.

    Checked in ``depends`` and everywhere a task is named (deliverable milestones,
    risks, changes, issues, quality checks, costs, payments, subcontracts).  An unknown
    dependency would otherwise be silently dropped from the schedule.

    Bad:
        tasks:
          - {id: design, name: Design, duration: 5d}
          - {id: build, name: Build, duration: 10d, depends: [desing]}
    Good:
        tasks:
          - {id: design, name: Design, duration: 5d}
          - {id: build, name: Build, duration: 10d, depends: [design]}
    """
    wbs = ctx.wbs
    for link in wbs.unknown:
        yield Hit(f"task '{link.succ}' depends on unknown task '{link.pred}'; the dependency cannot be scheduled",
                  link.dep.path, _suggest(link.pred, wbs.by_id) or "use the id of an existing task")
    for path, tid in _task_refs(ctx.project):
        if tid not in wbs.by_id:
            yield Hit(f"unknown task '{tid}'", path, _suggest(tid, wbs.by_id) or "use the id of an existing task")


def _people_refs(p, wbs, known=()):
    """(path, person id, what) of every person reference; task references to people in
    ``known`` are skipped (their paths and messages are not built: one pass over a
    100,000-task plan)."""
    proj = p.project
    if proj.manager:
        yield proj.path + ("manager",), proj.manager, "project manager"
    for n in wbs.nodes:
        t = n.task
        if t.raci is None and (not t.owner or t.owner in known) and all(w in known for w in t.assignees):
            continue
        if t.owner:
            yield t.path + ("owner",), t.owner, f"owner of task '{t.id}'"
        for who in t.assignees:
            yield t.path + ("assignees", who), who, f"assignee of task '{t.id}'"
        if t.raci:
            for role in ("responsible", "accountable", "consulted", "informed"):
                for i, who in enumerate(getattr(t.raci, role)):
                    yield t.raci.path + (role, i), who, f"{role} on task '{t.id}'"
    for o in p.objectives:
        if o.owner:
            yield o.path + ("owner",), o.owner, f"owner of objective '{o.id}'"
    for d in p.deliverables:
        if d.owner:
            yield d.path + ("owner",), d.owner, f"owner of deliverable '{d.id}'"
        if d.accepted:
            yield d.accepted.path + ("by",), d.accepted.by, f"acceptor of deliverable '{d.id}'"
    for r in p.risks:
        if r.owner:
            yield r.path + ("owner",), r.owner, f"owner of risk '{r.id}'"
    for c in p.comms:
        if c.owner:
            yield c.path + ("owner",), c.owner, f"owner of comms item '{c.id}'"
        for i, who in enumerate(c.audience):
            yield c.path + ("audience", i), who, f"audience of comms item '{c.id}'"
    for e in p.log:
        for i, who in enumerate(e.with_):
            yield e.path + ("with", i), who, "log participant"
        for i, who in enumerate(e.by):
            yield e.path + ("by", i), who, "log author"
        for a in e.actions:
            if a.owner:
                yield a.path + ("owner",), a.owner, f"owner of action '{a.id}'"
    for r in p.requests:
        if r.from_:
            yield r.path + ("from",), r.from_, f"requester of '{r.id}'"
    for c in p.changes:
        if c.requested_by:
            yield c.path + ("requested_by",), c.requested_by, f"requester of change '{c.id}'"
        if c.approved_by:
            yield c.path + ("approved_by",), c.approved_by, f"approver of change '{c.id}'"
    for i in p.issues:
        if i.owner:
            yield i.path + ("owner",), i.owner, f"owner of issue '{i.id}'"
    for f in p.feedback:
        if f.from_:
            yield f.path + ("from",), f.from_, "feedback giver"
    if p.closure and p.closure.accepted_by:
        yield p.closure.path + ("accepted_by",), p.closure.accepted_by, "closure acceptor"


@rule("R002", "unknown-person", ERROR)
def unknown_person(ctx):
    """A person id that is neither in the team nor in the contacts.

    People are the project's and its account's ``team`` and ``contacts``.  An unknown
    owner means nobody is actually accountable.

    Bad:
        team:
          - {id: li.wei, name: 李伟}
        tasks:
          - {id: design, name: Design, duration: 5d, owner: li.wie}
    Good:
        team:
          - {id: li.wei, name: 李伟}
        tasks:
          - {id: design, name: Design, duration: 5d, owner: li.wei}
    """
    people = ctx.people
    for path, who, what in _people_refs(ctx.project, ctx.wbs, people):
        if who not in people:
            if path[-2:-1] == ("assignees",):  # written as a list or a mapping: find the entry
                path = ctx.assignee_path(_task_at(ctx, path[:-2]), who)
            yield Hit(f"unknown person '{who}' ({what})", path, _suggest(who, people) or
                      "add the person to team or contacts (project or account)", key=path[-1] == who)
    acc = ctx.account
    if acc is not None and acc.account.owner and acc.account.owner not in people:
        yield Hit(f"unknown person '{acc.account.owner}' (account owner)", acc.account.path + ("owner",),
                  "add the account manager to the account team", source=ctx.account_file)


def _task_at(ctx, path: tuple):
    node = next(n for n in ctx.wbs.nodes if n.task.path == path)
    return node.task


def _namespaces(p, wbs):
    """(noun, objects with .id and .path) per id namespace; paths are read only for duplicates."""
    yield "task", [n.task for n in wbs.nodes]
    yield "person", list(p.team) + list(p.contacts)
    for name, items in (("objective", p.objectives), ("deliverable", p.deliverables), ("risk", p.risks),
                        ("comms item", p.comms), ("request", p.requests), ("change", p.changes),
                        ("issue", p.issues)):
        yield name, items
    yield "action", [a for e in p.log for a in e.actions]
    if p.quality:
        yield "quality check", p.quality.checks
    if p.contract:
        yield "payment", p.contract.payments
        yield "subcontract", p.contract.subcontracts


@rule("R003", "duplicate-id", ERROR)
def duplicate_id(ctx):
    """An id used twice in one namespace of a project.

    Namespaces: tasks (at every WBS level), people (team + contacts), objectives,
    deliverables, risks, comms items, requests, changes, issues, action items, quality
    checks, payments, subcontracts.  References to a duplicated id are ambiguous.

    Bad:
        risks:
          - {id: R1, title: Vendor delay, probability: 3, impact: 4}
          - {id: R1, title: Key user leaves, probability: 2, impact: 3}
    Good:
        risks:
          - {id: R1, title: Vendor delay, probability: 3, impact: 4}
          - {id: R2, title: Key user leaves, probability: 2, impact: 3}
    """
    for noun, items in _namespaces(ctx.project, ctx.wbs):
        first: dict = {}
        for x in items:
            ident = x.id
            if ident in first:
                at = ctx.source.locate(first[ident].path)
                here = ctx.source.locate(x.path)
                where = f"line {at.line}" if at.file == here.file else f"{at.file}:{at.line}"
                yield Hit(f"duplicate {noun} id '{ident}' (first used on {where})", x.path + ("id",),
                          "ids must be unique within a project; rename one")
            else:
                first[ident] = x


@rule("R004", "unknown-reference", ERROR)
def unknown_reference(ctx):
    """A reference to a risk, change, deliverable, comms item or issue that does not exist.

    Checked in ``project.account``, task ``deliverable``, log ``plan``, request
    ``change``, change ``deliverables`` and quality check ``deliverable`` / ``follow_up``.
    An unknown account would silently drop the account's people and SLA.

    Bad:
        comms:
          - {id: weekly, name: Weekly status, cadence: weekly}
        log:
          - {date: 2026-11-02, kind: meeting, summary: Status meeting, plan: weekli}
    Good:
        comms:
          - {id: weekly, name: Weekly status, cadence: weekly}
        log:
          - {date: 2026-11-02, kind: meeting, summary: Status meeting, plan: weekly}
    """
    p = ctx.project
    deliverables = {d.id for d in p.deliverables}
    comms = {c.id for c in p.comms}
    changes = {c.id for c in p.changes}
    issues = {i.id for i in p.issues}

    def check(path, ident, known, noun):
        if ident not in known:
            return Hit(f"unknown {noun} '{ident}'", path, _suggest(ident, known) or f"define the {noun} first")
        return None

    hits = []
    named = p.project.account
    if named and (ctx.account is None or ctx.account.account.id != named):
        hits.append(Hit(f"unknown account '{named}': no account.yaml in the workspace has this id, so the "
                        "account's people and SLA do not apply", p.project.path + ("account",),
                        "use the id of an account.yaml in the workspace, or move the project into its folder"))
    for n in ctx.wbs.nodes:
        if n.task.deliverable:
            hits.append(check(n.task.path + ("deliverable",), n.task.deliverable, deliverables, "deliverable"))
    for e in p.log:
        if e.plan:
            hits.append(check(e.path + ("plan",), e.plan, comms, "comms plan item"))
    for r in p.requests:
        if r.change:
            hits.append(check(r.path + ("change",), r.change, changes, "change request"))
    for c in p.changes:
        for i, d in enumerate(c.deliverables):
            hits.append(check(c.path + ("deliverables", i), d, deliverables, "deliverable"))
    if p.quality:
        for q in p.quality.checks:
            if q.deliverable:
                hits.append(check(q.path + ("deliverable",), q.deliverable, deliverables, "deliverable"))
            if q.follow_up:
                hits.append(check(q.path + ("follow_up",), q.follow_up, issues | changes, "issue or change"))
    yield from (h for h in hits if h is not None)


@rule("P001", "dependency-cycle", ERROR)
def dependency_cycle(ctx):
    """Tasks that depend on each other in a circle.

    A cycle cannot be scheduled.  The whole cycle is printed, in dependency order, at
    the ``depends`` entry that closes it.  A task that depends on itself, or on its own
    summary task, is a cycle too.

    Bad:
        tasks:
          - {id: design, name: Design, duration: 5d, depends: [review]}
          - {id: spec, name: Spec, duration: 3d, depends: [design]}
          - {id: review, name: Review, duration: 2d, depends: [spec]}
    Good:
        tasks:
          - {id: design, name: Design, duration: 5d}
          - {id: spec, name: Spec, duration: 3d, depends: [design]}
          - {id: review, name: Review, duration: 2d, depends: [spec]}
    """
    for ids, link in ctx.wbs.cycles():
        if len(ids) == 2:
            msg = f"task '{ids[0]}' depends on itself"
        else:
            msg = "dependency cycle: " + " → ".join(ids)
        yield Hit(msg, link.dep.path, "remove one dependency of the cycle; a cycle cannot be scheduled")


@rule("P003", "summary-with-own-values", ERROR)
def summary_with_own_values(ctx):
    """A summary task (one with children) carries duration, progress or actuals.

    A summary's dates span its children and its progress rolls up from them; its own
    values would contradict them.  Put the value on a child task instead.

    Bad:
        tasks:
          - id: design
            name: Design
            duration: 10d
            tasks:
              - {id: workshops, name: Workshops, duration: 5d}
    Good:
        tasks:
          - id: design
            name: Design
            tasks:
              - {id: workshops, name: Workshops, duration: 5d}
    """
    for n in ctx.wbs.nodes:
        t = n.task
        if not t.tasks:
            continue
        for name in ("duration", "estimate", "milestone", "progress", "actual_start", "actual_finish", "remaining"):
            value = getattr(t, name)
            if value not in (None, False):
                yield Hit(f"summary task '{t.id}' has its own {name}; a summary takes its values from its children",
                          t.path + (name,), f"remove {name} or move it to a child task", key=True)
