"""The flattened work breakdown: tasks in WBS order with codes, parents and resolved
dependencies.  Built once per project and shared by the rules and the scheduler."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Node:
    """A task in the flattened WBS."""

    task: object  # kapm.model Task
    wbs: str
    parent: str | None
    index: int  # position in WBS order
    leaves: list[int] = field(default_factory=list)  # WBS indexes of leaf descendants (self for a leaf)


@dataclass(slots=True)
class Link:
    """``succ`` depends on ``pred`` (both task ids as written, after -Nd resolution)."""

    pred: str
    succ: str
    type: str
    lag: int
    dep: object  # the Dependency model object (its path locates the depends entry)


@dataclass
class Wbs:
    """The flattened WBS of a project with its resolved dependency links."""

    nodes: list[Node]
    by_id: dict[str, Node]
    links: list[Link]  # only links whose predecessor exists
    unknown: list[Link]  # links naming no task (R001)
    duplicates: list[Node]  # second and later tasks with an id already used (R003)

    def cycles(self) -> list[tuple[list[str], "Link"]]:
        """Dependency cycles (computed once; P001 and the scheduler both ask)."""
        cached = self.__dict__.get("_cycles")
        if cached is None:
            cached = self.__dict__["_cycles"] = find_cycles(self)
        return cached


def project_wbs(result) -> Wbs:
    """The WBS of a validated project (kapm.analysis.ProjectResult), built once and shared
    by the rules, the scheduler and earned value."""
    cache = result.__dict__
    if "_wbs" not in cache:
        cache["_wbs"] = build(result.model.tasks)
    return cache["_wbs"]


def build(tasks) -> Wbs:
    nodes: list[Node] = []
    by_id: dict[str, Node] = {}
    duplicates: list[Node] = []
    # iterative pre-order walk (deep WBS trees never hit the recursion limit)
    stack = [(t, str(i + 1), None) for i, t in reversed(list(enumerate(tasks)))]
    pop, push, add = stack.pop, stack.append, nodes.append
    summaries: list[Node] = []
    while stack:
        task, code, parent = pop()
        k = len(nodes)
        children = task.tasks
        # leaf descendants: a leaf is its own (set before any summary collects them)
        node = Node(task, code, parent, k, [] if children else [k])
        add(node)
        tid = task.id
        if tid in by_id:
            duplicates.append(node)
        else:
            by_id[tid] = node
        if children:
            summaries.append(node)
            for i in range(len(children) - 1, -1, -1):
                push((children[i], f"{code}.{i + 1}", tid))
    # leaf descendants, children before parents (reverse pre-order)
    for node in reversed(nodes):
        if node.parent is not None:
            parent = by_id[node.parent]
            if parent is not node:
                parent.leaves.extend(node.leaves)
    for node in summaries:
        node.leaves.sort()
    ids = by_id.keys()
    links: list[Link] = []
    unknown: list[Link] = []
    known, missing = links.append, unknown.append
    for node in nodes:
        deps = node.task.depends
        if not deps:
            continue
        tid = node.task.id
        for dep in deps:
            if dep.__pydantic_private__.get("_alt") is not None:  # only "x-2d"-like items are ambiguous
                dep = dep.resolve(ids)
            pred = dep.task
            (known if pred in by_id else missing)(Link(pred, tid, dep.type, dep.lag, dep))
    return Wbs(nodes, by_id, links, unknown, duplicates)


def _has_cycle(wbs: Wbs) -> bool:
    """Kahn's algorithm on the same in/out graph as :func:`find_cycles`, integers only.

    A leaf's in-node has one outgoing edge (to its out-node), so the two are merged into
    one vertex: the same cycles, half the vertices for a plan of mostly leaves."""
    nodes = wbs.nodes
    by_id = wbs.by_id
    n = len(nodes)
    # vertex of in(task k) = k; out(task k) = k for a leaf, n + k for a summary
    out_v = list(range(n))
    m = n
    for node in nodes:
        if node.task.tasks:
            out_v[node.index] = m
            m += 1
    succ: list[list[int]] = [[] for _ in range(m)]
    indeg = [0] * m
    for node in nodes:
        task = node.task
        children = task.tasks
        if not children:
            continue
        k = node.index
        tid = task.id
        down = succ[k]
        up = out_v[k]
        for child in children:
            c = by_id.get(child.id)
            if c is None or c.parent != tid:
                continue
            ci = c.index
            down.append(ci)
            indeg[ci] += 1
            succ[out_v[ci]].append(up)
            indeg[up] += 1
    for link in wbs.links:
        b = by_id[link.succ].index
        succ[out_v[by_id[link.pred].index]].append(b)
        indeg[b] += 1
    queue = [v for v in range(m) if indeg[v] == 0]
    seen = 0
    while queue:
        v = queue.pop()
        seen += 1
        for w in succ[v]:
            indeg[w] -= 1
            if indeg[w] == 0:
                queue.append(w)
    return seen < m


def find_cycles(wbs: Wbs, limit: int = 20) -> list[tuple[list[str], Link]]:
    """Dependency cycles as (ids around the cycle, the link that closes it).

    Summary expansion is modelled linearly with an in- and an out-node per task
    (``in(S) → in(child)``, ``out(child) → out(S)``, ``out(pred) → in(succ)``), so a
    dependency on one's own summary is a cycle too.  Iterative DFS in WBS order: the
    back edge it meets is the ``depends`` entry that closes the cycle.
    """
    n = len(wbs.nodes)
    if not _has_cycle(wbs):
        return []  # the common case, proven by Kahn's algorithm over plain integers
    # node k: in(task k) = 2k, out(task k) = 2k + 1
    adj: list[list[tuple[int, Link | None]]] = [[] for _ in range(2 * n)]
    for node in wbs.nodes:
        k = node.index
        if node.task.tasks:
            for child in node.task.tasks:
                c = wbs.by_id.get(child.id)
                if c is None or c.parent != node.task.id:
                    continue
                adj[2 * k].append((2 * c.index, None))
                adj[2 * c.index + 1].append((2 * k + 1, None))
        else:
            adj[2 * k].append((2 * k + 1, None))
    for link in wbs.links:
        p = wbs.by_id[link.pred].index
        s = wbs.by_id[link.succ].index
        adj[2 * p + 1].append((2 * s, link))
    color = bytearray(2 * n)  # 0 new, 1 on stack, 2 done
    cycles: list[tuple[list[str], Link]] = []
    seen_sets: set[frozenset] = set()
    parent_edge: dict[int, tuple[int, Link | None]] = {}
    for root in range(2 * n):
        if color[root]:
            continue
        stack = [(root, 0)]
        color[root] = 1
        while stack:
            v, i = stack[-1]
            if i < len(adj[v]):
                stack[-1] = (v, i + 1)
                w, link = adj[v][i]
                if color[w] == 0:
                    color[w] = 1
                    parent_edge[w] = (v, link)
                    stack.append((w, 0))
                elif color[w] == 1 and len(cycles) < limit:
                    path = [w]
                    edges = [link]
                    u = v
                    while u != w:
                        path.append(u)
                        pu, pl = parent_edge[u]
                        edges.append(pl)
                        u = pu
                    path.reverse()
                    ids: list[str] = []
                    for node_id in path:
                        tid = wbs.nodes[node_id // 2].task.id
                        if not ids or ids[-1] != tid:
                            ids.append(tid)
                    if len(ids) > 1 and ids[0] == ids[-1]:
                        ids.pop()
                    key = frozenset(ids)
                    closing = link if link is not None else next((e for e in edges if e is not None), None)
                    if key not in seen_sets and closing is not None:
                        seen_sets.add(key)
                        # rotate so the cycle reads from the closing link's successor
                        if closing.succ in ids:
                            j = ids.index(closing.succ)
                            ids = ids[j:] + ids[:j]
                        cycles.append((ids + [ids[0]], closing))
            else:
                color[v] = 2
                stack.pop()
    return cycles
