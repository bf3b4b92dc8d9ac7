"""The bounded YAML 1.2 loader: the same behaviour with the C and the pure parser."""

import resource
import time
from pathlib import Path

import pytest

from kapm import yamlload


@pytest.fixture(params=["c", "pure"])
def parser(request, monkeypatch):
    if request.param == "pure":
        monkeypatch.setenv("KAPM_PURE_YAML", "1")
    else:
        monkeypatch.delenv("KAPM_PURE_YAML", raising=False)
        pytest.importorskip("yaml._yaml", reason="PyYAML built without libyaml")
    return request.param


def codes(raw: bytes):
    r = yamlload.load_bytes(raw, "f.yaml")
    return [(f.code, f.location.line, f.location.column) for f in r.findings], r.data


BOMB = (b"a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        b"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        b"e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
        b"g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]\n")


def test_yaml_12_core_schema(parser):
    found, data = codes(b"a: no\nb: 010\nc: 0o10\nd: 2026-01-01\ne: ~\nf: yes\ng: 0x1F\nh: 1.5e3\ni: True\nj: .inf\n")
    assert found == []
    assert data == {"a": "no", "b": 10, "c": 8, "d": "2026-01-01", "e": None, "f": "yes", "g": 31,
                    "h": 1500.0, "i": True, "j": float("inf")}


def test_quoted_and_tagged_scalars(parser):
    found, data = codes(b"a: '010'\nb: !!str 5\nc: !!int '7'\nd: \"x\"\n")
    assert found == [] and data == {"a": "010", "b": "5", "c": 7, "d": "x"}


def test_billion_laughs_is_refused_fast_and_small(parser):
    assert len(BOMB) < 600
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    found, data = codes(BOMB)
    elapsed = time.perf_counter() - t0
    assert found and found[0][0] == "Y001" and data is None
    assert elapsed < 0.5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # KiB


@pytest.mark.parametrize("raw,code,line,col", [
    (b"a: 1\nb: 2\na: 3\n", "Y002", 3, 1),
    (b"a:\n\tb: 1\n", "Y001", 2, 1),
    (b"%YAML 1.1\n---\na: 1\n", "Y001", 1, 1),
    (b"a: !!python/object:os.system x\n", "Y001", 1, 4),
    (b"a: !include other.yaml\n", "Y001", 1, 4),
    (b"%TAG !e! tag:example.com,2000:\n---\na: 1\n", "Y001", 1, 1),
    (b"a: 1\n---\nb: 2\n", "Y001", 2, 1),
    (b"a: \xff\xfe\n", "Y001", 1, 4),
    ("a: x\u202ey\n".encode(), "Y001", 1, 5),
    ("a: x\u2028y\n".encode(), "Y001", 1, 5),
    (b"a: x\x07y\n", "Y001", 1, 5),
    ("a: x\ufeffy\n".encode(), "Y001", 1, 5),
    (b"a: [1, 2\nb: 3\n", "Y001", 2, 2),
    (b"a: *nowhere\n", "Y001", 1, 4),
    (b"? [a]\n: 1\n", "Y001", 1, 3),
])
def test_hazards(parser, raw, code, line, col):
    found, _ = codes(raw)
    assert found == [(code, line, col)]


def test_deep_nesting_flow_and_block(parser):
    found, _ = codes(b"a: " + b"[" * 100_000 + b"]" * 100_000 + b"\n")
    assert found[0][0] == "Y001"
    block = "".join("  " * i + "- \n" for i in range(80)).encode()
    found, _ = codes(block)
    assert found[0][0] == "Y001"
    ok = "".join("  " * i + "-\n" for i in range(60)).encode()
    assert codes(ok)[0] == []


def test_size_limit():
    found = yamlload.load_bytes(b"a: 1\n" * 10, "f.yaml", max_bytes=20).findings
    assert [f.code for f in found] == ["Y001"] and "limit" in found[0].message


def test_bom_at_start_is_fine(parser):
    assert codes("\ufeffa: 名字\n".encode()) == ([], {"a": "名字"})


def test_positions_keys_and_values(parser):
    r = yamlload.load_bytes("tasks:\n  - id: 任务\n    depends: [a, b]\n".encode(), "f", positions=True)
    assert r.positions[("tasks", 0, "id")] == (2, 5, 2, 9)
    assert r.positions[("tasks", 0, "depends", 1)][2:] == (3, 18)


def test_same_result_with_both_parsers(monkeypatch):
    text = (Path(__file__).resolve().parent.parent / "examples/acme-erp/accounts/acme/erp-rollout/tasks.yaml").read_bytes()
    monkeypatch.delenv("KAPM_PURE_YAML", raising=False)
    a = yamlload.load_bytes(text, "t", positions=True)
    monkeypatch.setenv("KAPM_PURE_YAML", "1")
    b = yamlload.load_bytes(text, "t", positions=True)
    assert a.data == b.data and a.positions == b.positions and not a.findings
