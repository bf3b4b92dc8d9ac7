"""kapm init: scaffold a workspace, an account and a first project that pass `kapm check`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from kapm.commands import common

SCHEMA_FILE = "kapm.schema.json"

TEXT = {
    "en": {
        "company": "Example Consulting Ltd",
        "account_name": "Example Client Ltd",
        "am": "Account manager", "pm": "Project manager", "sponsor_title": "CIO",
        "am_name": "Alex Wang", "pm_name": "Li Wei", "sponsor_name": "Zhang San",
        "project_name": "First delivery project",
        "t_kickoff": "Kick-off", "t_design": "Solution design", "t_workshops": "Requirement workshops",
        "t_spec": "Functional specification", "t_build": "Build and configure", "t_uat": "User acceptance test",
        "t_golive": "Go-live",
        "risk": "Key users not available for workshops",
        "comms": "Weekly status report",
        "c_ws": "Workspace settings: rule selection and thresholds, report defaults, default calendar.",
        "c_acc": "A key account: client profile, people and response-time SLA.",
        "c_proj": "The project: every other *.yaml file in this folder adds sections.",
        "c_tasks": "The work breakdown: durations in working days, depends = predecessors.",
        "c_risks": "Risk register: score = probability x impact (1-25).",
    },
    "zh": {
        "company": "示例咨询有限公司",
        "account_name": "示例客户有限公司",
        "am": "客户经理", "pm": "项目经理", "sponsor_title": "首席信息官",
        "am_name": "王芳", "pm_name": "李伟", "sponsor_name": "张三",
        "project_name": "首个交付项目",
        "t_kickoff": "项目启动会", "t_design": "方案设计", "t_workshops": "需求调研",
        "t_spec": "功能规格说明书", "t_build": "开发与配置", "t_uat": "用户验收测试",
        "t_golive": "上线",
        "risk": "关键用户无法参加需求调研",
        "comms": "项目周报",
        "c_ws": "工作区设置：规则选择与阈值、报告默认值、默认日历。",
        "c_acc": "大客户：客户概况、干系人和响应时限 (SLA)。",
        "c_proj": "项目：本目录下其他 *.yaml 文件补充各个部分。",
        "c_tasks": "工作分解结构：工期为工作日，depends 为前置任务。",
        "c_risks": "风险登记册：分值 = 概率 × 影响 (1-25)。",
    },
}


def _files(account: str, project: str, lang: str, start: str) -> dict[str, str]:
    t = TEXT[lang]
    acc = f"accounts/{account}"
    prj = f"{acc}/{project}"

    def head(path: str, comment: str) -> str:
        depth = path.count("/")
        schema = "../" * depth + SCHEMA_FILE
        return f"# yaml-language-server: $schema={schema}\n# {comment}\nkapm: 1\n"

    return {
        "kapm.yaml": head("kapm.yaml", t["c_ws"]) + f"""calendar: {{country: CN}}
rules:
  select: [ALL]
  ignore: []
  settings: {{risk_review_days: 30, high_risk_score: 10}}
report:
  lang: {lang}
  company: {t['company']}
""",
        f"{acc}/account.yaml": head(f"{acc}/account.yaml", t["c_acc"]) + f"""account:
  id: {account}
  name: {t['account_name']}
  tier: key
  owner: am
  sla:
    urgent: {{respond: 2h, resolve: 1d}}
    high: {{respond: 4h, resolve: 3d}}
    normal: {{respond: 1d, resolve: 10d}}
    low: {{respond: 3d, resolve: 30d}}
team:
  - {{id: am, name: {t['am_name']}, role: {t['am']}}}
contacts:
  - {{id: sponsor, name: {t['sponsor_name']}, title: {t['sponsor_title']}, role: sponsor, influence: high, interest: high}}
""",
        f"{prj}/project.yaml": head(f"{prj}/project.yaml", t["c_proj"]) + f"""project:
  id: {project}
  name: {t['project_name']}
  manager: pm
  status: planned
  start: {start}
  currency: CNY
  budget: 500000
team:
  - {{id: pm, name: {t['pm_name']}, role: {t['pm']}, rate: 3000}}
comms:
  - {{id: weekly, name: {t['comms']}, cadence: weekly, audience: [sponsor], owner: pm, report: status}}
""",
        f"{prj}/tasks.yaml": head(f"{prj}/tasks.yaml", t["c_tasks"]) + f"""tasks:
  - {{id: kickoff, name: {t['t_kickoff']}, milestone: true, owner: pm}}
  - id: design
    name: {t['t_design']}
    owner: pm
    tasks:
      - {{id: workshops, name: {t['t_workshops']}, duration: 5d, depends: [kickoff], owner: pm}}
      - {{id: spec, name: {t['t_spec']}, duration: 5d, depends: [workshops], owner: pm}}
  - {{id: build, name: {t['t_build']}, duration: 15d, depends: [spec], owner: pm}}
  - {{id: uat, name: {t['t_uat']}, duration: 5d, depends: [build], owner: pm}}
  - {{id: go-live, name: {t['t_golive']}, milestone: true, depends: [uat], owner: pm}}
""",
        f"{prj}/risks.yaml": head(f"{prj}/risks.yaml", t["c_risks"]) + f"""risks:
  - id: R1
    title: {t['risk']}
    category: client
    probability: 3
    impact: 3
    strategy: mitigate
    response: Agree workshop dates with the sponsor at kick-off
    owner: pm
    raised: {start}
    reviewed: {start}
""",
    }


def register(app: typer.Typer) -> None:
    @app.command()
    def init(
        directory: Path = typer.Argument(Path("."), help="Folder to create the workspace in."),
        account: str = typer.Option("my-client", "--account", help="Id of the account to create."),
        project: str = typer.Option("first-project", "--project", help="Id of the first project."),
        lang: str = typer.Option("en", "--lang", help="Language of the example content: en or zh."),
        as_of: Optional[str] = common.AsOf,
    ) -> None:
        """Create a workspace with an account and a first project, with editor schema hints."""
        import json
        import re

        from kapm.atomic import write_atomic

        common.check_format(lang, ("en", "zh"))
        for name, value in (("--account", account), ("--project", project)):
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", value):
                raise common.fail_usage(f"{name} {value!r} is not a valid id (letters, digits, _ . -)")
        start = common.parse_as_of(as_of).isoformat()
        files = _files(account, project, lang, start)
        existing = [name for name in files if (directory / name).exists()]
        if existing:
            raise common.fail_usage("refusing to overwrite existing files: " + ", ".join(existing))
        from kapm.model import json_schema

        files[SCHEMA_FILE] = json.dumps(json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        for name, text in files.items():
            path = directory / name
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(path, text.encode("utf-8"))
            except OSError as exc:
                raise common.fail_usage(f"cannot write {path}: {exc.strerror or exc}") from None
        print(f"created {len(files)} files in {directory}; next: kapm check {directory}")
