"""Pydantic validation errors → S001–S003 findings in plain language, at the right line.

Pydantic's ``loc`` tuple is a path in the merged document; :class:`kapm.workspace.Source`
turns it into file:line:column.  Messages never contain pydantic's raw text.
"""

from __future__ import annotations

import difflib

from kapm.findings import ERROR, Finding


def _short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _raw_at(doc, loc: tuple):
    node = doc
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _context(doc, loc: tuple) -> str:
    """' in task "build"' — the nearest enclosing list item with an id."""
    for n in range(len(loc), 0, -1):
        if isinstance(loc[n - 1], int) and n >= 2 and loc[n - 2] in _NOUNS:
            item = _raw_at(doc, loc[:n])
            noun = _NOUNS[loc[n - 2]]
            if isinstance(item, dict) and isinstance(item.get("id"), (str, int)):
                return f" in {noun} '{item['id']}'"
            return f" in {noun} #{loc[n - 1] + 1}"
    if loc and isinstance(loc[0], str):
        return f" in section '{loc[0]}'"
    return ""


_NOUNS = {
    "tasks": "task", "risks": "risk", "team": "team member", "contacts": "contact",
    "objectives": "objective", "deliverables": "deliverable", "comms": "comms plan item",
    "log": "log entry", "requests": "request", "changes": "change request", "issues": "issue",
    "costs": "cost entry", "feedback": "feedback entry", "payments": "payment",
    "checks": "quality check", "actions": "action item", "subcontracts": "subcontract",
    "checklist": "checklist item", "lessons": "lesson",
}

_TYPE_WORDS = {
    "int_type": "a whole number", "int_parsing": "a whole number", "int_from_float": "a whole number",
    "float_type": "a number", "float_parsing": "a number", "bool_type": "true or false",
    "bool_parsing": "true or false", "string_type": "text", "list_type": "a list",
    "dict_type": "a mapping", "model_type": "a mapping", "model_attributes_type": "a mapping",
    "date_type": "a date (YYYY-MM-DD)", "date_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
    "datetime_type": "a timestamp (YYYY-MM-DDTHH:MM)", "datetime_parsing": "a timestamp (YYYY-MM-DDTHH:MM)",
    "tuple_type": "a list", "set_type": "a list",
}


def _field_name(loc: tuple) -> str:
    for part in reversed(loc):
        if isinstance(part, str):
            return part
    return "value"


def error_to_finding(err: dict, doc, source, root_model) -> Finding:
    loc = tuple(err.get("loc", ()))
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    where = _context(doc, loc)
    # S002 messages read "task 'a', duration: '5x' is not a duration; ..."
    field = (where[4:] + ", " if where.startswith(" in ") else "") + _field_name(loc)
    value = err.get("input")
    if kind == "extra_forbidden":
        from kapm.model import known_fields, model_at

        model = model_at(root_model, loc[:-1])
        known = known_fields(model) if model is not None else []
        close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else (
            f"known keys here: {', '.join(known)}" if known else None)
        return Finding("S001", ERROR, f"unknown key '{loc[-1]}'{where}", source.locate(loc, key=True), hint)
    if kind == "missing":
        parent = loc[:-1]
        return Finding("S003", ERROR, f"missing required field '{loc[-1]}'{where}", source.locate(parent),
                       f"add '{loc[-1]}:' here")
    if kind in ("value_error", "assertion_error", "kapm_value"):
        inner = ctx.get("error")
        message = str(inner) if inner is not None else err.get("msg", "invalid value")
        return Finding("S002", ERROR, f"{field}: {message}", source.locate(loc), None)
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        return Finding("S002", ERROR, f"{field}: {_short(value)} is not allowed",
                       source.locate(loc), f"use one of {expected}")
    if kind in _TYPE_WORDS:
        return Finding("S002", ERROR, f"{field}: expected {_TYPE_WORDS[kind]}, got {_short(value)}",
                       source.locate(loc), None)
    bounds = {"greater_than_equal": "at least {ge}", "greater_than": "more than {gt}",
              "less_than_equal": "at most {le}", "less_than": "less than {lt}",
              "too_short": "at least {min_length} item(s)", "too_long": "at most {max_length} item(s)",
              "string_too_short": "at least {min_length} character(s)",
              "string_too_long": "at most {max_length} characters",
              "string_pattern_mismatch": "text matching {pattern}",
              "multiple_of": "a multiple of {multiple_of}"}
    if kind in bounds:
        try:
            need = bounds[kind].format(**ctx)
        except (KeyError, IndexError):
            need = "a valid value"
        return Finding("S002", ERROR, f"{field}: must be {need}, got {_short(value)}",
                       source.locate(loc), None)
    return Finding("S002", ERROR, f"{field}: invalid value {_short(value)}", source.locate(loc),
                   None)


def validate(model_cls, doc: dict, source) -> tuple[object | None, list[Finding]]:
    """Validate ``doc``; return the model or the findings (all of them)."""
    from pydantic_core import ValidationError

    from kapm.model.cache import validate as cached_validate

    try:
        return cached_validate(model_cls, doc), []
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        return None, [error_to_finding(e, doc, source, model_cls) for e in errors]
