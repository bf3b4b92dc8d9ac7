"""kapm portfolio benchmark: 200 accounts, each with one project of 200 tasks.

    python bench/bench_portfolio.py                 # generate under bench/out/portfolio, time it
    python bench/bench_portfolio.py --projects 50   # a smaller portfolio
    python bench/bench_portfolio.py --serial        # also time the serial path (KAPM_PORTFOLIO_JOBS=1)

Every project carries risks, client requests (some breaching the SLA), feedback, a comms
plan and a log with action items, so the whole per-project pipeline runs: load, all rules,
forecast and plan schedules, earned value, health and the SLA figures.  The figure is the
best of --repeat runs of a fresh ``kapm portfolio --format json`` process (wall time).
This is a benchmark, not a test; the target is 10 s for 200 × 200 on two cores.
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
OUT = HERE / "out" / "portfolio"
KAPM = [sys.executable, "-m", "kapm"]
AS_OF = "2026-11-20"
TIERS = ("strategic", "key", "growth", "standard")
STATUSES = ("active", "active", "active", "planned", "on-hold", "closed")


def _tasks(rnd: random.Random, n: int) -> str:
    """n leaf tasks in summaries of 20, ~2 dependencies each, some progress recorded."""
    out = ["kapm: 1\ntasks:\n"]
    group = 20
    for g in range(0, n, group):
        out.append(f"  - id: s{g // group}\n    name: 阶段 Phase {g // group}\n    owner: pm\n    tasks:\n")
        for i in range(g, min(g + group, n)):
            deps = sorted({f'"t{rnd.randint(max(0, i - 40), i - 1)}"' for _ in range(2)}) if i else []
            extra = ""
            if i < n // 4:
                extra = ", progress: 100"
            elif i < n // 3:
                extra = f", progress: {rnd.choice((20, 50, 80))}"
            out.append(f"      - {{id: t{i}, name: 任务 Task {i}, duration: {rnd.randint(1, 6)}d, owner: pm, "
                       f"assignees: [dev{i % 5}], depends: [{', '.join(deps)}]{extra}}}\n")
    return "".join(out)


def _tracking(rnd: random.Random) -> str:
    risks = "".join(
        f"  - {{id: R{k}, title: 风险 Risk {k}, probability: {rnd.randint(1, 5)}, impact: {rnd.randint(1, 5)}, "
        f"owner: pm, status: {rnd.choice(('open', 'open', 'closed'))}, reviewed: 2026-11-0{k + 1}}}\n"
        for k in range(5))
    requests = []
    for k in range(10):
        day = 1 + k * 2
        hours = rnd.choice((1, 3, 30))
        requests.append(f"  - {{id: Q{k}, received: 2026-11-{day:02d}T09:00, summary: 请求 Request {k}, "
                        f"from: client, priority: high, responded: 2026-11-{day + hours // 24:02d}T"
                        f"{9 + hours % 24:02d}:00, resolved: 2026-11-{day + 1:02d}T18:00}}\n")
    feedback = "".join(f"  - {{date: 2026-{m:02d}-28, from: client, kind: survey, csat: {rnd.randint(2, 5)}}}\n"
                       for m in (8, 9, 10))
    log = "".join(
        f"  - date: 2026-{m:02d}-15\n    kind: meeting\n    summary: 周例会 Weekly meeting\n    plan: weekly\n"
        f"    with: [client]\n    by: [pm]\n    actions:\n"
        f"      - {{id: A{m}, what: 跟进 Follow up, owner: pm, due: 2026-{m:02d}-25"
        f"{', done: 2026-%02d-24' % m if m % 2 else ''}}}\n"
        for m in (7, 8, 9, 10, 11))
    return ("kapm: 1\nrisks:\n" + risks + "requests:\n" + "".join(requests) + "feedback:\n" + feedback
            + "comms:\n  - {id: weekly, name: 周报 Weekly report, cadence: monthly, owner: pm, audience: [client]}\n"
            + "log:\n" + log)


def generate(root: Path, projects: int, tasks: int, *, seed: int = 11) -> Path:
    rnd = random.Random(seed)
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    (root / "kapm.yaml").write_text(
        "kapm: 1\ncalendar: {country: CN}\nrules:\n  settings: {high_risk_score: 10}\n", encoding="utf-8")
    for a in range(projects):
        acc = root / "accounts" / f"acc{a:03d}"
        proj = acc / f"proj{a:03d}"
        proj.mkdir(parents=True)
        (acc / "account.yaml").write_text(
            f"kapm: 1\naccount:\n  id: acc{a:03d}\n  name: 客户 Account {a}\n  tier: {TIERS[a % 4]}\n"
            f"  owner: am\n  sla:\n    high: {{respond: 4h, resolve: 3d}}\n"
            f"team:\n  - {{id: am, name: 客户经理 {a}}}\n"
            f"contacts:\n  - {{id: client, name: 张三 {a}, role: sponsor}}\n", encoding="utf-8")
        deadline = rnd.choice(("2027-01-29", "2027-02-26", "2027-03-31", "2026-12-31"))
        (proj / "project.yaml").write_text(
            f"kapm: 1\nproject:\n  id: proj{a:03d}\n  name: 项目 Project {a}\n  manager: pm\n"
            f"  status: {STATUSES[a % len(STATUSES)]}\n  start: 2026-07-01\n  deadline: {deadline}\n"
            f"  currency: CNY\n  budget: {rnd.randint(2, 20) * 100000}\n"
            "team:\n  - {id: pm, name: 项目经理, rate: 2000}\n"
            + "".join(f"  - {{id: dev{k}, name: 开发 {k}, rate: 1500}}\n" for k in range(5))
            + f"costs:\n  - {{date: 2026-09-30, amount: {rnd.randint(5, 40) * 10000}}}\n",
            encoding="utf-8")
        (proj / "tasks.yaml").write_text(_tasks(rnd, tasks), encoding="utf-8")
        (proj / "tracking.yaml").write_text(_tracking(rnd), encoding="utf-8")
    return root


def run(args: list[str], env: dict | None = None) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    proc = subprocess.run(KAPM + args, capture_output=True, env=env)
    return time.perf_counter() - start, proc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--projects", type=int, default=200)
    ap.add_argument("--tasks", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--serial", action="store_true", help="also time the serial path")
    ap.add_argument("--no-generate", action="store_true", help="reuse bench/out/portfolio")
    opts = ap.parse_args()
    root = OUT if opts.no_generate else generate(OUT, opts.projects, opts.tasks)
    print(f"portfolio: {opts.projects} projects × {opts.tasks} tasks under {root} (cpus: {os.cpu_count()})")
    variants = [("parallel (default)", None)]
    if opts.serial:
        variants.append(("serial (KAPM_PORTFOLIO_JOBS=1)", {**os.environ, "KAPM_PORTFOLIO_JOBS": "1"}))
    print("| run | best of %d (s) | exit |" % opts.repeat)
    print("|---|---:|---:|")
    for label, env in variants:
        best = None
        proc = None
        for _ in range(opts.repeat):
            t, proc = run(["portfolio", str(root), "--format", "json", "--as-of", AS_OF], env)
            best = t if best is None else min(best, t)
        if proc.returncode not in (0, 1):
            sys.stderr.write(proc.stderr.decode("utf-8", "replace"))
        print(f"| {label} | {best:.2f} | {proc.returncode} |")


if __name__ == "__main__":
    main()
