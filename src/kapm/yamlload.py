"""Bounded YAML 1.2 loading with source positions.

kapm reads YAML through the libyaml *event* stream (PyYAML's C parser; the pure-Python
parser of the same package when the C extension is missing or ``KAPM_PURE_YAML=1``) and
builds plain Python data itself.  Doing construction ourselves is what gives us:

* YAML 1.2 core-schema semantics whichever parser runs (``no`` stays a string, ``010``
  is 10, dates stay strings for the model to parse);
* bounds enforced *while* the events stream in: nesting depth, alias expansion (nodes
  and depth, computed arithmetically, so a "billion laughs" file is refused before
  anything is expanded), one document, core tags only, ``%YAML 1.2`` only;
* duplicate keys (Y002) with both positions;
* speed: no node graph is built (composing nodes costs twice the parse).

Positions are recorded only on request (``positions=True``): the fast path builds data
only, and :class:`FilePositions` re-reads a file lazily when a finding needs a line.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from kapm.findings import ERROR, Finding, Location

DEFAULT_MAX_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 64
MAX_ALIAS_NODES = 100_000  # nodes an alias expansion may add, in total per file
MAX_ALIAS_DEPTH = 8  # aliases to structures that themselves contain aliases

CORE = "tag:yaml.org,2002:"

# Characters that make what a reviewer sees differ from what kapm reads (SPEC §2).
_BAD_CHARS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x85\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]"
)
_BAD_NAMES = {
    "\x85": "NEL (U+0085)",
    "\u2028": "line separator U+2028",
    "\u2029": "paragraph separator U+2029",
    "\ufeff": "byte-order mark (U+FEFF) after the start of the file",
}

_INT = re.compile(r"[-+]?[0-9]+\Z")
_OCT = re.compile(r"0o[0-7]+\Z")
_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)\Z")
_NAN = re.compile(r"\.(nan|NaN|NAN)\Z")
# any of the six above (one match instead of six for the common non-numbers like "5d")
_ANY_NUMBER = re.compile("|".join(f"(?:{r.pattern})" for r in (_INT, _OCT, _HEX, _FLOAT, _INF, _NAN)))
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_TRUE = frozenset(("true", "True", "TRUE"))
_FALSE = frozenset(("false", "False", "FALSE"))
_NUMERIC_START = frozenset("-+.0123456789")
_WORD_START = frozenset("~nNtTfF")
_SPECIAL_START = _NUMERIC_START | _WORD_START  # a plain scalar starting otherwise is a string


class YamlProblem(Exception):
    """Raised inside the builder; becomes one Y001/Y002 finding."""

    def __init__(self, code: str, message: str, line: int, column: int, hint: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line
        self.column = column
        self.hint = hint


def _duplicate_key(key, first, line: int, column: int) -> YamlProblem:
    """Y002 for a key already seen in the same mapping (``first``: its line, 0 if unknown)."""
    where = f" (first defined on line {first})" if first else ""
    return YamlProblem("Y002", f"duplicate key {key!r}{where}", line, column,
                       "a later key would silently replace the earlier one; keep one")


def resolve_plain(value: str):
    """YAML 1.2 core schema resolution of a plain (unquoted, untagged) scalar."""
    if not value:
        return None
    c = value[0]
    if c not in _NUMERIC_START:
        # only ~, null, true, false (in their three spellings) can be special here
        if c in _WORD_START and len(value) <= 5:
            if value in _NULLS:
                return None
            if value in _TRUE:
                return True
            if value in _FALSE:
                return False
        return value
    if not _ANY_NUMBER.match(value):
        return value
    if _INT.match(value):
        return int(value)
    if _OCT.match(value):
        return int(value[2:], 8)
    if _HEX.match(value):
        return int(value[2:], 16)
    if _FLOAT.match(value):
        return float(value)
    if _INF.match(value):
        return float("-inf") if value[0] == "-" else float("inf")
    if _NAN.match(value):
        return float("nan")
    return value


def _tagged(tag: str, value: str, line: int, column: int):
    """A scalar with an explicit core tag (``!!str 5``)."""
    name = tag[len(CORE):]
    if name == "str":
        return value
    resolved = resolve_plain(value)
    ok = {
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "bool": lambda v: isinstance(v, bool),
        "null": lambda v: v is None,
    }.get(name)
    if ok is None:
        raise YamlProblem("Y001", f"tag !!{name} is not allowed on a scalar", line, column,
                          "kapm reads YAML 1.2 core tags only: !!str, !!int, !!float, !!bool, !!null")
    if not ok(resolved):
        raise YamlProblem("Y001", f"{value!r} is not a valid !!{name}", line, column)
    return float(resolved) if name == "float" else resolved


@dataclass(slots=True)
class Loaded:
    """Result of reading one file: data (None when unreadable) and findings."""

    data: object = None
    findings: list[Finding] = field(default_factory=list)
    positions: dict | None = None  # path tuple -> (key_line, key_col, line, col), 1-based
    text: str | None = None


def _parser_classes():
    pure = os.environ.get("KAPM_PURE_YAML") == "1"
    if not pure:
        try:
            from yaml._yaml import CParser

            return CParser
        except ImportError:  # pragma: no cover - depends on the wheel installed
            pass
    from yaml import SafeLoader

    return SafeLoader


def _line_col(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    start = text.rfind("\n", 0, index) + 1
    return line, index - start + 1


def decode(raw: bytes, file: str, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[str | None, list[Finding]]:
    """Check size and encoding; return the text or Y001 findings."""
    if len(raw) > max_bytes:
        mb = max_bytes / (1024 * 1024)
        return None, [Finding("Y001", ERROR,
                              f"file is {len(raw):,} bytes, over the limit of {mb:g} MiB",
                              Location(file, 1, 1),
                              "split the file, or raise limits.max_file_mb in kapm.yaml")]
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        good = raw[: exc.start].decode("utf-8")
        line, col = _line_col(good, len(good))
        return None, [Finding("Y001", ERROR,
                              f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
                              Location(file, line, col),
                              "save the file as UTF-8; kapm reads no other encoding")]
    findings = []
    for m in _BAD_CHARS.finditer(text):
        ch = m.group()
        name = _BAD_NAMES.get(ch)
        if name is None:
            kind = "bidirectional control" if "\u202a" <= ch <= "\u2069" else "control"
            name = f"{kind} character U+{ord(ch):04X}"
        line, col = _line_col(text, m.start())
        findings.append(Finding("Y001", ERROR, f"{name} is not allowed in kapm files",
                                Location(file, line, col),
                                "it makes what a reviewer sees differ from what kapm reads; delete it"))
        if len(findings) >= 20:
            break
    if findings:
        return None, findings
    return text, []


def load_text(text: str, file: str, *, positions: bool = False) -> Loaded:
    """Build data from YAML text; never raises for bad input."""
    result = Loaded(text=text)
    parser = _parser_classes()(text)
    try:
        result.data, result.positions = _build(parser, positions)
    except YamlProblem as p:
        result.findings.append(Finding(p.code, ERROR, p.message, Location(file, p.line, p.column), p.hint))
    except RecursionError:  # pragma: no cover - bounded by MAX_DEPTH before this can happen
        result.findings.append(Finding("Y001", ERROR, "nesting too deep", Location(file, 1, 1)))
    except Exception as exc:  # yaml.MarkedYAMLError and relatives from either parser
        result.findings.append(_syntax_finding(exc, text, file))
    finally:
        dispose = getattr(parser, "dispose", None)
        if dispose:
            dispose()
    return result


def load_bytes(raw: bytes, file: str, *, max_bytes: int = DEFAULT_MAX_BYTES, positions: bool = False) -> Loaded:
    text, findings = decode(raw, file, max_bytes)
    if text is None:
        return Loaded(findings=findings)
    return load_text(text, file, positions=positions)


def _syntax_finding(exc: Exception, text: str, file: str) -> Finding:
    import yaml

    if not isinstance(exc, yaml.YAMLError):
        raise exc
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else 1
    col = mark.column + 1 if mark is not None else 1
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    hint = "check indentation, quoting and brackets near this position"
    lines = text.split("\n")
    if 0 < line <= len(lines):
        src = lines[line - 1]
        lead = src[: len(src) - len(src.lstrip(" \t"))]
        if "\t" in lead or "\t" in problem or "'\\t'" in problem:
            message = "tab character used for indentation"
            col = (lead.index("\t") + 1) if "\t" in lead else col
            hint = "YAML indents with spaces only; replace the tab with spaces"
    return Finding("Y001", ERROR, message, Location(file, line, col), hint)


def _build(parser, want_positions: bool):
    """Turn the event stream into data.  Raises YamlProblem or the parser's error."""
    import yaml.events as ev

    get = parser.get_event
    Scalar = ev.ScalarEvent
    MapStart, MapEnd = ev.MappingStartEvent, ev.MappingEndEvent
    SeqStart, SeqEnd = ev.SequenceStartEvent, ev.SequenceEndEvent
    Alias, DocStart, DocEnd = ev.AliasEvent, ev.DocumentStartEvent, ev.DocumentEndEvent
    StreamEnd = ev.StreamEndEvent

    positions: dict | None = {} if want_positions else None
    anchors: dict[str, tuple[object, int, int, int]] = {}  # name -> (value, nodes, depth, alias depth)
    alias_nodes = 0
    documents = 0
    root = None

    # Each stack frame: [container, is_map, pending_key, key_pos, nodes, depth_below, alias_depth,
    #                    anchor, path, first_key_lines, start position]
    stack: list[list] = []

    e = get()  # StreamStart
    while True:
        e = get()
        # Fast path (most events): an untagged, unanchored plain or quoted scalar inside a
        # collection.
        if type(e) is Scalar and stack and not e.anchor and (
                e.tag is None or e.tag == "!" or e.implicit[0]):
            parent = stack[-1]
            if positions is not None:
                # the general code's _child_path/_record, inline
                m = e.start_mark
                line, col = m.line + 1, m.column + 1
                if parent[1] and parent[2] is _NOKEY:
                    key = e.value
                    first = parent[9].get(key)
                    if first is not None:
                        raise _duplicate_key(key, first, line, col)
                    parent[9][key] = line
                    parent[2] = key
                    parent[3] = (line, col)
                    parent[4] += 1
                    continue
                value = e.value
                if e.implicit[0]:
                    value = resolve_plain(value)
                base = parent[8] if parent[8] is not None else ()
                if parent[1]:
                    kl, kc = parent[3]
                    positions[base + (parent[2],)] = (kl, kc, line, col)
                    parent[0][parent[2]] = value
                    parent[2] = _NOKEY
                else:
                    positions[base + (len(parent[0]),)] = (line, col, line, col)
                    parent[0].append(value)
                parent[4] += 1
                continue
            if parent[1]:
                if parent[2] is _NOKEY:
                    key = e.value
                    if key in parent[9]:  # every key of parent[0] is in parent[9]
                        m = e.start_mark
                        first = parent[9].get(key)
                        raise _duplicate_key(key, first, m.line + 1, m.column + 1)
                    parent[9][key] = e.start_mark.line + 1
                    parent[2] = key
                    parent[4] += 1
                    continue
                value = e.value
                # resolve_plain's own first test, inline: most values are plain words
                if e.implicit[0] and (not value or value[0] in _SPECIAL_START):
                    value = resolve_plain(value)
                parent[0][parent[2]] = value
                parent[2] = _NOKEY
            else:
                value = e.value
                if e.implicit[0] and (not value or value[0] in _SPECIAL_START):
                    value = resolve_plain(value)
                parent[0].append(value)
            parent[4] += 1
            continue
        cls = type(e)
        if positions is None:
            # Fast paths (no positions wanted) for untagged collections: the same frames
            # and checks as the general code below, without its position bookkeeping.
            if (cls is MapStart or cls is SeqStart) and e.tag is None:
                m = e.start_mark
                if len(stack) >= MAX_DEPTH:
                    raise _too_deep(m.line + 1, m.column + 1)
                if cls is MapStart:
                    stack.append([{}, True, _NOKEY, None, 1, 0, 0, e.anchor, (), {}, (m.line + 1, m.column + 1)])
                else:
                    stack.append([[], False, _NOKEY, None, 1, 0, 0, e.anchor, (), None, (m.line + 1, m.column + 1)])
                continue
            if cls is MapEnd or cls is SeqEnd:
                frame = stack.pop()
                value = frame[0]
                if frame[7]:
                    anchors[frame[7]] = (value, frame[4], frame[5] + 1, frame[6])
                if not stack:
                    root = value
                    continue
                parent = stack[-1]
                if parent[1]:
                    if parent[2] is _NOKEY:
                        line, col = frame[10]
                        raise YamlProblem("Y001", "mapping keys must be plain scalars", line, col)
                    parent[0][parent[2]] = value
                    parent[2] = _NOKEY
                else:
                    parent[0].append(value)
                parent[4] += frame[4]
                if frame[5] >= parent[5]:
                    parent[5] = frame[5] + 1
                if frame[6] > parent[6]:
                    parent[6] = frame[6]
                continue
        if e is None or isinstance(e, StreamEnd):
            break
        if isinstance(e, DocStart):
            documents += 1
            m = e.start_mark
            if documents > 1:
                raise YamlProblem("Y001", "a kapm file holds one YAML document; found a second one",
                                  m.line + 1, m.column + 1, "remove the '---' line and the document after it")
            if e.version is not None and tuple(e.version) != (1, 2):
                raise YamlProblem("Y001", f"%YAML {e.version[0]}.{e.version[1]} directive: kapm reads YAML 1.2 only",
                                  m.line + 1, m.column + 1, "remove the directive or write %YAML 1.2")
            if e.tags:
                raise YamlProblem("Y001", "%TAG directives are not allowed", m.line + 1, m.column + 1,
                                  "kapm reads YAML 1.2 core tags only")
            continue
        if isinstance(e, DocEnd):
            continue

        m = e.start_mark
        line, col = m.line + 1, m.column + 1
        cls = type(e)
        # -- produce a value (scalar / alias) or open / close a container ------------------
        if cls is Scalar:
            tag = e.tag
            if e.implicit[0]:
                value = resolve_plain(e.value)
            elif tag is None or tag == "!":
                value = e.value
            elif tag.startswith(CORE):
                value = _tagged(tag, e.value, line, col)
            else:
                raise _bad_tag(tag, line, col)
            nodes, depth, adepth = 1, 0, 0
            if e.anchor:
                anchors[e.anchor] = (value, 1, 0, 0)
        elif cls is Alias:
            entry = anchors.get(e.anchor)
            if entry is None:
                raise YamlProblem("Y001", f"alias *{e.anchor} refers to no anchor defined before it", line, col)
            value, nodes, depth, adepth = entry
            adepth += 1
            alias_nodes += nodes
            if alias_nodes > MAX_ALIAS_NODES:
                raise YamlProblem("Y001", f"alias expansion exceeds {MAX_ALIAS_NODES:,} nodes (alias bomb?)",
                                  line, col, "write the content out instead of nesting aliases")
            if adepth > MAX_ALIAS_DEPTH:
                raise YamlProblem("Y001", f"aliases nested more than {MAX_ALIAS_DEPTH} deep", line, col)
            if len(stack) + depth > MAX_DEPTH:
                raise _too_deep(line, col)
        elif cls is MapStart or cls is SeqStart:
            tag = e.tag
            if tag is not None and tag != "!" and tag not in (CORE + "map", CORE + "seq"):
                raise _bad_tag(tag, line, col)
            if (tag == CORE + "map" and cls is SeqStart) or (tag == CORE + "seq" and cls is MapStart):
                raise YamlProblem("Y001", f"tag {tag.replace(CORE, '!!')} does not fit this collection", line, col)
            if len(stack) >= MAX_DEPTH:
                raise _too_deep(line, col)
            is_map = cls is MapStart
            parent_path = _child_path(stack) if (positions is not None and stack) else ()
            if positions is not None and stack:
                _record(positions, stack, parent_path, line, col)
            stack.append([{} if is_map else [], is_map, _NOKEY, None, 1, 0, 0, e.anchor,
                          parent_path, {} if is_map else None, (line, col)])
            if positions is not None and len(stack) == 1:
                positions[()] = (line, col, line, col)
            continue
        elif cls is MapEnd or cls is SeqEnd:
            frame = stack.pop()
            value, nodes, depth, adepth = frame[0], frame[4], frame[5] + 1, frame[6]
            line, col = frame[10]
            if frame[7]:
                anchors[frame[7]] = (value, nodes, depth, adepth)
            if not stack:
                root = value
                continue
        else:  # pragma: no cover - no other event types exist
            continue

        # -- attach the value to its parent ------------------------------------------------
        if not stack:
            root = value
            if positions is not None:
                positions[()] = (line, col, line, col)
            continue
        parent = stack[-1]
        if positions is not None and cls is not MapEnd and cls is not SeqEnd:
            _record(positions, stack, _child_path(stack), line, col)
        if parent[1]:  # mapping
            if parent[2] is _NOKEY:
                if cls is not Scalar:
                    raise YamlProblem("Y001", "mapping keys must be plain scalars", line, col)
                key = e.value  # keys are names in kapm files: keep their text
                first = parent[9].get(key)
                if key in parent[0] or first is not None:
                    raise _duplicate_key(key, first, line, col)
                parent[9][key] = line
                parent[2] = key
                parent[3] = (line, col)
            else:
                parent[0][parent[2]] = value
                parent[2] = _NOKEY
        else:
            parent[0].append(value)
        parent[4] += nodes
        if depth > parent[5]:
            parent[5] = depth
        if adepth > parent[6]:
            parent[6] = adepth
    return root, positions


_NOKEY = object()


def _child_path(stack) -> tuple:
    frame = stack[-1]
    base = frame[8] if frame[8] is not None else ()
    if frame[1]:
        return base if frame[2] is _NOKEY else base + (frame[2],)
    return base + (len(frame[0]),)


def _record(positions: dict, stack, path: tuple, line: int, col: int) -> None:
    frame = stack[-1]
    if frame[1]:
        if frame[2] is _NOKEY:
            return  # a key: recorded with its value
        kl, kc = frame[3]
        positions[path] = (kl, kc, line, col)
    else:
        positions[path] = (line, col, line, col)


def _bad_tag(tag: str, line: int, col: int) -> YamlProblem:
    shown = tag.replace(CORE, "!!")
    return YamlProblem("Y001", f"tag {shown} is not allowed", line, col,
                       "kapm reads YAML 1.2 core tags only (no !!python/..., !include or custom tags)")


def _too_deep(line: int, col: int) -> YamlProblem:
    return YamlProblem("Y001", f"nesting deeper than {MAX_DEPTH} levels", line, col,
                       "flatten the structure; kapm files never need this depth")
