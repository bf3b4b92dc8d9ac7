"""Time kapm.cpm.schedule on synthetic plans: python bench/bench_cpm.py [N ...]."""

from __future__ import annotations

import random
import sys
import time

from kapm.cpm import Activity, Link, schedule


def synthetic(n: int, links_per_task: int = 2, seed: int = 1):
    rnd = random.Random(seed)
    acts = [Activity(rnd.randint(0, 10)) for _ in range(n)]
    links = []
    for _ in range(links_per_task * n):
        a = rnd.randrange(n - 1)
        b = rnd.randrange(a + 1, min(n, a + 50))
        links.append(Link(a, b, rnd.choice(("FS", "SS", "FF", "SF")), rnd.randint(-2, 3)))
    return acts, links


def main(sizes: list[int]) -> None:
    for n in sizes:
        acts, links = synthetic(n)
        best = min(_timed(acts, links) for _ in range(3))
        print(f"{n:>7} tasks {len(links):>7} links: {best * 1000:8.1f} ms (best of 3)")


def _timed(acts, links) -> float:
    t = time.perf_counter()
    schedule(acts, links)
    return time.perf_counter() - t


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000])
