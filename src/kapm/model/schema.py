"""JSON Schema of the file format, for editors (``kapm schema``).

One schema serves every kapm file: a top-level object that allows any section of a
project file, ``account.yaml`` or ``kapm.yaml`` (an editor cannot tell which file it
is looking at, and list sections may live in any file of a project folder). So the
schema catches unknown keys, wrong types and bad value syntax, but not "this section
belongs in another file" or missing required sections - ``kapm check`` does that.

The keywords used are understood by draft-07 and draft 2020-12 validators
(yaml-language-server, VS Code); references point into ``$defs``.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from pydantic.json_schema import GenerateJsonSchema

from .base import KapmModel
from .documents import (
    Account,
    Calendar,
    Closure,
    CommsItem,
    Change,
    Contact,
    Contract,
    CostEntry,
    Deliverable,
    Feedback,
    HealthThresholds,
    Issue,
    Limits,
    LogEntry,
    Objective,
    Project,
    Quality,
    ReportConfig,
    Request,
    Risk,
    RulesConfig,
    Scope,
    Task,
    TeamMember,
)

SUPPORTED_VERSIONS: tuple[int, ...] = (1,)
SCHEMA_DIALECT = "http://json-schema.org/draft-07/schema#"


class _AnyKapmFile(KapmModel):
    """Any kapm file: every top-level section of every file kind, all optional."""

    kapm: int
    account: Account | None = None
    project: Project | None = None
    calendar: Calendar | None = None
    objectives: list[Objective] = Field(default_factory=list)
    scope: Scope | None = None
    deliverables: list[Deliverable] = Field(default_factory=list)
    team: list[TeamMember] = Field(default_factory=list)
    contacts: list[Contact] = Field(default_factory=list)
    tasks: list[Task] = Field(default_factory=list)
    risks: list[Risk] = Field(default_factory=list)
    comms: list[CommsItem] = Field(default_factory=list)
    log: list[LogEntry] = Field(default_factory=list)
    requests: list[Request] = Field(default_factory=list)
    changes: list[Change] = Field(default_factory=list)
    issues: list[Issue] = Field(default_factory=list)
    quality: Quality | None = None
    costs: list[CostEntry] = Field(default_factory=list)
    contract: Contract | None = None
    feedback: list[Feedback] = Field(default_factory=list)
    closure: Closure | None = None
    rules: RulesConfig | None = None
    report: ReportConfig | None = None
    health: HealthThresholds | None = None
    limits: Limits | None = None


class _KapmSchemaGenerator(GenerateJsonSchema):
    def str_schema(self, schema: Any) -> dict[str, Any]:
        # Free text written as a YAML number (`phone: 13800000000`) is accepted as text
        # (the models coerce numbers to str), so the schema must not flag it.
        result = super().str_schema(schema)
        if result.get("type") == "string":
            result["type"] = ["string", "number"]
        return result


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a kapm file (format v1), as a dict ready for ``json.dumps``."""
    schema = _AnyKapmFile.model_json_schema(
        by_alias=True, mode="validation", schema_generator=_KapmSchemaGenerator
    )
    schema.pop("description", None)
    for definition in schema.get("$defs", {}).values():
        # Model docstrings are written for developers, not for editor tooltips.
        definition.pop("description", None)
    schema["properties"]["kapm"] = {
        "enum": list(SUPPORTED_VERSIONS),
        "description": "format version of this file; this kapm reads "
        + ", ".join(map(str, SUPPORTED_VERSIONS)),
    }
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "kapm file (format v1)",
        "description": "A kapm.yaml, account.yaml or project file "
        "(project.yaml and its sibling files). Checked in full by `kapm check`.",
        **{k: v for k, v in schema.items() if k != "title"},
    }
