"""Workspace discovery and merging (SPEC §1)."""

import sys
from datetime import date

from kapm.analysis import analyze

D = date(2026, 9, 7)
PROJ = "kapm: 1\nproject:\n  id: %s\n  name: P\n  start: 2026-09-07\n"


def ids(result):
    return sorted(p.id for p in result.projects)


def test_list_sections_concatenate_in_file_order(project_dir):
    root = project_dir({
        "project.yaml": PROJ % "p" + "tasks:\n  - {id: a, name: A, duration: 1d}\n",
        "b-tasks.yaml": "kapm: 1\ntasks:\n  - {id: c, name: C, duration: 1d}\n",
        "a-tasks.yml": "kapm: 1\ntasks:\n  - {id: b, name: B, duration: 1d, depends: [zz]}\n",
    })
    r = analyze([root], as_of=D)
    assert [t.id for t in r.projects[0].model.tasks] == ["a", "b", "c"]
    (f,) = [f for f in r.findings if f.severity == "error"]
    assert (f.code, f.location.file, f.location.line) == ("R001", "a-tasks.yml", 3)


def test_mapping_section_twice_is_s005(project_dir):
    root = project_dir({"project.yaml": PROJ % "p" + "calendar: {country: CN}\n",
                        "cal.yaml": "kapm: 1\ncalendar: {country: US}\n"})
    (f,) = analyze([root], as_of=D).findings
    assert (f.code, f.location.file, f.location.line) == ("S005", "cal.yaml", 2)
    assert "project.yaml" in f.message


def test_accounts_projects_and_config_walk_up(project_dir, monkeypatch):
    root = project_dir({
        "kapm.yaml": "kapm: 1\nrules: {ignore: [R002]}\n",
        "accounts/acme/account.yaml": "kapm: 1\naccount: {id: acme, name: ACME, owner: wang}\n"
                                      "team: [{id: wang, name: 王芳}]\n",
        "accounts/acme/erp/project.yaml": PROJ % "erp" + "  manager: wang\n",
        "accounts/acme/crm/project.yaml": PROJ % "crm" + "  manager: nobody\n",
        "standalone/project.yaml": PROJ % "solo" + "  account: acme\n  manager: wang\n",
        ".hidden/project.yaml": PROJ % "hidden",
        "node_modules/x/project.yaml": PROJ % "nm",
    })
    r = analyze([root], as_of=D)
    assert ids(r) == ["crm", "erp", "solo"]
    assert all(p.account is not None and p.account.id == "acme" for p in r.projects)
    assert [f for f in r.findings if f.code[0] in "RSY"] == []  # crm's unknown manager is R002, ignored by kapm.yaml found above
    monkeypatch.chdir(root / "accounts/acme/crm")
    r = analyze([root / "accounts/acme/crm"], as_of=D)
    assert ids(r) == ["crm"] and [f for f in r.findings if f.code[0] in "RSY"] == []


def test_gitignored_folders_are_skipped(project_dir):
    import subprocess

    root = project_dir({".gitignore": "build/\n", "p/project.yaml": PROJ % "p",
                        "build/q/project.yaml": PROJ % "q"})
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    assert ids(analyze([root], as_of=D)) == ["p"]


def test_git_runs_only_when_discovery_meets_a_subfolder(project_dir, monkeypatch):
    import subprocess

    import kapm.gitlayer

    root = project_dir({".gitignore": "build/\n", "p/project.yaml": PROJ % "p",
                        "build/q/project.yaml": PROJ % "q"})
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    calls = []
    real = kapm.gitlayer._git
    monkeypatch.setattr(kapm.gitlayer, "_git", lambda args, *a, **k: calls.append(args[0]) or real(args, *a, **k))
    assert ids(analyze([root / "p"], as_of=D)) == ["p"]  # a project folder, no subfolder
    assert calls == []
    out = subprocess.run([sys.executable, "-c", "import sys; from datetime import date; from kapm.analysis import "
                          f"analyze; analyze([__import__('pathlib').Path({str(root / 'p')!r})], as_of=date(2026, 9, 7));"
                          " print('kapm.gitlayer' in sys.modules)"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"  # not even imported
    assert ids(analyze([root], as_of=D)) == ["p"]  # the workspace: p/ and build/ to decide on
    assert calls == ["ls-files"]


def test_project_yaml_path_and_account_path(project_dir):
    root = project_dir({"acc/account.yaml": "kapm: 1\naccount: {id: a, name: A}\n",
                        "acc/p1/project.yaml": PROJ % "p1", "acc/p2/project.yaml": PROJ % "p2"})
    assert ids(analyze([root / "acc/p1/project.yaml"], as_of=D)) == ["p1"]
    assert ids(analyze([root / "acc"], as_of=D)) == ["p1", "p2"]


def test_every_file_needs_version(project_dir):
    root = project_dir({"project.yaml": PROJ % "p", "risks.yaml": "risks: []\n"})
    (f,) = analyze([root], as_of=D).findings
    assert (f.code, f.location.file, f.location.line) == ("S004", "risks.yaml", 1)


def test_parallel_reading_equals_serial(tmp_path, monkeypatch):
    """read_sources splits large projects between two processes: same data, text, findings."""
    from kapm import workspace

    files = {f"t{i}.yaml": "kapm: 1\ntasks:\n" + "".join(
        f"  - {{id: t{i}-{k}, name: 任务 {k}, duration: {k % 5 + 1}d}}\n" for k in range(200)) for i in range(5)}
    files["bad.yaml"] = "kapm: 1\ntasks: [\n"
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    paths = sorted(tmp_path.glob("*.yaml"))
    monkeypatch.chdir(tmp_path)
    serial = [workspace.read_source(p, 10**7) for p in paths]
    monkeypatch.setattr(workspace, "PARALLEL_MIN_BYTES", 0)
    parallel = workspace.read_sources(paths, 10**7)
    assert [(s.display, s.data, s.text, s.findings) for s in serial] == \
           [(s.display, s.data, s.text, s.findings) for s in parallel]
    assert any(s.findings for s in parallel)


def test_account_and_project_in_one_folder(project_dir):
    """account.yaml beside project.yaml is the account, not a project file."""
    root = project_dir({"account.yaml": "kapm: 1\naccount: {id: acme, name: ACME, owner: wang}\n"
                                        "team: [{id: wang, name: 王芳}]\n",
                        "project.yaml": PROJ % "p" + "  manager: wang\n"})
    r = analyze([root], as_of=D)
    assert ids(r) == ["p"] and r.projects[0].account.id == "acme"
    assert [f for f in r.findings if f.severity == "error"] == []
