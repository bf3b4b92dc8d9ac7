"""Git as change history: the git layer, versions through the same pipeline, the cache,
baselines and X003 — on temporary repositories with a scripted history.

The scripted history (project ``erp`` in ``accounts/acme/erp``, Mon–Fri calendar, start
Mon 2026-09-07; status date of each commit = its commit date):

=====  ==========  =============================================  ==============
commit date        what happens                                   forecast finish
=====  ==========  =============================================  ==============
C1     2026-09-01  plan created (tag v1.0)                        2026-10-16
C2     2026-09-14  design started late: 30 % done                 2026-10-20
C3     2026-09-21  data migration added with CR-1 (proposed)      2026-10-27
C4     2026-09-28  broken edit (duration 5x): does not validate   –
C5     2026-10-05  design done, build 15d → 20d, test renamed,    2026-11-06
                   CR-1 approved, risks and budget changed
=====  ==========  =============================================  ==============

Other test modules (test_diff, test_trend) import :func:`scripted_repo` from here.
"""

from __future__ import annotations

import os
import subprocess
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import write_files

PROJECT = "accounts/acme/erp"

ACCOUNT = """kapm: 1
account: {id: acme, name: ACME 有限公司, tier: key}
team:
  - {id: li, name: 李伟}
"""

PROJECT_V1 = """kapm: 1
project:
  id: erp
  name: ERP rollout
  start: 2026-09-07
  budget: 100000
risks:
  - {id: R1, title: Key user leaves, probability: 3, impact: 3, owner: li}
  - {id: R2, title: Vendor late, probability: 2, impact: 4, owner: li}
log:
  - {date: 2026-09-01, kind: meeting, summary: Planning}
"""

TASKS_V1 = """kapm: 1
tasks:
  - {id: kickoff, name: Kick-off, milestone: true}
  - {id: design, name: Design, duration: 10d, depends: [kickoff]}
  - {id: build, name: Build, duration: 15d, depends: [design]}
  - {id: test, name: System test, duration: 5d, depends: [build]}
  - {id: go-live, name: Go-live, milestone: true, depends: [test]}
"""

TASKS_V2 = """kapm: 1
tasks:
  - {id: kickoff, name: Kick-off, milestone: true, actual_finish: 2026-09-07}
  - {id: design, name: Design, duration: 10d, depends: [kickoff], actual_start: 2026-09-07, progress: 30}
  - {id: build, name: Build, duration: 15d, depends: [design]}
  - {id: test, name: System test, duration: 5d, depends: [build]}
  - {id: go-live, name: Go-live, milestone: true, depends: [test]}
"""

PROJECT_V3 = PROJECT_V1 + """changes:
  - {id: CR-1, title: Data migration, status: proposed, raised: 2026-09-18, tasks: [migration]}
"""

TASKS_V3 = """kapm: 1
tasks:
  - {id: kickoff, name: Kick-off, milestone: true, actual_finish: 2026-09-07}
  - {id: design, name: Design, duration: 10d, depends: [kickoff], actual_start: 2026-09-07, progress: 30}
  - {id: build, name: Build, duration: 15d, depends: [design]}
  - {id: migration, name: Data migration, duration: 5d, depends: [design]}
  - {id: test, name: System test, duration: 5d, depends: [build, migration]}
  - {id: go-live, name: Go-live, milestone: true, depends: [test]}
"""

TASKS_V4 = TASKS_V3.replace("duration: 15d", "duration: 5x")

PROJECT_V5 = """kapm: 1
project:
  id: erp
  name: ERP rollout
  start: 2026-09-07
  budget: 120000
risks:
  - {id: R1, title: Key user leaves, probability: 4, impact: 3, owner: li}
  - {id: R2, title: Vendor late, probability: 2, impact: 4, owner: li, status: closed}
  - {id: R3, title: Data quality, probability: 3, impact: 2, owner: li}
log:
  - {date: 2026-09-01, kind: meeting, summary: Planning}
  - {date: 2026-10-02, kind: meeting, summary: Steering committee}
requests:
  - {id: RQ-1, received: 2026-10-01T09:00, summary: Add a report}
changes:
  - {id: CR-1, title: Data migration, status: approved, raised: 2026-09-18, decided: 2026-10-02, tasks: [migration]}
costs:
  - {date: 2026-09-30, amount: 36000, task: design}
"""

TASKS_V5 = """kapm: 1
tasks:
  - {id: kickoff, name: Kick-off, milestone: true, actual_finish: 2026-09-07}
  - id: design
    name: Design
    duration: 10d
    depends: [kickoff]
    actual_start: 2026-09-07
    actual_finish: 2026-09-29
    progress: 100
  - id: build
    name: Build
    duration: 20d
    depends: [design]
  - {id: migration, name: Data migration, duration: 5d, depends: [design]}
  - {id: test, name: Integration test, duration: 5d, depends: [build, migration]}
  - {id: go-live, name: Go-live, milestone: true, depends: [test]}
"""

HISTORY = [
    ("2026-09-01", "Plan created", {"project.yaml": PROJECT_V1, "tasks.yaml": TASKS_V1}),
    ("2026-09-14", "Design started late", {"tasks.yaml": TASKS_V2}),
    ("2026-09-21", "Add data migration (CR-1 proposed)", {"project.yaml": PROJECT_V3, "tasks.yaml": TASKS_V3}),
    ("2026-09-28", "Broken edit", {"tasks.yaml": TASKS_V4}),
    ("2026-10-05", "Design done, build +5d, CR-1 approved", {"project.yaml": PROJECT_V5, "tasks.yaml": TASKS_V5}),
]


def git(repo: Path, *args: str, when: str | None = None) -> str:
    env = dict(os.environ, GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    if when:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"{when}T12:00:00+00:00"
    proc = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e", "-c", "init.defaultBranch=main",
                           "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", *args],
                          cwd=repo, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def commit(repo: Path, when: str, message: str, files: dict) -> str:
    write_files(repo, files)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, when=when)
    return git(repo, "rev-parse", "HEAD")


def scripted_repo(base: Path) -> tuple[Path, list[str]]:
    """The repository of the module docstring; returns (repo, [C1..C5 commit ids])."""
    repo = base / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    write_files(repo, {"accounts/acme/account.yaml": ACCOUNT, ".gitignore": ".kapm-cache/\n"})
    ids = []
    for when, message, files in HISTORY:
        ids.append(commit(repo, when, message, {f"{PROJECT}/{k}": v for k, v in files.items()}))
        if len(ids) == 1:
            git(repo, "tag", "v1.0", when=when)
    return repo, ids


@pytest.fixture(scope="module")
def _template(tmp_path_factory):
    return scripted_repo(tmp_path_factory.mktemp("history"))


@pytest.fixture
def scripted(_template, tmp_path, monkeypatch):
    """A fresh copy of the scripted repository (tests may edit it); cwd = its root."""
    import shutil

    src, ids = _template
    repo = tmp_path / "repo"
    shutil.copytree(src, repo, symlinks=True)
    monkeypatch.chdir(repo)
    return repo, ids


def run(*args):
    from kapm.cli import build_app

    return CliRunner().invoke(build_app(), list(args))


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


# -- the git layer -------------------------------------------------------------------------

def test_verify_rejects_options_and_unknown_revisions(scripted):
    from kapm.gitlayer import GitError, Repo

    repo, ids = scripted
    with Repo.open(repo) as r:
        assert r.verify("v1.0") == ids[0]
        assert r.verify("HEAD") == ids[4]
        assert r.verify("HEAD~1") == ids[3]
        for bad in ("--output=x", "-h", "", "HEAD --output=x", "nope", "HEAD\nHEAD", "v1.0:accounts"):
            with pytest.raises(GitError):
                r.verify(bad)
        # a tree or blob is not a commit
        tree = git(repo, "rev-parse", "HEAD^{tree}")
        with pytest.raises(GitError, match="unknown git revision"):
            r.verify(tree)
    assert not (repo / "x").exists()


def test_log_ls_tree_and_cat_file(scripted):
    from kapm.gitlayer import Repo, blob_id

    repo, ids = scripted
    with Repo.open(repo / PROJECT) as r:
        commits = r.log([PROJECT], head=ids[4])
        assert [c.id for c in commits] == ids[::-1]
        assert [c.subject for c in commits][-1] == "Plan created"
        assert commits[-1].day == date(2026, 9, 1)
        assert [c.id for c in r.log([PROJECT], head=ids[4], exclude=ids[2])] == ids[:1:-1]
        entries = r.ls_tree(ids[0], [PROJECT])
        assert sorted(e.path for e in entries) == [f"{PROJECT}/project.yaml", f"{PROJECT}/tasks.yaml"]
        blobs = r.read_blobs([e.blob for e in entries])
        assert blobs[entries[1].blob].decode() in (PROJECT_V1, TASKS_V1)
        assert all(blob_id(data) == oid for oid, data in blobs.items())
        first = r._batch
        r.read_blobs([e.blob for e in entries])
        assert r._batch is first  # one long-lived cat-file process
    assert first.poll() is not None  # closed with the repository


def test_literal_pathspecs(scripted):
    from kapm.gitlayer import Repo

    repo, ids = scripted
    with Repo.open(repo) as r:
        assert r.ls_tree(ids[0], ["accounts/*"]) == []
        assert r.ls_tree(ids[0], [":(glob)**"]) == []


def test_not_a_repository(tmp_path, monkeypatch):
    write_files(tmp_path, {"p/project.yaml": "kapm: 1\nproject: {id: p, name: P, start: 2026-09-07}\n"})
    monkeypatch.chdir(tmp_path)
    for args in (["diff", "p"], ["trend", "p"], ["check", "p", "--baseline", "HEAD"],
                 ["plan", "p", "--baseline", "HEAD"]):
        r = run(*args)
        assert r.exit_code == 2, (args, r.output)
        assert "not inside a git repository" in r.output


def test_shallow_clone(scripted, tmp_path, monkeypatch):
    repo, ids = scripted
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(clone))
    monkeypatch.chdir(clone)
    r = run("trend", PROJECT)
    assert r.exit_code == 2
    assert "shallow clone" in r.output and "fetch-depth: 0" in r.output and "git fetch --unshallow" in r.output
    r = run("diff", "HEAD~1", "HEAD", PROJECT)
    assert r.exit_code == 2
    assert "unknown git revision 'HEAD~1'" in r.output and "fetch-depth: 0" in r.output
    # what the shallow clone has still works
    r = run("diff", "HEAD", PROJECT, "--as-of", "2026-10-05", "--format", "json")
    assert r.exit_code == 0, r.output


def test_revision_injection_is_a_usage_error(scripted):
    repo, _ = scripted
    cases = [["diff", "--", "--output=x", PROJECT], ["diff", "--", "-h", PROJECT],
             ["diff", "--", "HEAD", "--output=x", PROJECT], ["check", PROJECT, "--baseline=--output=x"],
             ["check", PROJECT, "--baseline=-h"], ["plan", PROJECT, "--baseline=--output=x"],
             ["trend", PROJECT, "--since=--output=x"], ["trend", PROJECT, "--since=-h"]]
    for args in cases:
        r = run(*args)
        assert r.exit_code == 2, (args, r.output)
        assert "not a valid git" in r.output, (args, r.output)
        assert "Traceback" not in r.output
    assert not (repo / "x").exists()


# -- versions and the cache ---------------------------------------------------------------

def test_versions_go_through_the_same_pipeline(scripted):
    from kapm.history import open_history

    repo, ids = scripted
    h = open_history(repo / PROJECT)
    with h.repo:
        v1 = h.at(ids[0])
        assert v1.ok and v1.day == date(2026, 9, 1)
        assert [t.id for t in v1.result.model.all_tasks()] == ["kickoff", "design", "build", "test", "go-live"]
        assert v1.result.account.model.account.id == "acme"
        assert v1.result.people["li"].name == "李伟"
        v4 = h.at(ids[3])
        assert not v4.ok
        assert v4.reason().startswith(f"{PROJECT}/tasks.yaml:5: S002 ")
        assert h.at(ids[4]).key == h.worktree().key  # clean tree: same files, same cache entry


def test_cache_hits_invalidation_and_corruption(scripted):
    from kapm.history import open_history

    repo, ids = scripted
    h = open_history(repo / PROJECT)
    with h.repo:
        cold = h.at(ids[0])
        assert (h.cache.hits, h.cache.misses) == (0, 1)
    entries = sorted((repo / ".kapm-cache").rglob("*.pickle"))
    assert len(entries) == 1
    assert (repo / ".kapm-cache" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (Path(h.repo.git_dir) / "kapm-cache.key").stat().st_size == 32

    h = open_history(repo / PROJECT)
    with h.repo:
        warm = h.at(ids[0])
    assert h.cache.hits == 1
    assert warm.result.model == cold.result.model and warm.result.findings == cold.result.findings
    assert [t.path for t in warm.result.model.all_tasks()] == [t.path for t in cold.result.model.all_tasks()]

    # corrupt entry: ignored, rebuilt and rewritten
    entries[0].write_bytes(b"\x80\x04garbage")
    h = open_history(repo / PROJECT)
    with h.repo:
        again = h.at(ids[0])
    assert again.ok and h.cache.hits == 0
    assert entries[0].read_bytes().startswith(b"KAPMC1\n")

    # an entry with a forged signature is never unpickled
    data = bytearray(entries[0].read_bytes())
    data[10] ^= 0xFF
    entries[0].write_bytes(bytes(data))
    h = open_history(repo / PROJECT)
    with h.repo:
        assert h.at(ids[0]).ok
    assert h.cache.hits == 0

    # a changed working-tree file is a new entry; an unchanged one reuses HEAD's
    h = open_history(repo / PROJECT)
    with h.repo:
        h.at(ids[4])
        h.worktree()
        assert h.cache.hits == 1
        tasks = repo / PROJECT / "tasks.yaml"
        tasks.write_text(TASKS_V5.replace("duration: 20d", "duration: 22d"), encoding="utf-8")
        w = h.worktree()
        assert next(t for t in w.result.model.all_tasks() if t.id == "build").duration == 22
        assert h.cache.hits == 1


def test_a_damaged_cache_key_is_replaced(scripted):
    from kapm.history import open_history

    repo, ids = scripted
    with open_history(repo / PROJECT).repo:
        pass
    h = open_history(repo / PROJECT)
    key = Path(h.repo.git_dir) / "kapm-cache.key"
    key.write_bytes(b"short")
    with h.repo:
        assert h.at(ids[0]).ok
    assert h.cache.enabled and len(key.read_bytes()) == 32
    h = open_history(repo / PROJECT)
    with h.repo:
        assert h.at(ids[0]).ok
    assert h.cache.hits == 1  # the cache works again with the new key


def test_cache_can_be_disabled(scripted, monkeypatch):
    from kapm.history import open_history

    repo, ids = scripted
    monkeypatch.setenv("KAPM_NO_CACHE", "1")
    h = open_history(repo / PROJECT)
    with h.repo:
        assert h.at(ids[0]).ok
    assert not (repo / ".kapm-cache").exists()


def test_cache_displays_follow_the_current_directory(scripted, monkeypatch):
    from kapm.history import open_history

    repo, ids = scripted
    with open_history(repo / PROJECT).repo:
        pass
    h = open_history(repo / PROJECT)
    with h.repo:
        assert h.at(ids[3]).reason().startswith(f"{PROJECT}/tasks.yaml:5:")
    monkeypatch.chdir(repo / PROJECT)
    h = open_history(repo / PROJECT)
    with h.repo:
        v = h.at(ids[3])
        assert h.cache.hits == 1
        assert v.reason().startswith("tasks.yaml:5:")


# -- baselines ----------------------------------------------------------------------------

def test_apply_baseline(scripted):
    from kapm.analysis import analyze
    from kapm.history import apply_baseline, load_baseline

    repo, ids = scripted
    proj = analyze([repo / PROJECT], as_of=date(2026, 10, 5), run_rules=False).projects[0]
    base = load_baseline(proj, "v1.0")
    assert base.version.commit.id == ids[0]
    sched = proj.schedule(status=True, as_of=date(2026, 10, 5))
    apply_baseline(sched, base.plan())
    got = {t.id: (t.baseline_start and t.baseline_start.isoformat(), t.baseline_finish and t.baseline_finish.isoformat(),
                  t.finish.isoformat(), t.finish_variance) for t in sched.tasks}
    assert got == {
        "kickoff": ("2026-09-07", "2026-09-07", "2026-09-07", 0),
        "design": ("2026-09-07", "2026-09-18", "2026-09-29", 7),
        "build": ("2026-09-21", "2026-10-09", "2026-10-30", 15),
        "migration": (None, None, "2026-10-09", None),
        "test": ("2026-10-12", "2026-10-16", "2026-11-06", 15),
        "go-live": ("2026-10-16", "2026-10-16", "2026-11-06", 15),
    }


def test_plan_baseline_option(scripted):
    import json

    r = run("plan", PROJECT, "--baseline", "v1.0", "--as-of", "2026-10-05", "--format", "json")
    assert r.exit_code == 0, r.output
    tasks = {t["id"]: t for t in json.loads(r.stdout)["tasks"]}
    assert (tasks["build"]["baseline_finish"], tasks["build"]["finish_variance"]) == ("2026-10-09", 15)
    assert tasks["migration"]["baseline_finish"] is None
    r = run("plan", PROJECT, "--baseline", "v9", "--as-of", "2026-10-05")
    assert r.exit_code == 2 and "unknown git baseline revision 'v9'" in r.output


def _x003(result_stdout: str):
    import json

    return [(f["file"], f["line"]) for f in json.loads(result_stdout)["findings"] if f["code"] == "X003"]


def test_x003_duration_raised_without_change_request(scripted):
    repo, _ = scripted
    r = run("check", PROJECT, "--baseline", "v1.0", "--as-of", "2026-10-05", "--format", "json")
    assert r.exit_code == 0, r.output
    tasks = repo / PROJECT / "tasks.yaml"
    # migration was added, but CR-1 lists it; build grew 15d -> 20d and no change lists it
    assert _x003(r.stdout) == [(f"{PROJECT}/tasks.yaml", line_of(tasks, "duration: 20d"))]
    r = run("check", PROJECT, "--as-of", "2026-10-05", "--format", "json")
    assert _x003(r.stdout) == []  # no baseline, no comparison


def test_x003_added_task_and_change_request_coverage(scripted):
    repo, _ = scripted
    tasks = repo / PROJECT / "tasks.yaml"
    tasks.write_text(TASKS_V5 + "  - id: reports\n    name: Extra reports\n    duration: 3d\n"
                     "    tasks:\n      - {id: r1, name: Sales report, duration: 3d}\n", encoding="utf-8")
    project = repo / PROJECT / "project.yaml"
    project.write_text(PROJECT_V5.replace("  budget: 120000\n", "  budget: 120000\n  baseline: v1.0\n"),
                       encoding="utf-8")
    r = run("check", PROJECT, "--as-of", "2026-10-05", "--format", "json")  # project.baseline
    # the added summary is reported once (not its child); build still grew
    assert _x003(r.stdout) == [(f"{PROJECT}/tasks.yaml", line_of(tasks, "duration: 20d")),
                               (f"{PROJECT}/tasks.yaml", line_of(tasks, "id: reports"))]
    project.write_text(project.read_text(encoding="utf-8").replace("tasks: [migration]",
                                                                   "tasks: [migration, build, reports]"),
                       encoding="utf-8")
    r = run("check", PROJECT, "--as-of", "2026-10-05", "--format", "json")
    assert _x003(r.stdout) == []
    # a rejected change justifies nothing: migration is now unjustified too
    project.write_text(project.read_text(encoding="utf-8").replace("status: approved", "status: rejected"),
                       encoding="utf-8")
    r = run("check", PROJECT, "--as-of", "2026-10-05", "--format", "json")
    assert _x003(r.stdout) == [(f"{PROJECT}/tasks.yaml", line_of(tasks, "duration: 20d")),
                               (f"{PROJECT}/tasks.yaml", line_of(tasks, "id: migration")),
                               (f"{PROJECT}/tasks.yaml", line_of(tasks, "id: reports"))]


def test_x003_unreadable_project_baseline_is_reported_once(scripted):
    repo, _ = scripted
    project = repo / PROJECT / "project.yaml"
    project.write_text(PROJECT_V5.replace("  budget: 120000\n", "  budget: 120000\n  baseline: v9\n"),
                       encoding="utf-8")
    r = run("check", PROJECT, "--as-of", "2026-10-05", "--format", "json")
    assert _x003(r.stdout) == [(f"{PROJECT}/project.yaml", line_of(project, "baseline: v9"))]
    assert "unknown git baseline revision 'v9'" in r.stdout
    r = run("check", PROJECT, "--baseline", "v9", "--as-of", "2026-10-05")
    assert r.exit_code == 2 and "unknown git baseline revision 'v9'" in r.output


def test_files_at_many_matches_ls_tree(scripted):
    # reading trees through cat-file lists the same files (and cache keys) as git ls-tree
    from kapm.history import ProjectHistory
    from kapm.gitlayer import Repo

    repo, ids = scripted
    (repo / "kapm.yaml").write_text("kapm: 1\n")
    (repo / "accounts/acme/erp/sub").mkdir()
    (repo / "accounts/acme/erp/sub/x.yaml").write_text("a: 1\n")
    (repo / "accounts/acme/erp/z.yml").write_text("kapm: 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "more files", when="2026-10-06")
    with Repo.open(repo) as r:
        for folder in (PROJECT, "accounts/acme", "accounts", "."):
            h = ProjectHistory(r, repo / folder)
            commits = [c.id for c in h.commits()] + ids[:1]

            def by_ls_tree(c):  # the reference: one git ls-tree per commit
                entries = r.ls_tree(c, [h.rel_dir, *h._config_candidates, *h._account_candidates])
                files = h._select({e.path: e.blob for e in entries})
                return files, files.key(r.root) if files is not None else ""

            assert h.files_at_many(commits) == [by_ls_tree(c) for c in commits]
            assert [h.files_at(c) for c in commits] == [by_ls_tree(c) for c in commits]


def test_account_in_project_folder_and_finite_calendar_through_history(tmp_path, monkeypatch):
    """The project folder holds account.yaml (the account, not a project file) and a
    calendar of listed workdays only; older versions finish before its first workday.
    diff, trend and --baseline read the history like check reads the working tree."""
    import json

    from typer.testing import CliRunner

    from kapm.cli import build_app

    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q")
    account = "kapm: 1\naccount: {id: acme, name: ACME, owner: li}\nteam: [{id: li, name: 李伟}]\n"
    head = ("kapm: 1\nproject: {id: p, name: P, start: 2026-09-01, manager: li}\n"
            "calendar: {workweek: [], workdays: [%s]}\n"
            "tasks:\n  - {id: a, name: A, duration: %s, owner: li}\n  - {id: m, name: M, milestone: true, "
            "depends: [a], owner: li}\n")
    commit(repo, "2026-09-01", "plan", {"p/account.yaml": account,
                                        "p/project.yaml": head % ("2026-09-01..2026-09-30", "5d")})
    commit(repo, "2026-09-08", "later calendar", {"p/project.yaml": head % ("2026-10-01..2026-12-31", "8d")})
    monkeypatch.chdir(repo)
    run = CliRunner().invoke
    app = build_app()
    check = run(app, ["check", "p", "--as-of", "2026-09-01", "--format", "json"])
    assert not [f for f in json.loads(check.stdout)["findings"] if f["severity"] == "error"]
    diff = run(app, ["diff", "HEAD~1", "HEAD", "p", "--format", "json", "--as-of", "2026-09-01"])
    assert diff.exit_code == 0, diff.output
    assert json.loads(diff.stdout)["tasks"]["changed"]
    trend = run(app, ["trend", "p", "--format", "json"])
    assert trend.exit_code == 0, trend.output
    assert len(json.loads(trend.stdout)["points"]) == 2 and not json.loads(trend.stdout)["skipped"]
    plan = run(app, ["plan", "p", "--baseline", "HEAD~1", "--format", "json", "--as-of", "2026-09-01"])
    assert plan.exit_code == 0, plan.output
    tasks = {t["id"]: t for t in json.loads(plan.stdout)["tasks"]}
    assert tasks["a"]["baseline_finish"] == "2026-09-05"  # every listed day works, weekends too
    assert isinstance(tasks["a"]["finish_variance"], int) and tasks["a"]["finish_variance"] > 0


def test_check_baseline_where_the_project_does_not_exist_is_a_usage_error(tmp_path, monkeypatch):
    """An explicit --baseline the project cannot be read at exits 2, like plan and report."""
    from typer.testing import CliRunner

    from kapm.cli import build_app

    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q")
    commit(repo, "2026-09-01", "readme only", {"README.md": "x\n"})
    commit(repo, "2026-09-02", "plan", {"p/project.yaml": "kapm: 1\nproject: {id: p, name: P, start: 2026-09-01}\n"})
    monkeypatch.chdir(repo)
    r = CliRunner().invoke(build_app(), ["check", "p", "--baseline", "HEAD~1", "--ignore", "X003"])
    assert r.exit_code == 2 and "baseline" in r.stderr
    ok = CliRunner().invoke(build_app(), ["check", "p", "--baseline", "HEAD", "--as-of", "2026-09-01"])
    assert ok.exit_code == 0, ok.output


def test_reading_thousands_of_blobs_does_not_block(tmp_path):
    """More requests than a pipe holds go through cat-file --batch without a deadlock."""
    import subprocess

    from kapm.gitlayer import Repo

    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q")
    commit(repo, "2026-09-01", "many", {f"f{i}.txt": f"file {i}\n" * 40 for i in range(2000)})
    listing = subprocess.run(["git", "ls-tree", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.split()
    blobs = listing[2::4]
    import threading

    out: dict = {}
    r = Repo.open(repo, purpose="test")

    def read():
        out.update(r.read_blobs(blobs))

    worker = threading.Thread(target=read, daemon=True)  # a deadlock must fail the test, not hang it
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive(), "git cat-file and kapm blocked each other"
    r.close()
    assert len(out) == 2000 and out[blobs[0]].startswith(b"file ")
