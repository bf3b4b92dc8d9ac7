"""The flattened work breakdown: tasks in WBS order with codes, parents and resolved
dependencies.  Built once per project and shared by the rules and the scheduler."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Node:
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
    nodes: list[Node]
    by_id: dict[str, Node]
    links: list[Link]  # only links whose predecessor exists
    unknown: list[Link]  # links naming no task (R001)
    duplicates: list[Node]  # second and later tasks with an id already used (R003)

    def leaf_nodes(self) -> list[Node]:
        return [n for n in self.nodes if not n.task.tasks]

    def cycles(self) -> list[tuple[list[str], "Link"]]:
        """Dependency cycles (computed once; P001 and the scheduler both ask)."""
        cached = self.__dict__.get("_cycles")
        if cached is None:
            cached = self.__dict__["_cycles"] = find_cycles(self)
        return cached


def build(tasks) -> Wbs:
    nodes: list[Node] = []
    by_id: dict[str, Node] = {}
    duplicates: list[Node] = []
    # iterative pre-order walk (deep WBS trees never hit the recursion limit)
    stack = [(t, str(i + 1), None) for i, t in reversed(list(enumerate(tasks)))]
    while stack:
        task, code, parent = stack.pop()
        node = Node(task, code, parent, len(nodes))
        nodes.append(node)
        if task.id in by_id:
            duplicates.append(node)
        else:
            by_id[task.id] = node
        for i in range(len(task.tasks) - 1, -1, -1):
            stack.append((task.tasks[i], f"{code}.{i + 1}", task.id))
    # leaf descendants, children before parents (reverse pre-order)
    for node in reversed(nodes):
        if not node.task.tasks:
            node.leaves = [node.index]
    for node in reversed(nodes):
        if node.parent is not None:
            parent = by_id[node.parent]
            if parent is not node:
                parent.leaves.extend(node.leaves)
    for node in nodes:
        if node.task.tasks:
            node.leaves.sort()
    ids = by_id.keys()
    links: list[Link] = []
    unknown: list[Link] = []
    for node in nodes:
        for dep in node.task.depends:
            if dep.__pydantic_private__.get("_alt") is not None:  # only "x-2d"-like items are ambiguous
                dep = dep.resolve(ids)
            link = Link(dep.task, node.task.id, dep.type, dep.lag, dep)
            (links if dep.task in by_id else unknown).append(link)
    return Wbs(nodes, by_id, links, unknown, duplicates)


def _has_cycle(wbs: Wbs) -> bool:
    """Kahn's algorithm on the same in/out graph as :func:`find_cycles`, integers only."""
    n = len(wbs.nodes)
    succ: list[list[int]] = [[] for _ in range(2 * n)]
    indeg = [0] * (2 * n)
    by_id = wbs.by_id
    for node in wbs.nodes:
        k = node.index
        if node.task.tasks:
            for child in node.task.tasks:
                c = by_id.get(child.id)
                if c is None or c.parent != node.task.id:
                    continue
                succ[2 * k].append(2 * c.index)
                succ[2 * c.index + 1].append(2 * k + 1)
                indeg[2 * c.index] += 1
                indeg[2 * k + 1] += 1
        else:
            succ[2 * k].append(2 * k + 1)
            indeg[2 * k + 1] += 1
    for link in wbs.links:
        a = 2 * by_id[link.pred].index + 1
        b = 2 * by_id[link.succ].index
        succ[a].append(b)
        indeg[b] += 1
    queue = [v for v in range(2 * n) if indeg[v] == 0]
    seen = 0
    while queue:
        v = queue.pop()
        seen += 1
        for w in succ[v]:
            indeg[w] -= 1
            if indeg[w] == 0:
                queue.append(w)
    return seen < 2 * n


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
