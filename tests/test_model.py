"""The pydantic model of file format v1 (kapm.model)."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timedelta, timezone

import jsonschema
import pytest
import yaml
from pydantic import ValidationError

from kapm.model import (
    AccountFile,
    Calendar,
    Dependency,
    Deliverable,
    KapmModel,
    LogEntry,
    Payment,
    ProjectDoc,
    Request,
    Task,
    TeamMember,
    WorkspaceConfig,
    assign_paths,
    expand_days,
    iter_models,
    json_schema,
    known_fields,
    model_at,
    parse_clock_duration,
    parse_date,
    parse_date_or_range,
    parse_dependency,
    parse_duration,
    parse_lag,
    parse_timestamp,
)


# ----------------------------------------------------------------------------- helpers


class _Yaml12ishLoader(yaml.SafeLoader):
    """PyYAML without YAML 1.1 timestamps/booleans: dates stay strings, as in YAML 1.2."""


_Yaml12ishLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers
            if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.copy().items()
}
for _first in "tTfF":
    _Yaml12ishLoader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", __import__("re").compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
        list(_first),
    )


def load(text: str):
    return yaml.load(text, Loader=_Yaml12ishLoader)


def errors(model_cls, data) -> list[tuple[tuple, str, str]]:
    with pytest.raises(ValidationError) as exc_info:
        model_cls.model_validate(data)
    return [(e["loc"], e["type"], e["msg"]) for e in exc_info.value.errors()]


def one_error(model_cls, data) -> tuple[tuple, str, str]:
    errs = errors(model_cls, data)
    assert len(errs) == 1, errs
    return errs[0]


PROJECT = {"id": "p", "name": "P", "start": "2026-09-01"}


def project(**sections):
    return {"kapm": 1, "project": dict(PROJECT), **sections}


# ----------------------------------------------------------------------------- SPEC examples

ACCOUNT_YAML = """\
kapm: 1
account:
  id: acme
  name: ACME Manufacturing 有限公司
  tier: strategic            # strategic | key | growth | standard
  industry: manufacturing
  owner: wang.fang           # account manager (a person id, see team)
  since: 2021-03-01
  sla:                       # response targets for client requests, per priority
    urgent: {respond: 2h, resolve: 1d}
    high:   {respond: 4h, resolve: 3d}
    normal: {respond: 1d, resolve: 10d}
    low:    {respond: 3d, resolve: 30d}
team:                        # internal account team (same shape as project team)
  - {id: wang.fang, name: 王芳, role: Account manager, email: wang.fang@example.com}
contacts:                    # client-side stakeholders
  - id: zhang.san
    name: 张三
    title: CIO
    role: sponsor
    influence: high          # high | medium | low
    interest: high           # high | medium | low
    email: zhang.san@acme.example
    phone: "+86 21 5555 0100"
    channel: wechat
"""

PROJECT_YAML = """\
kapm: 1
project:
  id: erp-rollout
  name: ERP rollout phase 1
  account: acme              # optional when the project sits inside the account folder
  manager: li.wei            # person id
  status: active             # planned | active | on-hold | closed | cancelled
  start: 2026-09-01
  deadline: 2027-03-31       # committed finish (contract date); drives negative float
  currency: CNY
  budget: 1200000            # budget at completion (BAC) if tasks carry no costs
  baseline: v1.0             # optional default git revision used as baseline (§6)
  sla: {urgent: {respond: 1h, resolve: 1d}}   # optional: overrides the account's SLA

calendar:
  country: CN
  workweek: [mon, tue, wed, thu, fri]
  holidays: [2026-12-31, 2027-02-10..2027-02-12]
  workdays: [2026-09-27]     # extra working days (e.g. a make-up Saturday)
"""

TASKS_YAML = """\
tasks:
  - id: kickoff
    name: 项目启动会 Kick-off
    milestone: true
  - id: design
    name: Solution design
    tasks:                          # children make this a summary task
      - id: workshops
        name: Requirement workshops
        duration: 5d
        depends: [kickoff]
        owner: li.wei
        assignees: {li.wei: 50, chen.jie: 100}
      - id: spec
        name: Functional spec sign-off
        estimate: {optimistic: 4d, likely: 6d, pessimistic: 12d}
        depends: ["workshops", "FF:review+1d"]
        deliverable: D1
        progress: 40
        actual_start: 2026-09-10
  - id: go-live
    name: Go-live
    milestone: true
    depends: [uat]
    deadline: 2027-03-15
"""

SECTIONS_YAML = """\
objectives:
  - {id: O1, statement: Close the books in 3 days, metric: days to close, baseline: 8,
     target: 3, unit: days, due: 2027-06-30, owner: zhang.san, result: "< 3"}
scope:
  in: [Finance, Procurement]
  out: [HR]
  assumptions: [Client provides test data]
  constraints: [Go-live before Chinese New Year]
deliverables:
  - id: D1
    name: Functional specification
    due: 2026-10-15
    acceptance: [Signed by the CIO]
    owner: li.wei
    accepted: {date: 2026-10-20, by: zhang.san, ref: DOC-17}
  - {id: D2, name: Production system, milestone: go-live}
team:
  - {id: li.wei, name: 李伟, role: PM, email: li.wei@example.com, rate: 3000, capacity: 1,
     leaves: [2026-10-01..2026-10-07, 2026-11-11]}
  - {id: chen.jie, name: 陈杰, capacity: 0.5}
contacts:
  - {id: zhang.san, name: 张三, role: sponsor, influence: high, interest: medium,
     channel: email, phone: 13800000000}
risks:
  - id: R1
    title: Key users unavailable during year-end close
    description: Finance key users are busy in December.
    category: resource
    probability: 4
    impact: 3
    strategy: mitigate
    response: Plan workshops before December
    owner: li.wei
    status: open
    raised: 2026-09-02
    reviewed: 2026-10-01
    due: 2026-11-30
    tasks: [workshops]
    trigger: Attendance below 50 %
    contingency: Move UAT
    residual: {probability: 2, impact: 3}
comms:
  - {id: weekly, name: Weekly status, cadence: weekly, audience: [zhang.san], channel: email,
     owner: li.wei, report: status}
  - {id: steerco, name: Steering committee, cadence: milestones}
log:
  - date: 2026-09-07
    kind: meeting
    summary: Kick-off with the client
    plan: weekly
    with: [zhang.san]
    by: [li.wei]
    decisions: [Weekly status on Fridays]
    actions:
      - {id: A1, what: Send the workshop plan, owner: li.wei, due: 2026-09-09, done: 2026-09-08}
    sentiment: positive
requests:
  - {id: Q1, received: 2026-09-10T09:30, summary: Add a report, from: zhang.san,
     priority: high, channel: wechat, responded: "2026-09-10 11:00",
     resolved: 2026-09-12T17:00+08:00, change: CR1}
  - {id: Q2, received: 2026-09-11T10:00:00Z, summary: Question}
changes:
  - id: CR1
    title: Extra report
    description: A cash-flow report
    requested_by: zhang.san
    raised: 2026-09-12
    status: approved
    decided: 2026-09-15
    approved_by: zhang.san
    impact: {schedule: 3d, cost: 15000, scope: one more report}
    tasks: [spec]
    deliverables: [D1]
issues:
  - {id: I1, title: Test server down, raised: 2026-09-20, owner: li.wei, priority: urgent,
     status: resolved, resolved: 2026-09-21, resolution: Restarted, tasks: [workshops]}
quality:
  standards: [ISO 9001]
  checks:
    - {id: QC1, name: Spec review, kind: review, date: 2026-10-12, task: spec,
       deliverable: D1, result: fail, defects: 4, follow_up: I1}
costs:
  - {date: 2026-09-30, amount: 52000, task: workshops, category: labour, note: September}
  - {date: 2026-10-02, amount: 1800.5, category: travel}
contract:
  id: C-2026-01
  title: ERP rollout
  signed: 2026-08-15
  value: 1300000
  payment_terms: 30/40/30
  payments:
    - {id: P1, amount: "30%", due: 2026-09-15, invoiced: 2026-09-15, paid: 2026-10-10}
    - {id: P2, amount: 520000, milestone: go-live}
  subcontracts:
    - {id: S1, vendor: Data Migration Ltd, scope: Data migration, value: 80000,
       tasks: [workshops], due: 2026-12-01}
feedback:
  - {date: 2026-10-30, from: zhang.san, kind: survey, csat: 4, nps: 8, comment: 很好}
closure:
  date: 2027-04-15
  accepted_by: zhang.san
  checklist:
    - {item: Final invoice sent, done: true}
    - {item: Archive documents}
  lessons:
    - {what: Start data migration earlier, category: planning, recommendation: Week 1}
  summary: Delivered on time.
"""

WORKSPACE_YAML = """\
kapm: 1
calendar: {country: CN}          # default calendar for projects that set none
rules:
  select: [ALL]                  # or a list of codes / families
  ignore: [C005]
  severity: {K003: error}
  settings: {risk_review_days: 30, high_risk_score: 10, change_decision_days: 10,
             feedback_days: 90, comms_grace_days: 2, critical_float: 0}
report:
  lang: zh
  company: 示例咨询有限公司
health: {spi_green: 0.95, spi_amber: 0.85, slip_amber_days: 5}
limits: {max_file_mb: 8}
"""


def full_project() -> dict:
    data = load(PROJECT_YAML)
    data.update(load(TASKS_YAML))
    data.update(load(SECTIONS_YAML))
    return data


# ----------------------------------------------------------------------------- documents


def test_account_example():
    acc = AccountFile.model_validate(load(ACCOUNT_YAML))
    assert acc.account.tier == "strategic"
    assert acc.account.since == date(2021, 3, 1)
    assert acc.account.sla.urgent.respond == 120
    assert acc.account.sla.urgent.resolve == 24 * 60  # 1d = 24 clock hours
    assert acc.account.sla.low.resolve == 30 * 24 * 60
    assert acc.team[0].name == "王芳" and acc.team[0].capacity == 1
    assert acc.contacts[0].phone == "+86 21 5555 0100"


def test_project_example_with_every_section():
    doc = ProjectDoc.model_validate(full_project())
    assert doc.project.deadline == date(2027, 3, 31)
    assert doc.project.currency == "CNY"
    assert doc.calendar.holidays[1].start == date(2027, 2, 10)
    assert len(doc.calendar.holidays[1]) == 3
    assert expand_days(doc.calendar.holidays) == [
        date(2026, 12, 31), date(2027, 2, 10), date(2027, 2, 11), date(2027, 2, 12)]
    assert [t.id for t in doc.all_tasks()] == [
        "kickoff", "design", "workshops", "spec", "go-live"]
    design = doc.tasks[1]
    assert design.is_summary and design.planned_duration() is None
    workshops, spec = design.tasks
    assert workshops.assignees == {"li.wei": 50, "chen.jie": 100}
    assert spec.planned_duration() == 7  # (4 + 24 + 12) / 6 = 6.67 -> 7
    assert spec.depends[1] == Dependency(task="review", type="FF", lag=1)
    assert doc.tasks[0].is_milestone and doc.tasks[0].planned_duration() == 0
    assert doc.scope.in_ == ["Finance", "Procurement"]
    assert doc.log[0].with_ == ["zhang.san"]
    assert doc.log[0].actions[0].done == date(2026, 9, 8)
    assert doc.requests[0].from_ == "zhang.san"
    assert doc.requests[0].responded == datetime(2026, 9, 10, 11, 0)
    assert doc.requests[0].resolved.utcoffset() == timedelta(hours=8)
    assert doc.requests[1].priority == "normal"
    assert doc.requests[1].received.tzinfo == timezone.utc
    assert doc.risks[0].score == 12
    assert doc.changes[0].impact.schedule == 3
    assert doc.contract.payments[0].share == 30
    assert doc.contract.payments[0].money(doc.contract.value) == 390000
    assert doc.contract.payments[1].money(None) == 520000
    assert doc.contacts[0].phone == "13800000000"
    assert doc.closure.checklist[1].done is False
    assert doc.objectives[0].result == "< 3" and doc.objectives[0].target == 3
    assert doc.feedback[0].comment == "很好"


def test_defaults_of_a_minimal_project():
    doc = ProjectDoc.model_validate(project())
    assert doc.tasks == [] and doc.log == [] and doc.risks == []
    assert doc.calendar is None and doc.quality is None
    assert doc.project.status == "active"


def test_workspace_example():
    cfg = WorkspaceConfig.model_validate(load(WORKSPACE_YAML))
    assert cfg.rules.severity == {"K003": "error"}
    assert cfg.rules.settings.risk_review_days == 30
    assert cfg.report.lang == "zh"
    assert cfg.health.cpi_amber == 0.85 and cfg.health.eac_amber_ratio == 1.05
    assert cfg.limits.max_file_mb == 8
    bare = WorkspaceConfig.model_validate({"kapm": 1})
    assert bare.rules.select == ["ALL"] and bare.health.spi_green == 0.95


def test_workspace_bad_values():
    errs = errors(WorkspaceConfig, {"kapm": 1, "rules": {"severity": {"K3": "fatal"}},
                                    "report": {"lang": "fr"},
                                    "health": {"spi_gren": 1}})
    locs = {e[0] for e in errs}
    assert ("rules", "severity", "K3", "[key]") in locs
    assert ("rules", "severity", "K3") in locs
    assert ("report", "lang") in locs
    assert ("health", "spi_gren") in locs


def test_models_are_frozen():
    doc = ProjectDoc.model_validate(project())
    with pytest.raises(ValidationError):
        doc.project.name = "other"  # type: ignore[misc]


# ----------------------------------------------------------------------------- errors


def test_unknown_key_is_rejected_with_a_clean_loc():
    data = full_project()
    data["tasks"][1]["tasks"][0]["duraton"] = "5d"
    assert one_error(ProjectDoc, data)[:2] == (("tasks", 1, "tasks", 0, "duraton"),
                                               "extra_forbidden")


def test_unknown_top_level_section():
    assert one_error(ProjectDoc, project(task=[]))[:2] == (("task",), "extra_forbidden")


def test_missing_required_field():
    loc, kind, _ = one_error(ProjectDoc, project(risks=[{"id": "R1", "title": "t",
                                                         "probability": 3}]))
    assert (loc, kind) == (("risks", 0, "impact"), "missing")


def test_locs_are_plain_paths_everywhere():
    data = full_project()
    spec = data["tasks"][1]["tasks"][1]
    spec["depends"] = ["workshops", "SS:", {"task": "x", "type": "XX", "lag": "1x"}]
    spec["assignees"] = ["li.wei", "a b"]
    data["log"][0]["actions"][0]["due"] = "2026-13-01"
    data["log"][0]["with"] = ["ok", "not ok"]
    data["contract"]["payments"][0]["amount"] = "130%"
    data["calendar"]["holidays"].append("2027-02-12..2027-02-10")
    data["quality"]["checks"][0]["result"] = "passed"
    locs = {e[0]: e for e in errors(ProjectDoc, data)}
    assert set(locs) == {
        ("tasks", 1, "tasks", 1, "depends", 1),
        ("tasks", 1, "tasks", 1, "depends", 2, "type"),
        ("tasks", 1, "tasks", 1, "depends", 2, "lag"),
        ("tasks", 1, "tasks", 1, "assignees"),
        ("log", 0, "actions", 0, "due"),
        ("log", 0, "with", 1),
        ("contract", "payments", 0, "amount"),
        ("calendar", "holidays", 2),
        ("quality", "checks", 0, "result"),
    }
    for loc in locs:
        assert all(isinstance(step, (str, int)) for step in loc)
    assert "'FS', 'SS', 'FF' or 'SF'" in locs[("tasks", 1, "tasks", 1, "depends", 2, "type")][2]
    assert "'pass', 'fail' or 'conditional'" in locs[("quality", "checks", 0, "result")][2]


def test_syntax_errors_have_plain_messages_without_prefix():
    loc, kind, msg = one_error(LogEntry, {"date": "2026-02-30", "kind": "call",
                                          "summary": "s"})
    assert (loc, kind, msg) == (("date",), "kapm_value", "2026-02-30 is not a real date")
    _, kind, msg = one_error(Task, {"id": "a", "name": "A", "duration": "5x"})
    assert kind == "kapm_value"
    assert msg == "'5x' is not a duration; write working days like 5d, 2w or 0d"


def test_number_fields_refuse_booleans_and_text():
    assert one_error(Task, {"id": "a", "name": "A", "cost": True})[2] == (
        "expected an amount of money, got true")
    assert "not a number" in one_error(Task, {"id": "a", "name": "A", "cost": "1_000"})[2]
    assert "out of range" in one_error(Task, {"id": "a", "name": "A", "progress": 101})[2]
    risk = {"id": "R", "title": "t", "probability": 6, "impact": 2.5}
    msgs = errors(ProjectDoc, project(risks=[risk]))
    assert [m[0] for m in msgs] == [("risks", 0, "probability"), ("risks", 0, "impact")]
    assert "from 1 to 5" in msgs[0][2] and "from 1 to 5" in msgs[1][2]
    loc, _, msg = one_error(ProjectDoc, project(feedback=[{"date": "2026-01-01", "nps": 11}]))
    assert loc == ("feedback", 0, "nps") and "from 0 to 10" in msg


def test_milestone_flag_is_a_real_boolean():
    assert one_error(Task, {"id": "a", "name": "A", "milestone": "yes"})[2] == (
        "expected true or false, got 'yes'")


# ----------------------------------------------------------------------------- mini-syntaxes


@pytest.mark.parametrize("value, expected", [
    ("2026-09-01", date(2026, 9, 1)),
    (date(2026, 9, 1), date(2026, 9, 1)),
    (" 2024-02-29 ", date(2024, 2, 29)),
])
def test_date_valid(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize("value, message", [
    ("2026-02-30", "2026-02-30 is not a real date"),
    ("2025-02-29", "2025-02-29 is not a real date"),
    ("2026-9-1", "'2026-9-1' is not a date; write it as YYYY-MM-DD, like 2026-09-01"),
    ("01.09.2026", "'01.09.2026' is not a date; write it as YYYY-MM-DD, like 2026-09-01"),
    ("2026-09-01T10:00", "2026-09-01T10:00 is a timestamp; write a date like 2026-09-01"),
    (20260901, "expected a date like 2026-09-01, got 20260901"),
    (None, "expected a date like 2026-09-01, got an empty value"),
    (datetime(2026, 9, 1, 10), "2026-09-01 10:00:00 is a timestamp; write a date like 2026-09-01"),
])
def test_date_invalid(value, message):
    with pytest.raises(ValueError) as exc_info:
        parse_date(value)
    assert str(exc_info.value) == message


@pytest.mark.parametrize("value, expected", [
    ("2026-09-01T09:30", datetime(2026, 9, 1, 9, 30)),
    ("2026-09-01 09:30", datetime(2026, 9, 1, 9, 30)),
    ("2026-09-01T09:30:15", datetime(2026, 9, 1, 9, 30, 15)),
    ("2026-09-01T09:30Z", datetime(2026, 9, 1, 9, 30, tzinfo=timezone.utc)),
    ("2026-09-01T09:30+08:00",
     datetime(2026, 9, 1, 9, 30, tzinfo=timezone(timedelta(hours=8)))),
    ("2026-09-01T09:30-05:30",
     datetime(2026, 9, 1, 9, 30, tzinfo=timezone(-timedelta(hours=5, minutes=30)))),
    (datetime(2026, 9, 1, 9, 30), datetime(2026, 9, 1, 9, 30)),
])
def test_timestamp_valid(value, expected):
    assert parse_timestamp(value) == expected


@pytest.mark.parametrize("value, fragment", [
    ("2026-09-01", "has no time"),
    ("2026-02-30T10:00", "2026-02-30 is not a real date"),
    ("2026-09-01T24:00", "not a real time of day"),
    ("2026-09-01T9:30", "is not a timestamp"),
    ("yesterday", "is not a timestamp"),
    (date(2026, 9, 1), "has no time"),
])
def test_timestamp_invalid(value, fragment):
    with pytest.raises(ValueError, match=fragment):
        parse_timestamp(value)


def test_date_or_range():
    r = parse_date_or_range("2027-02-10..2027-02-12")
    assert (r.start, r.end, len(r)) == (date(2027, 2, 10), date(2027, 2, 12), 3)
    assert list(r.days()) == [date(2027, 2, 10), date(2027, 2, 11), date(2027, 2, 12)]
    assert date(2027, 2, 11) in r and date(2027, 2, 13) not in r
    assert str(r) == "2027-02-10..2027-02-12"
    single = parse_date_or_range("2026-12-31")
    assert single.start == single.end and str(single) == "2026-12-31"
    assert parse_date_or_range(date(2026, 1, 1)).end == date(2026, 1, 1)
    assert len(parse_date_or_range("2026-01-01..2026-01-01")) == 1
    with pytest.raises(ValueError, match="ends before it starts"):
        parse_date_or_range("2027-02-12..2027-02-10")
    with pytest.raises(ValueError, match="2027-02-30 is not a real date"):
        parse_date_or_range("2027-02-10..2027-02-30")


def test_team_leaves_round_trip_through_json():
    member = TeamMember.model_validate({"id": "a", "name": "A",
                                        "leaves": ["2026-10-01..2026-10-07", "2026-11-11"]})
    dumped = member.model_dump(mode="json")
    assert dumped["leaves"] == ["2026-10-01..2026-10-07", "2026-11-11"]
    assert TeamMember.model_validate(dumped) == member


@pytest.mark.parametrize("value, days", [
    ("5d", 5), ("2w", 10), ("0d", 0), (0, 0), (7, 7), ("3", 3), ("1W", 5), (" 4 d ", 4),
    (3.0, 3),
])
def test_duration_valid(value, days):
    assert parse_duration(value) == days


@pytest.mark.parametrize("value, message", [
    ("5x", "'5x' is not a duration; write working days like 5d, 2w or 0d"),
    ("-1d", "'-1d' is negative; durations cannot be negative"),
    (-2, "-2 is negative; durations cannot be negative"),
    (2.5, "2.5 is not a whole number; durations are whole working days"),
    ("2.5d", "'2.5d' is not a duration; write working days like 5d, 2w or 0d"),
    (True, "expected a duration like 5d, 2w or 0d, got true"),
    ("4h", "'4h' is not a duration; write working days like 5d, 2w or 0d"),
])
def test_duration_invalid(value, message):
    with pytest.raises(ValueError) as exc_info:
        parse_duration(value)
    assert str(exc_info.value) == message


@pytest.mark.parametrize("value, days", [("-1d", -1), ("+2d", 2), ("1w", 5), (-3, -3)])
def test_lag(value, days):
    assert parse_lag(value) == days


@pytest.mark.parametrize("value, minutes", [
    ("4h", 240), ("30m", 30), ("1d", 1440), ("1h30m", 90), ("1w", 7 * 1440), ("2H", 120),
])
def test_clock_duration_valid(value, minutes):
    assert parse_clock_duration(value) == minutes


@pytest.mark.parametrize("value, fragment", [
    (4, "has no unit"), ("4x", "not a clock duration"), ("", "not a clock duration"),
    ("h", "not a clock duration"), (None, "expected a clock duration"),
])
def test_clock_duration_invalid(value, fragment):
    with pytest.raises(ValueError, match=fragment):
        parse_clock_duration(value)


@pytest.mark.parametrize("value", ["weekly", "biweekly", "monthly", "quarterly", "milestones"])
def test_cadence_valid(value):
    doc = ProjectDoc.model_validate(project(comms=[{"id": "c", "name": "C", "cadence": value}]))
    assert doc.comms[0].cadence == value


def test_cadence_invalid_lists_allowed_values():
    loc, kind, msg = one_error(ProjectDoc, project(comms=[{"id": "c", "name": "C",
                                                           "cadence": "daily"}]))
    assert loc == ("comms", 0, "cadence") and kind == "literal_error"
    assert "'weekly', 'biweekly', 'monthly', 'quarterly' or 'milestones'" in msg


def test_request_priority_defaults_to_normal_and_is_checked():
    req = {"id": "r", "received": "2026-09-01T10:00", "summary": "s"}
    assert Request.model_validate(req).priority == "normal"
    assert one_error(Request, {**req, "priority": "critical"})[0] == ("priority",)


@pytest.mark.parametrize("value, expected", [
    ("30%", "30%"), ("12.5 %", "12.5%"), (360000, 360000), (0.5, 0.5),
])
def test_payment_amount_valid(value, expected):
    assert Payment.model_validate({"id": "p", "amount": value}).amount == expected


@pytest.mark.parametrize("value", ["30", "130%", "0%", -5, True, "thirty"])
def test_payment_amount_invalid(value):
    assert one_error(Payment, {"id": "p", "amount": value})[:2] == (("amount",), "kapm_value")


@pytest.mark.parametrize("value, ok", [
    ("li.wei", True), ("go-live", True), ("D1", True), ("7", True), (7, True),
    ("a_b.c-d", True), ("-a", False), ("a b", False), ("任务", False), ("", False),
    (1.5, False), (True, False), ("a:b", False),
])
def test_ids(value, ok):
    data = {"id": value, "name": "D"}
    if ok:
        assert Deliverable.model_validate(data).id == str(value)
    else:
        loc, kind, msg = one_error(Deliverable, data)
        assert (loc, kind) == (("id",), "kapm_value")
        assert msg


def test_bad_id_message():
    _, _, msg = one_error(Deliverable, {"id": "my task", "name": "D"})
    assert msg == ("'my task' is not a valid id; ids start with an ASCII letter or digit "
                   "and contain only ASCII letters, digits, '_', '.' and '-'")
    _, _, msg = one_error(Deliverable, {"id": 1.5, "name": "D"})
    assert msg == '1.5 is read as a number, not an id; put it in quotes, like "1.5"'


def test_assignees_forms():
    def assignees(value):
        return Task.model_validate({"id": "t", "name": "T", "assignees": value}).assignees

    assert assignees(["li.wei", "chen.jie"]) == {"li.wei": 100, "chen.jie": 100}
    assert assignees({"li.wei": 50, "chen.jie": "25%"}) == {"li.wei": 50, "chen.jie": 25}
    assert assignees({}) == {}
    for bad in ({"li.wei": 0}, {"li.wei": 150}, {"li.wei": "half"}, ["a", "a"], "li.wei",
                {"a b": 50}):
        loc, kind, _ = one_error(Task, {"id": "t", "name": "T", "assignees": bad})
        assert (loc, kind) == (("assignees",), "kapm_value")


# ----------------------------------------------------------------------------- depends


@pytest.mark.parametrize("raw, task, dep_type, lag, alt", [
    ("design", "design", "FS", 0, None),
    ("design+2d", "design", "FS", 2, None),
    ("design-1d", "design-1d", "FS", 0, ("design", -1)),
    ("design+1w", "design", "FS", 5, None),
    ("SS:a+1d", "a", "SS", 1, None),
    ("SS:design", "design", "SS", 0, None),
    ("FF:review+1d", "review", "FF", 1, None),
    ("SF:design", "design", "SF", 0, None),
    ("go-live", "go-live", "FS", 0, None),
    ("phase-2d", "phase-2d", "FS", 0, ("phase", -2)),
    ("FF:phase-1w", "phase-1w", "FF", 0, ("phase", -5)),
    ("go-live+3d", "go-live", "FS", 3, None),
    ("go-live-3d", "go-live-3d", "FS", 0, ("go-live", -3)),
    ("ss:a", "a", "SS", 0, None),
    ("a + 2d", "a", "FS", 2, None),
    (7, "7", "FS", 0, None),
])
def test_depends_short_form(raw, task, dep_type, lag, alt):
    task_model = Task.model_validate({"id": "t", "name": "T", "depends": [raw]})
    dep = task_model.depends[0]
    assert (dep.task, dep.type, dep.lag, dep.alt) == (task, dep_type, lag, alt)
    assert dep.raw == (raw if isinstance(raw, str) else str(raw))


def test_depends_resolve_picks_the_reading_that_names_a_task():
    dep = Task.model_validate({"id": "t", "name": "T", "depends": ["phase-2d"]}).depends[0]
    assert dep.resolve({"phase-2d", "phase"}).task == "phase-2d"
    picked = dep.resolve({"phase", "other"})
    assert (picked.task, picked.lag, picked.raw) == ("phase", -2, "phase-2d")
    assert dep.resolve({"other"}) is dep


def test_depends_long_form():
    deps = Task.model_validate({"id": "t", "name": "T", "depends": [
        {"task": "design", "type": "SS", "lag": "2d"},
        {"task": "go-live"},
        {"task": "x", "lag": -1},
    ]}).depends
    assert [(d.task, d.type, d.lag, d.alt) for d in deps] == [
        ("design", "SS", 2, None), ("go-live", "FS", 0, None), ("x", "FS", -1, None)]
    assert deps[0].raw == "SS:design+2d"


def test_depends_single_item_without_list():
    deps = Task.model_validate({"id": "t", "name": "T", "depends": "SS:a"}).depends
    assert [(d.task, d.type) for d in deps] == [("a", "SS")]


@pytest.mark.parametrize("raw, fragment", [
    ("a+2", "a lag needs a unit"),
    ("XX:a", "'XX' in 'XX:a' is not a dependency type"),
    ("SS:", "names no task"),
    ("a b", "is not a dependency"),
    ("a+2h", "is not a dependency"),
])
def test_depends_short_form_invalid(raw, fragment):
    loc, kind, msg = one_error(Task, {"id": "t", "name": "T", "depends": ["ok", raw]})
    assert (loc, kind) == (("depends", 1), "kapm_value")
    assert fragment in msg


def test_depends_long_form_invalid_keeps_field_locs():
    errs = errors(Task, {"id": "t", "name": "T", "depends": [
        {"task": "a", "tpye": "SS"}, {"type": "SS"}, {"task": "a b", "lag": "soon"}, [1]]})
    assert [(e[0], e[1]) for e in errs] == [
        (("depends", 0, "tpye"), "extra_forbidden"),
        (("depends", 1, "task"), "missing"),
        (("depends", 2, "task"), "kapm_value"),
        (("depends", 2, "lag"), "kapm_value"),
        (("depends", 3), "kapm_value"),
    ]


def test_depends_parser_direct():
    assert parse_dependency("FF:review+1d") == ("review", "FF", 1, None)


# ----------------------------------------------------------------------------- tasks


def test_planned_duration():
    def task(**kw):
        return Task.model_validate({"id": "t", "name": "T", **kw})

    assert task(duration="3d").planned_duration() == 3
    assert task(estimate={"optimistic": 1, "likely": 2, "pessimistic": 6}).planned_duration() == 3
    # (1 + 8 + 4) / 6 = 2.1666 -> 2; (2 + 8 + 5) / 6 = 2.5 -> 3 (half up)
    assert task(estimate={"optimistic": 1, "likely": 2, "pessimistic": 4}).planned_duration() == 2
    assert task(estimate={"optimistic": 2, "likely": 2, "pessimistic": 5}).planned_duration() == 3
    assert task(milestone=True).planned_duration() == 0
    assert task(milestone=True).is_milestone
    assert task(duration="0d").is_milestone
    assert not task(duration="1d").is_milestone
    assert task().planned_duration() is None
    assert task(duration="2d", estimate={"optimistic": 9, "likely": 9,
                                         "pessimistic": 9}).planned_duration() == 2
    summary = task(tasks=[{"id": "c", "name": "C", "duration": 1}])
    assert summary.is_summary and not summary.is_milestone
    assert [t.id for t in summary.leaves()] == ["c"]


def test_accountable_people():
    t = Task.model_validate({"id": "t", "name": "T", "owner": "li.wei",
                             "raci": {"accountable": "li.wei", "responsible": ["a", "b"],
                                      "informed": "c"}})
    assert t.accountable() == ["li.wei"]
    assert t.raci.informed == ["c"]
    t2 = Task.model_validate({"id": "t", "name": "T", "raci": {"accountable": ["x", "y"]}})
    assert t2.accountable() == ["x", "y"]
    assert Task.model_validate({"id": "t", "name": "T"}).accountable() == []


# ----------------------------------------------------------------------------- paths


def test_assign_paths_on_nested_tasks_and_sections():
    doc = ProjectDoc.model_validate(full_project())
    assert doc.tasks[1].tasks[1].path == ()
    assign_paths(doc)
    assert doc.path == ()
    assert doc.tasks[1].path == ("tasks", 1)
    spec = doc.tasks[1].tasks[1]
    assert spec.path == ("tasks", 1, "tasks", 1)
    assert spec.estimate.path == ("tasks", 1, "tasks", 1, "estimate")
    assert spec.depends[1].path == ("tasks", 1, "tasks", 1, "depends", 1)
    assert doc.log[0].actions[0].path == ("log", 0, "actions", 0)
    assert doc.project.path == ("project",)
    assert doc.project.sla.urgent.path == ("project", "sla", "urgent")
    assert doc.contract.payments[1].path == ("contract", "payments", 1)
    assert doc.quality.checks[0].path == ("quality", "checks", 0)
    assert doc.closure.lessons[0].path == ("closure", "lessons", 0)
    # paths use YAML keys, and every model object got one
    assert all(m.path == p for p, m in iter_models(doc))


def test_assign_paths_account_and_equality_ignores_paths():
    acc = AccountFile.model_validate(load(ACCOUNT_YAML))
    assign_paths(acc)
    assert acc.contacts[0].path == ("contacts", 0)
    assert acc.account.sla.low.path == ("account", "sla", "low")
    other = AccountFile.model_validate(load(ACCOUNT_YAML))
    assert other == acc  # same content, other paths


def test_private_path_can_be_set_on_frozen_models():
    t = Task.model_validate({"id": "t", "name": "T"})
    t._path = ("tasks", 0)
    assert t.path == ("tasks", 0)
    with pytest.raises(ValidationError):
        t.name = "x"  # type: ignore[misc]


# ----------------------------------------------------------------------------- did-you-mean


def test_known_fields_and_model_at():
    assert known_fields(LogEntry)[:5] == ["date", "kind", "summary", "plan", "with"]
    assert "with_" not in known_fields(LogEntry)
    assert known_fields(Dependency) == ["task", "type", "lag"]
    assert "duration" in known_fields(model_at(ProjectDoc, ("tasks", 3, "tasks", 1)))
    assert model_at(ProjectDoc, ("tasks", 0, "depends", 2)) is Dependency
    assert model_at(ProjectDoc, ("project", "sla", "urgent")).__name__ == "SlaTarget"
    assert model_at(ProjectDoc, ("log", 0, "with")) is None
    assert model_at(ProjectDoc, ("nope",)) is None
    assert model_at(ProjectDoc, ()) is ProjectDoc
    assert model_at(WorkspaceConfig, ("rules", "settings")).__name__ == "RuleSettings"
    assert model_at(AccountFile, ("account",)).__name__ == "Account"


def test_every_model_forbids_extra_keys_and_is_frozen():
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    for cls in subclasses(KapmModel):
        assert cls.model_config["extra"] == "forbid", cls
        assert cls.model_config["frozen"] is True, cls


# ----------------------------------------------------------------------------- JSON Schema


@pytest.fixture(scope="module")
def schema():
    return json_schema()


def test_json_schema_is_a_valid_schema(schema):
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.Draft202012Validator.check_schema(schema)
    props = schema["properties"]
    assert {"kapm", "account", "project", "tasks", "log", "rules", "health", "limits"} <= set(props)
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["kapm"]


@pytest.mark.parametrize("text", [ACCOUNT_YAML, PROJECT_YAML, "kapm: 1\n" + TASKS_YAML,
                                  "kapm: 1\n" + SECTIONS_YAML, WORKSPACE_YAML])
def test_json_schema_accepts_spec_examples(schema, text):
    jsonschema.Draft7Validator(schema).validate(load(text))
    jsonschema.Draft202012Validator(schema).validate(load(text))


@pytest.mark.parametrize("patch", [
    {"tasks": [{"id": "a", "name": "A", "duraton": "5d"}]},
    {"tasks": [{"id": "a", "name": "A", "duration": "5x"}]},
    {"tasks": [{"id": "a b", "name": "A"}]},
    {"tasks": [{"id": "a", "name": "A", "depends": ["a+2"]}]},
    {"log": [{"date": "2026/01/01", "kind": "call", "summary": "s"}]},
    {"log": [{"date": "2026-01-01", "kind": "fax", "summary": "s"}]},
    {"requests": [{"id": "r", "received": "2026-01-01", "summary": "s"}]},
    {"risks": [{"id": "r", "title": "t", "probability": 6, "impact": 1}]},
    {"kapm": 2},
    {"unknown": 1},
])
def test_json_schema_rejects_obvious_mistakes(schema, patch):
    data = {"kapm": 1, **patch}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schema).validate(data)


def test_mini_syntax_fields_are_described_as_strings(schema):
    defs = schema["$defs"]
    task = defs["Task"]["properties"]
    assert any(alt.get("pattern") for alt in task["duration"]["anyOf"][0]["anyOf"])
    assert task["not_before"]["anyOf"][0]["type"] == "string"
    assert "pattern" in task["not_before"]["anyOf"][0]
    dep = defs["Dependency"]
    assert {"string", "object"} <= {alt.get("type") for alt in dep["anyOf"]}


# ----------------------------------------------------------------------------- import cost


def test_import_loads_nothing_heavy():
    code = ("import sys, kapm.model; heavy = {'networkx', 'jinja2', 'rich', 'holidays', "
            "'yaml', 'ruamel', 'typer'}; print(sorted(heavy & {m.split('.')[0] "
            "for m in sys.modules}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_json_schema_is_json_serialisable(schema):
    import json

    assert json.loads(json.dumps(schema, ensure_ascii=False)) == schema


# ----------------------------------------------------------------------------- small helpers


def test_project_sla_overrides_account_sla_per_priority():
    acc = AccountFile.model_validate(load(ACCOUNT_YAML))
    doc = ProjectDoc.model_validate(load(PROJECT_YAML))
    sla = acc.account.sla.merged(doc.project.sla)
    assert sla.target("urgent").respond == 60
    assert sla.target("high").respond == 240
    assert acc.account.sla.merged(None) is acc.account.sla


def test_calendar_defaults_and_weekday_names():
    assert Calendar.model_validate({}).workweek == ["mon", "tue", "wed", "thu", "fri"]
    loc, kind, _ = one_error(Calendar, {"workweek": ["mon", "Tuesday"]})
    assert (loc, kind) == (("workweek", 1), "literal_error")


def test_dependency_equality_and_text():
    a = Dependency.model_validate("SS:a+2d")
    assert a == Dependency(task="a", type="SS", lag=2)
    assert str(Dependency(task="a", lag=-1)) == "a-1d"
    assert Dependency.model_validate({"task": "a"}).raw == "a"


def test_bounds_on_day_counts():
    with pytest.raises(ValueError, match="more than 10000 working days"):
        parse_duration("10001d")
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("9" * 5000 + "d")
    with pytest.raises(ValueError, match="spans more than 10 years"):
        parse_date_or_range("2000-01-01..2026-01-01")
    loc, kind, msg = one_error(Task, {"id": "t", "name": "T", "depends": ["a+20001d"]})
    assert loc == ("depends", 0) and "more than 10000" in msg
    dep = Task.model_validate({"id": "t", "name": "T", "depends": ["a-20001d"]}).depends[0]
    assert (dep.task, dep.alt) == ("a-20001d", None)


# ----------------------------------------------------------------------------- fuzz

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(["5d", "2w", "-1d", "2026-02-30", "2026-09-01", "2026-09-01T10:00",
                     "2026-01-01..2025-01-01", "30%", "SS:a+1d", "phase-2d", "4h", "a b"]),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8,
)


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, path + (i,))


_FULL = full_project()
_ALL_PATHS = [p for p in _paths(_FULL) if p]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(where=st.sampled_from(_ALL_PATHS), value=_values)
def test_fuzz_validation_raises_only_validation_errors(where, value):
    import copy

    data = copy.deepcopy(_FULL)
    node = data
    for step in where[:-1]:
        node = node[step]
    node[where[-1]] = value
    try:
        doc = ProjectDoc.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            assert all(isinstance(step, (str, int)) for step in err["loc"])
            assert err["type"] != "value_error", err  # our parsers raise kapm_value
        return
    assign_paths(doc)
    doc.model_dump(mode="json")


def test_short_form_dependency_equals_validated_long_form():
    """The fast construction of short-form depends items gives the same object as validation."""
    from kapm.model import Dependency

    for text, long in [("a", {"task": "a"}), ("SS:a+2d", {"task": "a", "type": "SS", "lag": 2}),
                       ("FF:go-live-1w", {"task": "go-live-1w", "type": "FF", "lag": 0}),
                       ("SF:x", {"task": "x", "type": "SF"})]:
        short = Dependency.model_validate(text)
        full = Dependency.model_validate(long)
        assert short == full and short.model_dump() == full.model_dump()
        assert short.__pydantic_fields_set__ == {"task", "type", "lag"}
        assert short.raw == text and short.path == ()
        assert short.model_copy().task == short.task
        with pytest.raises(ValidationError):
            short.task = "other"  # still frozen
