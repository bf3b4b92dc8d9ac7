"""Benchmark of the git features: ``kapm trend`` and ``kapm diff`` on generated histories.

    python bench/bench_git.py            # trend: 200 commits × 500 tasks; diff: 10,000 tasks
    python bench/bench_git.py --commits 50 --tasks 200 --diff-tasks 2000   # a quick run

Cases (each a fresh ``python -m kapm`` process, wall time, best of --repeat):
* trend cold: no ``.kapm-cache`` (every commit is read, parsed, validated, scheduled);
* trend warm: the same command again (cached points);
* diff cold / warm: two commits of a 10,000-task project (``--format json``).

Each row also gives the CPU time (user + system of kapm and its worker processes) of the
best run, and the load average is printed: wall times on a busy machine mean little alone.
``KAPM_JOBS=1 python bench/bench_git.py`` measures the single-process path.

The repositories are built under bench/out/git (deterministic: fixed seed and dates).
This is a benchmark, not a test; the figures go to docs/git.md by hand.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "git"
KAPM = [sys.executable, "-m", "kapm"]
GIT_ENV = dict(os.environ, GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")


def git(repo: Path, *args: str, when: str | None = None) -> None:
    env = dict(GIT_ENV)
    if when:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"{when}T12:00:00+00:00"
    subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=b@e", "-c", "init.defaultBranch=main",
                    "-c", "commit.gpgsign=false", *args], cwd=repo, env=env, check=True, capture_output=True)


def plan(n: int, durations: list[int], progress: dict[int, int]) -> str:
    """Tasks in phases of 50 leaves, ~2 dependencies each, a milestone closing each phase."""
    rnd = random.Random(11)
    out = ["kapm: 1", "tasks:"]
    for g in range(0, n, 50):
        ph = g // 50
        out += [f"  - id: s{ph}", f"    name: Phase {ph} 阶段", "    tasks:"]
        for i in range(g, min(g + 50, n)):
            deps = sorted({f"t{rnd.randint(max(0, i - 120), i - 1)}" for _ in range(2)}) if i else []
            extra = f", progress: {progress[i]}, actual_start: 2026-01-05" if i in progress else ""
            out.append(f"      - {{id: t{i}, name: Task {i} 任务, duration: {durations[i]}d, "
                       f"depends: [{', '.join(deps)}]{extra}}}")
        out.append(f"  - {{id: m{ph}, name: Milestone {ph}, milestone: true, depends: [s{ph}]}}")
    return "\n".join(out) + "\n"


PROJECT = ("kapm: 1\nproject:\n  id: bench\n  name: Benchmark 基准\n  start: 2026-01-05\n  budget: 1000000\n"
           "calendar: {country: CN}\n")


def day(i: int) -> str:
    import datetime

    return (datetime.date(2026, 1, 5) + datetime.timedelta(days=i)).isoformat()


def build_trend_repo(commits: int, tasks: int) -> Path:
    repo = OUT / f"trend-{commits}x{tasks}"
    if (repo / ".git").exists():
        return repo
    shutil.rmtree(repo, ignore_errors=True)
    (repo / "p").mkdir(parents=True)
    git(repo, "init", "-q")
    rnd = random.Random(5)
    durations = [rnd.randint(1, 8) for _ in range(tasks)]
    progress: dict[int, int] = {}
    (repo / "p" / "project.yaml").write_text(PROJECT, encoding="utf-8")
    for c in range(commits):
        if c:
            i = rnd.randrange(tasks)
            if rnd.random() < 0.5:
                durations[i] += rnd.choice([1, 2, -1]) if durations[i] > 1 else 1
            else:
                progress[i] = min(100, progress.get(i, 0) + 20)
        (repo / "p" / "tasks.yaml").write_text(plan(tasks, durations, progress), encoding="utf-8")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"update {c}", when=day(c))
    return repo


def build_diff_repo(tasks: int) -> Path:
    repo = OUT / f"diff-{tasks}"
    if (repo / ".git").exists():
        return repo
    shutil.rmtree(repo, ignore_errors=True)
    (repo / "p").mkdir(parents=True)
    git(repo, "init", "-q")
    rnd = random.Random(9)
    durations = [rnd.randint(1, 8) for _ in range(tasks)]
    (repo / "p" / "project.yaml").write_text(PROJECT, encoding="utf-8")
    (repo / "p" / "tasks.yaml").write_text(plan(tasks, durations, {}), encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "v1", when=day(0))
    for _ in range(100):
        durations[rnd.randrange(tasks)] += 2
    (repo / "p" / "tasks.yaml").write_text(plan(tasks, durations, {5: 50, 6: 100}), encoding="utf-8")
    git(repo, "commit", "-q", "-am", "v2", when=day(30))
    return repo


CPU: dict[str, float] = {}  # case -> CPU seconds (user + sys, all processes) of the best run


def timed(args: list[str], cwd: Path, repeat: int, *, clear_cache: bool) -> tuple[float, str]:
    import resource

    best = float("inf")
    out = ""
    for _ in range(repeat):
        if clear_cache:
            shutil.rmtree(cwd / ".kapm-cache", ignore_errors=True)
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        proc = subprocess.run([*KAPM, *args], cwd=cwd, capture_output=True, text=True)
        wall = time.perf_counter() - t
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if wall < best:
            best = wall
            CPU[" ".join(args)] = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        if proc.returncode != 0:
            raise SystemExit(f"kapm {' '.join(args)} failed ({proc.returncode}): {proc.stderr[-500:]}")
        out = proc.stdout
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--commits", type=int, default=200)
    ap.add_argument("--tasks", type=int, default=500)
    ap.add_argument("--diff-tasks", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=2)
    a = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    trend_repo = build_trend_repo(a.commits, a.tasks)
    diff_repo = build_diff_repo(a.diff_tasks)
    print(f"(repositories ready in {time.perf_counter() - t:.1f} s)", file=sys.stderr)
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    rows = []
    trend = ["trend", "p", "--format", "json"]
    cold, out = timed(trend, trend_repo, a.repeat, clear_cache=True)
    import json

    doc = json.loads(out)
    rows.append((f"trend, {a.commits} commits × {a.tasks} tasks, cold cache", cold, CPU[" ".join(trend)],
                 f"{len(doc['points'])} points, {len(doc['skipped'])} skipped"))
    warm, _ = timed(trend, trend_repo, a.repeat, clear_cache=False)
    rows.append((f"trend, {a.commits} commits × {a.tasks} tasks, warm cache", warm, CPU[" ".join(trend)], ""))
    svg, _ = timed(["trend", "p", "--format", "svg"], trend_repo, 1, clear_cache=False)
    rows.append(("trend --format svg, warm cache", svg, CPU["trend p --format svg"], ""))
    diff = ["diff", "HEAD~1", "HEAD", "p", "--format", "json"]
    cold, out = timed(diff, diff_repo, a.repeat, clear_cache=True)
    doc = json.loads(out)
    rows.append((f"diff, 2 commits × {a.diff_tasks} tasks, cold cache", cold, CPU[" ".join(diff)],
                 f"{len(doc['tasks']['changed'])} tasks changed"))
    warm, _ = timed(diff, diff_repo, a.repeat, clear_cache=False)
    rows.append((f"diff, 2 commits × {a.diff_tasks} tasks, warm cache", warm, CPU[" ".join(diff)], ""))
    print("| case | wall time | CPU time | notes |")
    print("|---|---:|---:|---|")
    for name, secs, cpu, note in rows:
        print(f"| {name} | {secs:.2f} s | {cpu:.2f} s | {note} |")
    after = os.getloadavg() if hasattr(os, "getloadavg") else None
    if load and after:
        print(f"\nload average (1 min) before {load[0]:.2f}, after {after[0]:.2f}; "
              f"{os.cpu_count()} cores; KAPM_JOBS={os.environ.get('KAPM_JOBS', '(all cores)')}")


if __name__ == "__main__":
    main()
