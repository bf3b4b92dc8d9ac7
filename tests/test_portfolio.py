"""`kapm portfolio`: SPEC §7.3 JSON, every format, sorting, escaping, serial == parallel, exit codes."""

import json
import re
from datetime import date

import pytest
from typer.testing import CliRunner

from conftest import ROOT, write_files

EXAMPLE = ROOT / "examples" / "portfolio"
AS_OF = "2026-11-20"
ACCOUNT_KEYS = ["id", "name", "tier", "owner", "projects"]
PROJECT_KEYS = ["id", "name", "status", "health", "reasons", "finish", "deadline", "slip_days", "spi", "cpi",
                "open_high_risks", "sla_breaches_30d", "csat", "overdue_actions"]
HEALTH_KEYS = {"overall", "schedule", "cost", "risk", "client"}


def invoke(*args, env=None):
    from kapm.cli import build_app

    return CliRunner().invoke(build_app(), ["portfolio", *args], env=env)


def as_json(res) -> dict:
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def projects(data) -> dict:
    return {p["id"]: p for a in data["accounts"] for p in a["projects"]}


@pytest.fixture(scope="module")
def example_json():
    return json.loads(invoke(str(EXAMPLE), "--as-of", AS_OF, "--format", "json").stdout)


# --------------------------------------------------------------------------- the example


def test_json_shape(example_json):
    data = example_json
    assert list(data) == ["as_of", "accounts"]
    assert data["as_of"] == AS_OF
    assert [a["id"] for a in data["accounts"]] == ["dongfang-retail", "huaxin-bank", "ruikang-health"]
    for acc in data["accounts"]:
        assert list(acc) == ACCOUNT_KEYS
        for p in acc["projects"]:
            assert list(p)[:len(PROJECT_KEYS)] == PROJECT_KEYS
            assert p["errors"] == 0
            assert set(p["health"]) == HEALTH_KEYS
            assert set(p["reasons"]) == HEALTH_KEYS and all(isinstance(v, str) for v in p["reasons"].values())
            assert all(v in ("green", "amber", "red") for v in p["health"].values())
    ruikang = data["accounts"][2]
    assert ruikang == {**ruikang, "name": "瑞康医院集团 Ruikang Hospital Group", "tier": "strategic", "owner": "xie.na"}
    assert len(projects(data)) == 5


def test_slipping_project(example_json):
    p = projects(example_json)["his-upgrade"]
    assert p["status"] == "active"
    assert p["finish"] == "2027-01-13" and p["deadline"] == "2026-12-18"
    assert p["slip_days"] == 17  # working days on the CN calendar (1 January is a holiday)
    assert p["health"] == {"overall": "red", "schedule": "red", "cost": "amber", "risk": "red", "client": "amber"}
    assert "17 working days after the deadline" in p["reasons"]["schedule"]
    assert p["spi"] == 0.81 and p["cpi"] == 0.99
    assert p["open_high_risks"] == 1
    assert p["sla_breaches_30d"] == 0
    assert p["csat"] == 3
    assert p["overdue_actions"] == 1  # A2, due 2026-11-18, still open (rule C002)


def test_closed_and_unstarted_projects(example_json):
    closed = projects(example_json)["pacs-archive"]
    assert closed["status"] == "closed"
    assert closed["finish"] == "2026-08-14" and closed["deadline"] == "2026-08-31"
    assert closed["slip_days"] == -11
    assert closed["health"]["overall"] == "green"
    assert closed["spi"] == 1.0 and closed["cpi"] == 1.27 and closed["csat"] == 5
    planned = projects(example_json)["mobile-onboarding"]
    assert planned["status"] == "planned"
    assert planned["spi"] is None and planned["cpi"] is None and planned["csat"] is None  # n/a → null


def test_table(monkeypatch):
    res = invoke(str(EXAMPLE), "--as-of", AS_OF)
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert "Portfolio as of 2026-11-20: 3 accounts, 5 projects (1 red, 0 amber, 4 green)" in out
    assert "\x1b[" not in out
    from rich.cells import cell_len

    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("Account"))
    column = cell_len(header[:header.index("Status")])
    rows = [line for line in lines if re.match(r"^(dongfang|huaxin|ruikang)", line)]
    assert len(rows) == 5
    for line in rows:  # CJK names are two cells wide: the next column still lines up
        m = re.search(r"\s(active|closed|planned|on-hold)\s", line)
        assert cell_len(line[:m.start(1)]) == column, line
    his = next(line for line in rows if "his-upgrade" in line)
    assert "R red" in his and "R A R A" in his and "+17" in his
    assert "Why not green:" in out and "his-upgrade schedule:" in out


def test_table_colour(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    res = invoke(str(EXAMPLE), "--as-of", AS_OF)
    assert res.exit_code == 0
    assert "\x1b[" in res.stdout and "●" in res.stdout
    plain = invoke(str(EXAMPLE), "--as-of", AS_OF, "--no-color")
    assert "\x1b[" not in plain.stdout


def test_markdown_and_html(tmp_path):
    md = invoke(str(EXAMPLE), "--as-of", AS_OF, "--format", "md", "--lang", "en")
    assert md.exit_code == 0, md.output
    assert md.stdout.startswith("# Portfolio — Nov 20, 2026\n")
    assert "## 瑞康医院集团 Ruikang Hospital Group (ruikang-health)" in md.stdout
    assert "| **his-upgrade** HIS 升级（本部院区）HIS upgrade, main campus | active | 🔴 Red |" in md.stdout
    assert "**+17**" in md.stdout
    zh = invoke(str(EXAMPLE), "--as-of", AS_OF, "--format", "md")  # kapm.yaml report.lang: zh
    assert zh.stdout.startswith("# 项目组合 — 2026年11月20日\n")
    assert "3 个客户，5 个项目：红 1、黄 0、绿 4。" in zh.stdout
    assert "晚 17 个工作日" in zh.stdout  # health reasons in the report language
    out = tmp_path / "portfolio.html"
    res = invoke(str(EXAMPLE), "--as-of", AS_OF, "--format", "html", "--lang", "en", "-o", str(out))
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<style>" in html
    assert "<script" not in html and "http://" not in html and "https://" not in html and "src=" not in html
    assert html.count("<tr>\n<td>") == 5  # one row per project (plus a header row per account)
    assert '<span class="late">+17</span>' in html


def test_json_is_english_whatever_the_report_language(example_json):
    assert "working days after the deadline" in projects(example_json)["his-upgrade"]["reasons"]["schedule"]


# --------------------------------------------------------------------------- sorting


def _order(*args):
    data = as_json(invoke(str(EXAMPLE), "--as-of", AS_OF, "--format", "json", *args))
    return [a["id"] for a in data["accounts"]], [p["id"] for a in data["accounts"] for p in a["projects"]]


def _table_order(*args):
    res = invoke(str(EXAMPLE), "--as-of", AS_OF, "-q", *args)
    assert res.exit_code == 0
    return [m.group(1) for m in re.finditer(r"^\S+ +(\S+) ", res.stdout, re.M) if m.group(1) != "Project"]


def test_default_sort_is_account_then_worst_health():
    assert _order() == _order("--sort", "account")
    accounts, ids = _order()
    assert accounts == ["dongfang-retail", "huaxin-bank", "ruikang-health"]
    assert ids == ["loyalty-app", "core-reporting", "mobile-onboarding", "his-upgrade", "pacs-archive"]


def test_sorts():
    assert _table_order("--sort", "health")[0] == "his-upgrade"
    assert _table_order("--sort", "slip") == ["his-upgrade", "core-reporting", "pacs-archive", "loyalty-app",
                                              "mobile-onboarding"]  # +17, -5, -11, -39, -43
    assert _table_order("--sort", "spi")[0] == "his-upgrade"
    assert _table_order("--sort", "spi")[-1] == "mobile-onboarding"  # n/a last
    assert _table_order("--sort", "cpi")[-1] == "mobile-onboarding"
    assert _table_order("--sort", "name")[:2] == ["his-upgrade", "pacs-archive"]
    # JSON groups by account, accounts in the order of their first project
    accounts, ids = _order("--sort", "slip")
    assert accounts[0] == "ruikang-health" and ids[:2] == ["his-upgrade", "pacs-archive"]
    for sort in ("account", "health", "slip", "spi", "cpi", "name"):  # deterministic
        assert _order("--sort", sort) == _order("--sort", sort)


def test_unknown_sort_and_format():
    res = invoke(str(EXAMPLE), "--sort", "budget")
    assert res.exit_code == 2 and "unknown sort" in res.stderr
    res = invoke(str(EXAMPLE), "--format", "csv")
    assert res.exit_code == 2


# --------------------------------------------------------------------------- inline workspaces

WS = {
    "kapm.yaml": "kapm: 1\n",
    "accounts/acme/account.yaml": """\
kapm: 1
account:
  id: acme
  name: ACME 有限公司
  tier: key
  owner: wang
  sla: {high: {respond: 4h}}
team:
  - {id: wang, name: 王芳}
contacts:
  - {id: zhang, name: 张三}
""",
    "accounts/acme/evil/project.yaml": """\
kapm: 1
project: {id: evil, name: "<script>x</script> | y", start: 2026-11-02, deadline: 2026-11-30, manager: li}
team:
  - {id: li, name: 李伟}
tasks:
  - {id: a, name: "<b>Task</b>", duration: 5d, owner: li}
risks:
  - {id: R1, title: Big, probability: 4, impact: 4, owner: li, strategy: mitigate, response: plan,
     reviewed: 2026-11-15}
  - {id: R2, title: Medium, probability: 2, impact: 5, owner: li, strategy: mitigate, response: plan,
     reviewed: 2026-11-15}
  - {id: R3, title: Small, probability: 1, impact: 2, owner: li, reviewed: 2026-11-15}
requests:
  - {id: Q1, received: 2026-11-02T09:00, summary: Old, priority: high, responded: 2026-11-02T10:00}
  - {id: Q2, received: 2026-11-16T09:00, summary: Late, priority: high, responded: 2026-11-17T09:00}
  - {id: Q3, received: 2026-10-01T09:00, summary: Ancient, priority: high, responded: 2026-10-03T09:00}
""",
    "accounts/quiet/account.yaml": "kapm: 1\naccount: {id: quiet, name: 安静客户, tier: standard}\n",
    "loose/project.yaml": """\
kapm: 1
project: {id: loose, name: 无客户项目, start: 2026-11-02, manager: li}
team:
  - {id: li, name: 李伟}
tasks:
  - {id: a, name: A, duration: 3d, owner: li}
""",
}

BROKEN = """\
kapm: 1
project: {id: broken, name: Broken 项目, status: active, start: 2026-11-02, deadline: 2026-12-31, manager: li}
team:
  - {id: li, name: 李伟}
tasks:
  - {id: a, name: A, duration: 3d, owner: li, depends: [b]}
  - {id: b, name: B, duration: 3d, owner: li, depends: [a]}
"""


def test_no_account_group_risks_and_sla(project_dir):
    project_dir(WS)
    data = as_json(invoke(".", "--as-of", AS_OF, "--format", "json"))
    # accounts with projects, the projects without an account, then accounts without projects
    assert [a["id"] for a in data["accounts"]] == ["acme", None, "quiet"]
    assert data["accounts"][2] == {"id": "quiet", "name": "安静客户", "tier": "standard", "owner": None,
                                   "projects": []}
    none = data["accounts"][1]
    assert none == {"id": None, "name": None, "tier": None, "owner": None, "projects": none["projects"]}
    assert [p["id"] for p in none["projects"]] == ["loose"]
    loose = none["projects"][0]
    assert loose["deadline"] is None and loose["slip_days"] is None and loose["csat"] is None
    evil = data["accounts"][0]["projects"][0]
    assert evil["open_high_risks"] == 2  # scores 16 and 10 (≥ high_risk_score 10); 2 is not
    assert evil["sla_breaches_30d"] == 1  # Q2 (responded after 24 h); Q3 breached more than 30 days ago
    assert evil["health"]["client"] == "red"


def test_user_text_is_escaped(project_dir, tmp_path):
    project_dir(WS)
    html = invoke(".", "--as-of", AS_OF, "--format", "html", "--lang", "en")
    assert html.exit_code == 0, html.output
    assert "<script>" not in html.stdout
    assert "&lt;script&gt;x&lt;/script&gt; | y" in html.stdout
    md = invoke(".", "--as-of", AS_OF, "--format", "md", "--lang", "en")
    assert md.exit_code == 0
    assert "<script>" not in md.stdout
    assert r"\<script\>x\</script\> \| y" in md.stdout
    row = next(line for line in md.stdout.splitlines() if "**evil**" in line)
    assert row.count(" | ") == 15  # 16 cells: the user's "|" does not split the row
    data = as_json(invoke(".", "--as-of", AS_OF, "--format", "json"))
    assert projects(data)["evil"]["name"] == "<script>x</script> | y"  # JSON carries the raw text
    table = invoke(".", "--as-of", AS_OF)
    assert "<script>x</script> | y" in table.stdout


def test_project_with_errors_is_listed_and_exits_1(project_dir, tmp_path):
    project_dir({**WS, "accounts/acme/broken/project.yaml": BROKEN})
    res = invoke(".", "--as-of", AS_OF, "--format", "json")
    assert res.exit_code == 1
    data = json.loads(res.stdout)  # the output is complete before the exit code
    broken = projects(data)["broken"]
    assert broken["errors"] >= 1
    assert broken["health"] is None and broken["reasons"] is None and broken["slip_days"] is None
    assert broken["name"] == "Broken 项目" and broken["status"] == "active" and broken["deadline"] == "2026-12-31"
    assert projects(data)["evil"]["health"] is not None and projects(data)["evil"]["errors"] == 0
    assert "P001" in res.stderr and "have errors" in res.stderr
    table = invoke(".", "--as-of", AS_OF)
    assert table.exit_code == 1
    assert "errors: " in table.stdout and "with errors" in table.stdout
    # sorted first by health (errors are worse than red)
    assert _first_row(invoke(".", "--as-of", AS_OF, "-q", "--sort", "health").stdout) == "broken"
    # a schema error: no model at all, still listed with what can be read
    project_dir({"accounts/acme/broken/project.yaml": BROKEN.replace("manager: li}", "manager: li, colour: red}")})
    res = invoke(".", "--as-of", AS_OF, "--format", "json")
    assert res.exit_code == 1 and "S001" in res.stderr
    broken = projects(json.loads(res.stdout))["broken"]
    assert broken["health"] is None and broken["errors"] >= 1
    assert broken["name"] == "Broken 项目" and broken["deadline"] == "2026-12-31"


def _first_row(text: str) -> str:
    return next(m.group(1) for m in re.finditer(r"^\S+ +(\S+) ", text, re.M) if m.group(1) != "Project")


def test_usage_errors(project_dir):
    project_dir(WS)
    for args, needle in ((["nowhere", "--as-of", AS_OF], "path not found"),
                         ([".", "--as-of", "2026-13-01"], "is not a date"),
                         ([".", "--format", "md", "--lang", "fr"], "fr")):
        res = invoke(*args)
        assert res.exit_code == 2 and needle in res.stderr, args


def test_output_file(project_dir, tmp_path):
    project_dir(WS)
    res = invoke(".", "--as-of", AS_OF, "--format", "json", "-o", "p.json")
    assert res.exit_code == 0 and res.stdout == ""
    assert json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))["as_of"] == AS_OF


# --------------------------------------------------------------------------- serial == parallel


def _many(base, n=10):
    files = {"kapm.yaml": "kapm: 1\ncalendar: {country: CN}\n"}
    for i in range(n):
        files[f"accounts/a{i % 3}/account.yaml"] = (
            f"kapm: 1\naccount: {{id: a{i % 3}, name: 客户 {i % 3}, tier: key, owner: am}}\n"
            "team:\n  - {id: am, name: 经理}\n")
        files[f"accounts/a{i % 3}/p{i}/project.yaml"] = (
            f"kapm: 1\nproject: {{id: p{i}, name: 项目 {i}, start: 2026-10-01, deadline: 2026-11-{10 + i}, "
            f"manager: pm, budget: {100000 + i}}}\nteam:\n  - {{id: pm, name: PM}}\ntasks:\n"
            + "".join(f"  - {{id: t{k}, name: T{k}, duration: {1 + (i + k) % 4}d, owner: pm"
                      f"{', depends: [t%d]' % (k - 1) if k else ''}{', progress: 100' if k < 3 else ''}}}\n"
                      for k in range(12))
            + f"costs:\n  - {{date: 2026-10-20, amount: {5000 * (i + 1)}}}\n")
    if n > 4:
        files["accounts/a1/p4/project.yaml"] = BROKEN.replace("id: broken", "id: p4")
    return write_files(base, files)


def test_serial_equals_parallel(tmp_path, monkeypatch):
    from kapm.portfolio import build

    root = _many(tmp_path)
    day = date(2026, 11, 20)
    for sort in ("account", "health", "name"):
        serial = build([root], day, sort=sort, jobs=1)
        parallel = build([root], day, sort=sort, jobs=2)
        assert json.dumps(serial.data, ensure_ascii=False) == json.dumps(parallel.data, ensure_ascii=False)
        assert serial.findings == parallel.findings and serial.findings
    monkeypatch.chdir(tmp_path)
    outputs = {}
    for jobs in ("1", "2"):
        for fmt in ("json", "table", "md"):
            res = invoke(".", "--as-of", AS_OF, "--format", fmt, env={"KAPM_PORTFOLIO_JOBS": jobs})
            assert res.exit_code == 1  # p4 has a cycle
            outputs[jobs, fmt] = (res.stdout, res.stderr)
    for fmt in ("json", "table", "md"):
        assert outputs["1", fmt] == outputs["2", fmt]


def test_jobs_for(monkeypatch):
    from kapm import portfolio

    monkeypatch.delenv(portfolio.JOBS_ENV, raising=False)
    assert portfolio.jobs_for(3) == 1  # small portfolios stay serial
    monkeypatch.setenv(portfolio.JOBS_ENV, "1")
    assert portfolio.jobs_for(500) == 1
    monkeypatch.setenv(portfolio.JOBS_ENV, "3")
    assert portfolio.jobs_for(2) == 3


def test_serial_without_fork(tmp_path, monkeypatch):
    import multiprocessing

    from kapm.portfolio import build

    root = _many(tmp_path)
    day = date(2026, 11, 20)
    expected = build([root], day, jobs=1).data
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    monkeypatch.delenv("KAPM_PORTFOLIO_JOBS", raising=False)
    from kapm import portfolio

    assert portfolio.jobs_for(10) == 1
    assert build([root], day, jobs=2).data == expected  # no fork: serial, same result


def test_accounts_without_projects_only_inside_path():
    data = as_json(invoke(str(EXAMPLE / "accounts" / "huaxin-bank"), "--as-of", AS_OF, "--format", "json"))
    assert [a["id"] for a in data["accounts"]] == ["huaxin-bank"]
    data = as_json(invoke(str(EXAMPLE / "accounts" / "ruikang-health" / "his-upgrade" / "project.yaml"),
                          "--as-of", AS_OF, "--format", "json"))
    assert [(a["id"], [p["id"] for p in a["projects"]]) for a in data["accounts"]] == [
        ("ruikang-health", ["his-upgrade"])]
