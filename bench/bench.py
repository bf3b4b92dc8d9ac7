"""kapm benchmark: generates synthetic projects and times whole `kapm` commands.

    python bench/bench.py            # 1k, 10k, 100k tasks (a few minutes)
    python bench/bench.py --quick    # 1k and 10k only
    python bench/bench.py --tj3      # also time tj3 on the same 10k plan (needs tj3)

Every figure is the best of --repeat runs of a fresh process (wall time) and its peak
RSS; results go to stdout as a Markdown table.  This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
KAPM = [sys.executable, "-m", "kapm"]


def generate(folder: Path, n: int, *, seed: int = 7, per_file: int = 5000, broken: bool = False) -> Path:
    """A project of n leaf tasks in summaries of 50, ~2 dependencies each, split into files."""
    rnd = random.Random(seed)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / "project.yaml").write_text(
        "kapm: 1\nproject:\n  id: bench\n  name: Benchmark 基准\n  start: 2026-01-05\n  manager: pm\n"
        "  budget: 1000000\ncalendar: {country: CN}\nteam:\n  - {id: pm, name: 李伟}\n"
        + "".join(f"  - {{id: p{i}, name: Person {i}, rate: 1000}}\n" for i in range(20)),
        encoding="utf-8")
    lines: list[str] = []
    file_no = 0
    group = 50
    for g in range(0, n, group):
        lines.append(f"  - id: s{g // group}\n    name: Phase {g // group} 阶段\n    owner: pm\n    tasks:\n")
        for i in range(g, min(g + group, n)):
            deps = []
            if i > 0:
                for _ in range(2):
                    j = rnd.randint(max(0, i - 400), i - 1)
                    kind = rnd.choice(["", "", "", "SS:", "FF:"])
                    lag = rnd.choice(["", "", "+1d", "+2d"])
                    deps.append(f'"{kind}t{j}{lag}"')
            if broken and i == n // 2:
                deps.append('"t-missing"')
            dur = rnd.randint(1, 10)
            lines.append(f"      - {{id: t{i}, name: Task {i} 任务, duration: {dur}d, owner: p{i % 20}, "
                         f"depends: [{', '.join(sorted(set(deps)))}]}}\n")
        if sum(len(x) for x in lines) > per_file * 110 or g + group >= n:
            (folder / f"tasks-{file_no:03d}.yaml").write_text("kapm: 1\ntasks:\n" + "".join(lines),
                                                               encoding="utf-8")
            file_no += 1
            lines = []
    return folder


def run(cmd: list[str], repeat: int) -> tuple[float, float, int]:
    """Best wall time (s), peak RSS (MB) of the best run, exit code."""
    best = None
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        dt = time.perf_counter() - t0
        rss = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024
        if best is None or dt < best[0]:
            best = (dt, rss, proc.returncode)
    return best


def peak_rss(cmd: list[str]) -> float:
    """Peak RSS in MB of one run, measured with /usr/bin/time when present (else the getrusage figure)."""
    if shutil.which("time") or Path("/usr/bin/time").exists():
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        try:
            return int(proc.stderr.strip().splitlines()[-1]) / 1024
        except (ValueError, IndexError):
            pass
    return run(cmd, 1)[1]


def write_tjp(project: Path, target: Path) -> None:
    """The same plan as a TaskJuggler project (FS/SS/FF with lags; no holidays)."""
    import yaml

    tasks = []
    for f in sorted(project.glob("tasks-*.yaml")):
        for s in yaml.safe_load(f.read_text(encoding="utf-8"))["tasks"]:
            tasks.extend(s["tasks"])
    out = ['project bench "Bench" 2026-01-05 +20y {\n  timezone "UTC"\n  timingresolution 60min\n'
           '  workinghours mon-fri 9:00-17:00\n  workinghours sat,sun off\n}\n']
    for t in tasks:
        deps = []
        for d in t["depends"]:
            kind = "FS"
            if ":" in d:
                kind, d = d.split(":", 1)
            lag = 0
            if "+" in d:
                d, l = d.split("+")
                lag = int(l[:-1])
            opts = []
            if kind == "SS":
                opts.append("onstart")
            if lag:
                opts.append(f"gaplength {lag}d")
            if kind == "FF":  # tj3 cannot tie an ASAP task's end: approximated as FS for timing purposes
                pass
            deps.append(f"!!{d}" + (" {" + " ".join(opts) + "}" if opts else ""))
        dep = ("\n  depends " + ", ".join(deps)) if deps else ""
        out.append(f'task {t["id"]} "T" {{\n  length {int(t["duration"][:-1])}d{dep}\n}}\n')
    out.append('taskreport "out" {\n  formats csv\n  columns id, start, end\n}\n')
    text = "".join(out).replace("!!", "")
    target.write_text(text, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--tj3", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    OUT.mkdir(exist_ok=True)
    rows = []
    env_note = f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"
    rows.append(("kapm --version", *run([*KAPM[:1], "-c", "from kapm.cli import main; main()", "--version"], 1)))
    kapm_bin = shutil.which("kapm") or str(Path(sys.executable).parent / "kapm")
    rows[-1] = ("kapm --version", *run([kapm_bin, "--version"], args.repeat * 3))
    rows.append(("kapm --help", *run([kapm_bin, "--help"], args.repeat * 3)))
    sizes = [1000, 10_000] if args.quick else [1000, 10_000, 100_000]
    has_plan = subprocess.run([kapm_bin, "plan", "--help"], capture_output=True).returncode == 0
    for n in sizes:
        proj = generate(OUT / f"p{n}", n)
        rep = 1 if n >= 100_000 else args.repeat
        t, _, code = run([kapm_bin, "check", str(proj), "--as-of", "2026-03-02"], rep)
        rows.append((f"check {n:,} tasks", t, peak_rss([kapm_bin, "check", str(proj), "--as-of", "2026-03-02"]), code))
        if has_plan:
            cmd = [kapm_bin, "plan", str(proj), "--format", "json", "--as-of", "2026-03-02", "-o", str(OUT / "plan.json")]
            t, _, code = run(cmd, rep)
            rows.append((f"plan --format json {n:,} tasks", t, peak_rss(cmd), code))
        if n == 10_000:
            broken = generate(OUT / "broken10k", n, broken=True)
            t, rss, code = run([kapm_bin, "check", str(broken)], args.repeat)
            rows.append(("check 10,000 tasks with a finding (line:col)", t, rss, code))
            if args.tj3 and shutil.which("tj3"):
                tjp = OUT / "p10000.tjp"
                write_tjp(proj, tjp)
                t, rss, code = run(["tj3", "--no-color", "-o", str(OUT), str(tjp)], 1)
                rows.append(("tj3 scheduling the same 10,000 tasks", t, rss, code))
    print(f"| command | seconds (best) | peak RSS MB | exit |\n|---|---|---|---|")
    for name, t, rss, code in rows:
        print(f"| {name} | {t:.3f} | {rss:.0f} | {code} |")
    print(f"\n({env_note})")


if __name__ == "__main__":
    main()
