"""The file format v1 as pydantic models (SPEC §2, §7.4).

Three documents: :class:`AccountFile` (``account.yaml``), :class:`ProjectDoc` (all files
of a project folder merged into one document) and :class:`WorkspaceConfig`
(``kapm.yaml``). Field names are the YAML keys; the Python keywords ``with``, ``from``
and ``in`` are the attributes ``with_``, ``from_`` and ``in_``.

The models check shape and value syntax only (S001-S003). Cross-references (R...),
plan rules (a leaf needs a duration, a summary has none: S003/P003 elsewhere) and
everything else are rules over the validated document.

Annotations are evaluated when the classes are created (no ``from __future__ import
annotations``): pydantic then need not compile and evaluate hundreds of annotation
strings at every start-up (measured: importing the models 4–8 ms faster).  Names not
defined yet are quoted.
"""

from functools import partial
from typing import TYPE_CHECKING, Any, Iterator, Literal

from pydantic import Field, model_validator

from .base import KapmModel

if TYPE_CHECKING:  # annotations of helper methods only (fields named `date` exist)
    from datetime import date
from .syntax import (
    DEPENDENCY_TYPES,
    Assignees,
    ClockDuration,
    Count,
    DayCount,
    Currency,
    Date,
    DateOrRange,
    Duration,
    Flag,
    Fraction,
    Id,
    IdOrIds,
    Lag,
    Money,
    Nps,
    PaymentAmount,
    Percent,
    PositiveNumber,
    Quantity,
    RuleCode,
    RuleSelector,
    Score,
    SignedMoney,
    SyntaxProblem,
    Timestamp,
    parse_dependency,
)

__all__ = [
    "SlaTarget",
    "Sla",
    "TeamMember",
    "Contact",
    "Account",
    "Calendar",
    "Project",
    "Objective",
    "Scope",
    "Acceptance",
    "Deliverable",
    "Estimate",
    "Dependency",
    "Raci",
    "Task",
    "Residual",
    "Risk",
    "CommsItem",
    "ActionItem",
    "LogEntry",
    "Request",
    "ChangeImpact",
    "Change",
    "Issue",
    "QualityCheck",
    "Quality",
    "CostEntry",
    "Payment",
    "Subcontract",
    "Contract",
    "Feedback",
    "ChecklistItem",
    "Lesson",
    "Closure",
    "AccountFile",
    "ProjectDoc",
    "RuleSettings",
    "RulesConfig",
    "ReportConfig",
    "HealthThresholds",
    "Limits",
    "WorkspaceConfig",
    "Tier",
    "ContactRole",
    "Level",
    "Channel",
    "ProjectStatus",
    "Weekday",
    "RiskCategory",
    "RiskStrategy",
    "RiskStatus",
    "Cadence",
    "LogKind",
    "Sentiment",
    "Priority",
    "ChangeStatus",
    "IssueStatus",
    "CheckKind",
    "CheckResult",
    "CostCategory",
    "FeedbackKind",
    "DependencyType",
    "Severity",
    "Lang",
    "PRIORITIES",
    "LIST_SECTIONS",
    "MAP_SECTIONS",
]

# --------------------------------------------------------------------------- enumerations

Tier = Literal["strategic", "key", "growth", "standard"]
ContactRole = Literal["sponsor", "decision-maker", "key-user", "influencer", "procurement",
                      "other"]
Level = Literal["high", "medium", "low"]
Channel = Literal["email", "phone", "wechat", "meeting", "chat", "other"]
ProjectStatus = Literal["planned", "active", "on-hold", "closed", "cancelled"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
RiskCategory = Literal["technical", "schedule", "cost", "scope", "quality", "resource",
                       "commercial", "client", "legal", "external", "other"]
RiskStrategy = Literal["avoid", "mitigate", "transfer", "accept", "escalate"]
RiskStatus = Literal["open", "closed", "occurred"]
Cadence = Literal["weekly", "biweekly", "monthly", "quarterly", "milestones"]
LogKind = Literal["meeting", "call", "email", "report", "workshop", "visit", "chat"]
Sentiment = Literal["positive", "neutral", "negative"]
Priority = Literal["urgent", "high", "normal", "low"]
ChangeStatus = Literal["proposed", "assessing", "approved", "rejected", "implemented",
                       "withdrawn"]
IssueStatus = Literal["open", "resolved", "closed"]
CheckKind = Literal["review", "test", "audit", "inspection", "acceptance"]
CheckResult = Literal["pass", "fail", "conditional"]
CostCategory = Literal["labour", "material", "travel", "subcontract", "other"]
FeedbackKind = Literal["survey", "interview", "meeting", "informal"]
DependencyType = Literal["FS", "SS", "FF", "SF"]
Severity = Literal["error", "warning", "info"]
Lang = Literal["en", "zh"]

PRIORITIES: tuple[str, ...] = ("urgent", "high", "normal", "low")


def _list(**kw: Any) -> Any:
    return Field(default_factory=list, **kw)


# Default factories are module-level functions, not lambdas, so the built validator
# can be stored by kapm.model.cache.
def _monday_to_friday() -> list[str]:
    return ["mon", "tue", "wed", "thu", "fri"]


def _all_rules() -> list[str]:
    return ["ALL"]


def _defaults(cls: type) -> Any:
    """A section left out: its defaults, built without the class's own validator
    (``Field(default_factory=Section)`` would build a validator for each such class on
    every run)."""
    return partial(cls.model_construct)


# --------------------------------------------------------------------------- people, SLA


class SlaTarget(KapmModel):
    """Response targets for one priority, in clock minutes (``1d`` = 24 hours)."""

    respond: ClockDuration | None = None
    resolve: ClockDuration | None = None


class Sla(KapmModel):
    urgent: SlaTarget | None = None
    high: SlaTarget | None = None
    normal: SlaTarget | None = None
    low: SlaTarget | None = None

    def target(self, priority: str) -> SlaTarget | None:
        return getattr(self, priority, None)

    def merged(self, override: "Sla | None") -> "Sla":
        """This SLA with the priorities that ``override`` defines replaced (a project's
        SLA overrides its account's per priority)."""
        if override is None:
            return self
        values = {p: getattr(override, p) or getattr(self, p) for p in PRIORITIES}
        return Sla.model_construct(**values)  # validated targets: no validator to build


class TeamMember(KapmModel):
    id: Id
    name: str
    role: str | None = None
    email: str | None = None
    rate: Money | None = None
    capacity: Fraction = 1
    leaves: list[DateOrRange] = _list()


class Contact(KapmModel):
    id: Id
    name: str
    title: str | None = None
    role: ContactRole | None = None
    influence: Level | None = None
    interest: Level | None = None
    email: str | None = None
    phone: str | None = None
    channel: Channel | None = None


class Account(KapmModel):
    id: Id
    name: str
    tier: Tier | None = None
    industry: str | None = None
    owner: Id | None = None
    since: Date | None = None
    sla: Sla | None = None


class Calendar(KapmModel):
    """Working-day calendar. ``country`` selects public holidays and make-up working
    days from the ``holidays`` package; ``holidays`` and ``workdays`` add to them."""

    country: str | None = None
    workweek: list[Weekday] = Field(default_factory=_monday_to_friday)
    holidays: list[DateOrRange] = _list()
    workdays: list[DateOrRange] = _list()


# --------------------------------------------------------------------------- project


class Project(KapmModel):
    id: Id
    name: str
    account: Id | None = None
    manager: Id | None = None
    status: ProjectStatus = "active"
    start: Date
    deadline: Date | None = None
    currency: Currency | None = None
    budget: Money | None = None
    baseline: str | None = None
    sla: Sla | None = None


class Objective(KapmModel):
    id: Id
    statement: str
    metric: str | None = None
    baseline: Quantity | None = None
    target: Quantity | None = None
    unit: str | None = None
    due: Date | None = None
    owner: Id | None = None
    result: Quantity | None = None


class Scope(KapmModel):
    in_: list[str] = _list(alias="in")
    out: list[str] = _list()
    assumptions: list[str] = _list()
    constraints: list[str] = _list()


class Acceptance(KapmModel):
    date: Date
    by: Id
    ref: str | None = None


class Deliverable(KapmModel):
    id: Id
    name: str
    due: Date | None = None
    milestone: Id | None = None
    acceptance: list[str] = _list()
    owner: Id | None = None
    accepted: Acceptance | None = None


# --------------------------------------------------------------------------- tasks


class Estimate(KapmModel):
    """Three-point estimate in working days."""

    optimistic: Duration
    likely: Duration
    pessimistic: Duration

    def pert(self) -> int:
        """(o + 4m + p) / 6 working days, rounded half up to a whole day."""
        return (self.optimistic + 4 * self.likely + self.pessimistic + 3) // 6


class Dependency(KapmModel):
    """One ``depends`` item: this task depends on ``task`` with ``type`` and ``lag``.

    Written short (``"design"``, ``"design+2d"``, ``"SS:design"``, ``"FF:review-1d"``)
    or long (``{task: design, type: SS, lag: 2d}``). ``lag`` is in working days and may
    be negative (a lead).

    Ids may contain ``-``, so ``"phase-2d"`` could be the task ``phase-2d`` or the task
    ``phase`` with a lead of 2 days. The model cannot know the task ids, so it reads the
    whole item as the task (``task="phase-2d", lag=0``) and keeps the other reading in
    :attr:`alt` (``("phase", -2)``). Reference resolution calls :meth:`resolve` with the
    project's task ids, which picks ``alt`` when ``phase-2d`` is not a task but ``phase``
    is (SPEC §2.3). :attr:`raw` is the item as written (a canonical short form for the
    long form).
    """

    task: Id
    type: DependencyType = "FS"
    lag: Lag = 0

    _raw: str | None = None
    _alt: tuple[str, int] | None = None

    @model_validator(mode="wrap")
    @classmethod
    def _short_form(cls, data: Any, handler: Any) -> "Dependency":
        if type(data) is not str and isinstance(data, int) and not isinstance(data, bool):
            data = str(data)
        if isinstance(data, str):
            task, dep_type, lag, alt = parse_dependency(data)
            # parse_dependency validated every part: build the instance directly instead of
            # validating a dict again (handler) or model_construct (which deep-copies private
            # defaults); 20,000 dependencies: 0.5 s -> 0.1 s.  Equivalence is tested.
            dep = _object_new(cls)
            _object_setattr(dep, "__dict__", {"task": task, "type": dep_type, "lag": lag})
            _object_setattr(dep, "__pydantic_fields_set__", {"task", "type", "lag"})
            _object_setattr(dep, "__pydantic_extra__", None)
            _object_setattr(dep, "__pydantic_private__", {"_path": (), "_raw": data, "_alt": alt})
            return dep
        if isinstance(data, (dict, Dependency)):
            return handler(data)
        raise SyntaxProblem(
            "expected a dependency like \"design\", \"SS:design+2d\" or "
            "{task: design, type: SS, lag: 2d}"
        )

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        long_form = handler.resolve_ref_schema(handler(core_schema))
        long_form.pop("description", None)
        return {
            "anyOf": [
                {"type": "string", "pattern": _DEPENDS_PATTERN},
                {"type": "integer", "minimum": 0},
                long_form,
            ],
            "description": "a task id with an optional type and lag: design, design+2d, "
            "SS:design, FF:design-1d, or {task: design, type: SS, lag: 2d}",
        }

    @property
    def raw(self) -> str:
        return self._raw if self._raw is not None else str(self)

    @property
    def alt(self) -> tuple[str, int] | None:
        return self._alt

    def __str__(self) -> str:
        prefix = "" if self.type == "FS" else f"{self.type}:"
        lag = f"{self.lag:+d}d" if self.lag else ""
        return f"{prefix}{self.task}{lag}"

    def resolve(self, task_ids: Any) -> "Dependency":
        """This dependency with the ``-Nd`` ambiguity settled against ``task_ids``."""
        if self._alt is None or self.task in task_ids or self._alt[0] not in task_ids:
            return self
        # the parts were validated when the item was read: no validator needed
        dep = Dependency.model_construct(task=self._alt[0], type=self.type, lag=self._alt[1])
        dep._raw, dep._path = self._raw, self._path
        return dep


_DEPENDS_PATTERN = (
    r"^\s*((FS|SS|FF|SF|fs|ss|ff|sf)\s*:\s*)?[A-Za-z0-9][A-Za-z0-9_.-]*"
    r"(\s*[+-]\s*\d+\s*[dDwW])?\s*$"
)


_object_new = object.__new__
_object_setattr = object.__setattr__


def _as_list(value: Any) -> Any:
    # `depends: design` (one item without brackets) is a list of one.
    return [value] if isinstance(value, (str, dict)) else value


class Raci(KapmModel):
    """RACI roles of a task. ``accountable`` takes a person id or a list (rule A002 wants
    exactly one); the task's ``owner`` also counts as accountable, see
    :meth:`Task.accountable`."""

    responsible: IdOrIds = _list()
    accountable: IdOrIds = _list()
    consulted: IdOrIds = _list()
    informed: IdOrIds = _list()


class Task(KapmModel):
    id: Id
    name: str
    duration: Duration | None = None
    milestone: Flag = False
    estimate: Estimate | None = None
    depends: list[Dependency] = _list()
    not_before: Date | None = None
    deadline: Date | None = None
    owner: Id | None = None
    assignees: Assignees = Field(default_factory=dict)
    raci: Raci | None = None
    cost: Money | None = None
    deliverable: Id | None = None
    progress: Percent | None = None
    actual_start: Date | None = None
    actual_finish: Date | None = None
    remaining: Duration | None = None
    tags: list[str] = _list()
    notes: str | None = None
    tasks: "list[Task]" = _list()

    @model_validator(mode="before")
    @classmethod
    def _depends_scalar(cls, data: Any) -> Any:
        if type(data) is dict:
            dep = data.get("depends")
            if isinstance(dep, (str, dict)):  # a list stays as it is: no copy of the task
                data = {**data, "depends": [dep]}
        elif isinstance(data, dict) and "depends" in data:
            data = {**data, "depends": _as_list(data["depends"])}
        return data

    @property
    def is_summary(self) -> bool:
        """A task with children; its dates span its children."""
        return bool(self.tasks)

    @property
    def is_milestone(self) -> bool:
        """A leaf with ``milestone: true`` or a planned duration of 0 days."""
        return not self.is_summary and (self.milestone or self.planned_duration() == 0)

    def planned_duration(self) -> int | None:
        """Working days: 0 for ``milestone: true`` (it wins over a conflicting duration,
        which rules report), else ``duration``, else the PERT value of ``estimate``,
        else ``None`` (missing; and always ``None`` for a summary task)."""
        if self.tasks:  # is_summary, without the property call (hot in the scheduler)
            return None
        if self.milestone:
            return 0
        if self.duration is not None:
            return self.duration
        if self.estimate is not None:
            return self.estimate.pert()
        return None

    def accountable(self) -> list[str]:
        """The accountable people: ``owner`` then ``raci.accountable``, without repeats."""
        people = [self.owner] if self.owner else []
        if self.raci:
            people += [p for p in self.raci.accountable if p not in people]
        return people

    def walk(self) -> "Iterator[Task]":
        """This task and all its descendants, in WBS order."""
        yield self
        for child in self.tasks:
            yield from child.walk()

    def leaves(self) -> "Iterator[Task]":
        return (t for t in self.walk() if not t.is_summary)


# --------------------------------------------------------------------------- registers


class Residual(KapmModel):
    probability: Score | None = None
    impact: Score | None = None


class Risk(KapmModel):
    id: Id
    title: str
    description: str | None = None
    category: RiskCategory | None = None
    probability: Score
    impact: Score
    strategy: RiskStrategy | None = None
    response: str | None = None
    owner: Id | None = None
    status: RiskStatus = "open"
    raised: Date | None = None
    reviewed: Date | None = None
    due: Date | None = None
    tasks: list[Id] = _list()
    trigger: str | None = None
    contingency: str | None = None
    residual: Residual | None = None

    @property
    def score(self) -> int:
        """probability × impact, 1-25 (computed, never written)."""
        return self.probability * self.impact


class CommsItem(KapmModel):
    id: Id
    name: str
    cadence: Cadence
    audience: list[Id] = _list()
    channel: Channel | None = None
    owner: Id | None = None
    report: str | None = None


class ActionItem(KapmModel):
    id: Id
    what: str
    owner: Id | None = None
    due: Date | None = None
    done: Date | None = None

    def is_open(self, as_of: "date") -> bool:
        """Not done as of the status date (done later counts as still open then)."""
        return self.done is None or self.done > as_of

    def is_overdue(self, as_of: "date") -> bool:
        """Due before the status date and still open: rule C002, the portfolio and reports agree."""
        return self.due is not None and self.due < as_of and self.is_open(as_of)


class LogEntry(KapmModel):
    date: Date
    kind: LogKind
    summary: str
    plan: Id | None = None
    with_: list[Id] = _list(alias="with")
    by: list[Id] = _list()
    decisions: list[str] = _list()
    actions: list[ActionItem] = _list()
    sentiment: Sentiment | None = None


class Request(KapmModel):
    id: Id
    received: Timestamp
    summary: str
    from_: Id | None = Field(default=None, alias="from")
    priority: Priority = "normal"
    channel: Channel | None = None
    responded: Timestamp | None = None
    resolved: Timestamp | None = None
    change: Id | None = None


class ChangeImpact(KapmModel):
    """Impact of a change; schedule and cost may be negative (a change can save)."""

    schedule: Lag | None = None
    cost: SignedMoney | None = None
    scope: str | None = None


class Change(KapmModel):
    id: Id
    title: str
    description: str | None = None
    requested_by: Id | None = None
    raised: Date | None = None
    status: ChangeStatus = "proposed"
    decided: Date | None = None
    approved_by: Id | None = None
    impact: ChangeImpact | None = None
    tasks: list[Id] = _list()
    deliverables: list[Id] = _list()


class Issue(KapmModel):
    id: Id
    title: str
    raised: Date | None = None
    owner: Id | None = None
    priority: Priority | None = None
    status: IssueStatus = "open"
    resolved: Date | None = None
    resolution: str | None = None
    tasks: list[Id] = _list()


class QualityCheck(KapmModel):
    id: Id
    name: str
    kind: CheckKind | None = None
    date: Date | None = None
    task: Id | None = None
    deliverable: Id | None = None
    result: CheckResult | None = None
    defects: Count | None = None
    follow_up: Id | None = None


class Quality(KapmModel):
    standards: list[str] = _list()
    checks: list[QualityCheck] = _list()


class CostEntry(KapmModel):
    date: Date
    amount: Money
    task: Id | None = None
    category: CostCategory | None = None
    note: str | None = None


class Payment(KapmModel):
    id: Id
    amount: PaymentAmount
    due: Date | None = None
    milestone: Id | None = None
    invoiced: Date | None = None
    paid: Date | None = None

    @property
    def share(self) -> float | None:
        """The percent of the contract value when written like ``"30%"``, else None."""
        return float(self.amount[:-1]) if isinstance(self.amount, str) else None

    def money(self, contract_value: float | None) -> float | None:
        """The amount in money (a share needs the contract value; None without it)."""
        if isinstance(self.amount, str):
            return None if contract_value is None else contract_value * self.share / 100
        return self.amount


class Subcontract(KapmModel):
    id: Id
    vendor: str
    scope: str | None = None
    value: Money | None = None
    tasks: list[Id] = _list()
    due: Date | None = None


class Contract(KapmModel):
    id: Id | None = None
    title: str | None = None
    signed: Date | None = None
    value: Money | None = None
    payment_terms: str | None = None
    payments: list[Payment] = _list()
    subcontracts: list[Subcontract] = _list()


class Feedback(KapmModel):
    date: Date
    from_: Id | None = Field(default=None, alias="from")
    kind: FeedbackKind | None = None
    csat: Score | None = None
    nps: Nps | None = None
    comment: str | None = None


class ChecklistItem(KapmModel):
    item: str
    done: Flag = False


class Lesson(KapmModel):
    what: str
    category: str | None = None
    recommendation: str | None = None


class Closure(KapmModel):
    date: Date | None = None
    accepted_by: Id | None = None
    checklist: list[ChecklistItem] = _list()
    lessons: list[Lesson] = _list()
    summary: str | None = None


# --------------------------------------------------------------------------- documents


class AccountFile(KapmModel):
    """``account.yaml``."""

    kapm: int
    account: Account
    team: list[TeamMember] = _list()
    contacts: list[Contact] = _list()


class ProjectDoc(KapmModel):
    """A project: ``project.yaml`` and its sibling files merged into one document."""

    kapm: int
    project: Project
    calendar: Calendar | None = None
    objectives: list[Objective] = _list()
    scope: Scope | None = None
    deliverables: list[Deliverable] = _list()
    team: list[TeamMember] = _list()
    contacts: list[Contact] = _list()
    tasks: list[Task] = _list()
    risks: list[Risk] = _list()
    comms: list[CommsItem] = _list()
    log: list[LogEntry] = _list()
    requests: list[Request] = _list()
    changes: list[Change] = _list()
    issues: list[Issue] = _list()
    quality: Quality | None = None
    costs: list[CostEntry] = _list()
    contract: Contract | None = None
    feedback: list[Feedback] = _list()
    closure: Closure | None = None

    def all_tasks(self) -> Iterator[Task]:
        """Every task at every level, in WBS order."""
        for task in self.tasks:
            yield from task.walk()

    def csat_surveys(self, as_of: "date") -> list[Feedback]:
        """Feedback entries with a CSAT score on or before ``as_of``, oldest first (file
        order on the same day): the last one is "the latest CSAT" of rules, health,
        reports and the portfolio."""
        return sorted((f for f in self.feedback if f.csat is not None and f.date <= as_of), key=lambda f: f.date)


LIST_SECTIONS: tuple[str, ...] = tuple(
    name for name, f in ProjectDoc.model_fields.items()
    if name != "kapm" and f.annotation is not None and str(f.annotation).startswith("list")
)
MAP_SECTIONS: tuple[str, ...] = tuple(
    name for name in ProjectDoc.model_fields if name not in LIST_SECTIONS and name != "kapm"
)


# --------------------------------------------------------------------------- kapm.yaml


class RuleSettings(KapmModel):
    """Thresholds of the rules (SPEC §5). A rule that needs a new setting adds it here."""

    risk_review_days: DayCount = 30
    high_risk_score: Count = 10
    change_decision_days: DayCount = 10
    feedback_days: DayCount = 90
    comms_grace_days: DayCount = 2
    critical_float: int = 0


class RulesConfig(KapmModel):
    select: list[RuleSelector] = Field(default_factory=_all_rules)
    ignore: list[RuleSelector] = _list()
    severity: dict[RuleCode, Severity] = Field(default_factory=dict)
    settings: RuleSettings = Field(default_factory=_defaults(RuleSettings))


class ReportConfig(KapmModel):
    lang: Lang = "en"
    company: str | None = None


class HealthThresholds(KapmModel):
    """RAG thresholds (SPEC §4)."""

    spi_green: PositiveNumber = 0.95
    spi_amber: PositiveNumber = 0.85
    slip_amber_days: DayCount = 5
    cpi_green: PositiveNumber = 0.95
    cpi_amber: PositiveNumber = 0.85
    eac_amber_ratio: PositiveNumber = 1.05
    risk_red_score: Count = 15
    risk_amber_score: Count = 10
    csat_red: Count = 2
    client_window_days: DayCount = 30


class Limits(KapmModel):
    max_file_mb: PositiveNumber = 8


class WorkspaceConfig(KapmModel):
    """``kapm.yaml`` at the workspace root (SPEC §7.4); every section is optional."""

    kapm: int
    calendar: Calendar | None = None
    rules: RulesConfig = Field(default_factory=_defaults(RulesConfig))
    report: ReportConfig = Field(default_factory=_defaults(ReportConfig))
    health: HealthThresholds = Field(default_factory=_defaults(HealthThresholds))
    limits: Limits = Field(default_factory=_defaults(Limits))


assert DEPENDENCY_TYPES == DependencyType.__args__  # type: ignore[attr-defined]
