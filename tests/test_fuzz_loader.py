"""Random input must only ever produce findings, never an exception."""

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from kapm import yamlload

VALID = (Path(__file__).resolve().parent.parent / "examples/acme-erp/accounts/acme/erp-rollout/project.yaml"
         ).read_text(encoding="utf-8")
EXAMPLES = int(os.environ.get("KAPM_FUZZ_EXAMPLES", "300"))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_random_bytes(raw):
    r = yamlload.load_bytes(raw, "f.yaml")
    for f in r.findings:
        assert f.code in ("Y001", "Y002") and f.location.line >= 1 and f.location.column >= 1


yaml_alphabet = st.sampled_from(list("abc:- \n\t[]{}&*!|>'\"#%@`,?.01~") + ["名", "\u202e", "\x00"])


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(yaml_alphabet, max_size=300).map("".join))
def test_random_yamlish_text(text):
    r = yamlload.load_bytes(text.encode("utf-8"), "f.yaml", positions=True)
    fast = yamlload.load_bytes(text.encode("utf-8"), "f.yaml")
    # the fast path (no positions) and the positions path agree on data and findings
    assert repr(fast.data) == repr(r.data) and fast.findings == r.findings
    for f in r.findings:
        assert f.code in ("Y001", "Y002")


@settings(max_examples=EXAMPLES // 3, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                            HealthCheck.function_scoped_fixture])
@given(st.integers(0, len(VALID) - 1), st.integers(0, 40), st.text(max_size=12))
def test_mutated_project_through_whole_pipeline(tmp_path_factory, pos, cut, insert):
    """Splice random text into a real project file and run the whole check pipeline."""
    from datetime import date

    from kapm.analysis import analyze

    d = tmp_path_factory.mktemp("fz")
    (d / "project.yaml").write_text(VALID[:pos] + insert + VALID[pos + cut:], encoding="utf-8")
    result = analyze([d], as_of=date(2026, 11, 20))
    for f in result.findings:
        assert f.location.line >= 1 and f.location.column >= 1 and f.code[0] in "YSRPTAGKCXBQ"
