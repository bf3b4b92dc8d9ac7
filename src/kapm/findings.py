"""The one finding type and the one location type.

Every problem kapm reports, from a YAML syntax error to an overdue action item, is a
:class:`Finding`. Output formats are projections of this record (see ``kapm.output``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITY_RANK = {ERROR: 0, WARNING: 1, INFO: 2}


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """A place in a file: path as given to the user (relative, '/' separators), 1-based."""

    file: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in the files: a stable code, its severity, a plain-language message,
    where it is (file:line:column), a hint, and the project it belongs to."""

    code: str
    severity: str
    message: str
    location: Location
    hint: str | None = None
    project: str | None = None

    def with_severity(self, severity: str) -> "Finding":
        return replace(self, severity=severity)

    def with_project(self, project: str | None) -> "Finding":
        return replace(self, project=project)
