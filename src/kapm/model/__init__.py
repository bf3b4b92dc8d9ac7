"""The kapm file format v1 as frozen pydantic models.

Validate plain data from the YAML loader with ``ProjectDoc.model_validate(data)``,
``AccountFile.model_validate(data)`` or ``WorkspaceConfig.model_validate(data)``, then
call :func:`assign_paths` so every nested object knows its ``path``.

Errors are ordinary ``pydantic.ValidationError`` items. ``loc`` is a plain path of YAML
keys and list indexes (``("tasks", 1, "depends", 0)``), never a union or model tag.
Value-syntax errors have ``type == "kapm_value"`` and a ``msg`` written for users
("2026-02-30 is not a real date"); other types (``missing``, ``extra_forbidden``,
``literal_error``, ``string_type`` ...) are pydantic's own. For did-you-mean on
``extra_forbidden`` use ``known_fields(model_at(ProjectDoc, loc[:-1]))``.

Decisions worth knowing:
* Dates are ``date``; timestamps are ``datetime``, naive (project local time) unless the
  file wrote an offset. Date lists (holidays, leaves) hold :class:`DateRange` objects.
* Durations and lags are ints of working days (``2w`` = 10); SLA clock durations are
  ints of minutes with ``1d`` = 24 hours.
* ``depends`` items are :class:`Dependency` objects; ``"phase-2d"`` keeps both readings
  until :meth:`Dependency.resolve` sees the task ids.
* ``assignees`` is always ``{person: percent}`` (a list means 100 % each).
* RACI: ``raci.accountable`` is a list (one id is accepted); the task ``owner`` counts
  as accountable too: :meth:`Task.accountable`.
* Day counts are bounded (10,000 working days; ranges up to 10 years) so later stages
  never loop over absurd inputs.
"""

from .base import KapmModel, assign_paths, iter_models, known_fields, model_at
from .documents import *  # noqa: F403
from .documents import __all__ as _documents_all
from .schema import SUPPORTED_VERSIONS, json_schema
from .syntax import (
    DEPENDENCY_TYPES,
    ID_PATTERN,
    DateRange,
    SyntaxProblem,
    expand_days,
    parse_assignees,
    parse_clock_duration,
    parse_date,
    parse_date_or_range,
    parse_dependency,
    parse_duration,
    parse_id,
    parse_lag,
    parse_payment_amount,
    parse_timestamp,
)

__all__ = [
    *_documents_all,
    "KapmModel", "assign_paths", "iter_models", "known_fields", "model_at",
    "SUPPORTED_VERSIONS", "json_schema",
    "DEPENDENCY_TYPES", "ID_PATTERN", "DateRange", "SyntaxProblem", "expand_days",
    "parse_assignees", "parse_clock_duration", "parse_date", "parse_date_or_range",
    "parse_dependency", "parse_duration", "parse_id", "parse_lag",
    "parse_payment_amount", "parse_timestamp",
]
