"""CI formats of `kapm check`: JUnit XML against the Jenkins/Surefire junit-10.xsd and
SARIF 2.1.0 against the official OASIS JSON schema (both vendored under tests/data/)."""

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
XS = "{http://www.w3.org/2001/XMLSchema}"

PROJECT = """\
kapm: 1
project: {id: erp, name: ERP, start: 2026-09-01}
team:
  - {id: li.wei, name: 李伟}
risks:
  - {id: R1, title: "Vendor <late> & \\"slow\\"", probability: 4, impact: 4, reviewed: 2026-09-01}
tasks:
  - {id: design, name: Design, duration: 5d, owner: li.wei}
"""


# --------------------------------------------------------------------------- helpers


def _xsd_rules(path: Path) -> dict:
    """The parts of junit-10.xsd that constrain a document: per element, its attributes
    (required or not, with a pattern when typed SUREFIRE_TIME), allowed child elements and
    whether text is allowed.  Order is free in this schema (unbounded choices), except in
    ``testsuites`` and ``properties`` which hold a single kind of child."""
    root = ET.parse(path).getroot()
    patterns = {st.get("name"): st.find(f"{XS}restriction/{XS}pattern").get("value")
                for st in root.findall(f"{XS}simpleType")}
    named = {ct.get("name"): ct for ct in root.findall(f"{XS}complexType")}

    def describe(ctype):
        attrs = {}
        for a in ctype.iter(f"{XS}attribute"):
            attrs[a.get("name")] = (a.get("use") == "required", patterns.get(a.get("type")))
        children = {e.get("ref") or e.get("name") for e in ctype.iter(f"{XS}element")}
        return {"attrs": attrs, "children": children, "text": ctype.get("mixed") == "true"}

    rules = {}
    for el in root.findall(f"{XS}element"):
        ctype = el.find(f"{XS}complexType")
        if ctype is None and el.get("type") in named:
            ctype = named[el.get("type")]
        if ctype is None:  # xs:string: text only
            rules[el.get("name")] = {"attrs": {}, "children": set(), "text": True}
        else:
            rules[el.get("name")] = describe(ctype)
    return rules


def _validate_junit(xml_text: str) -> ET.Element:
    rules = _xsd_rules(DATA / "junit-10.xsd")
    root = ET.fromstring(xml_text.encode("utf-8"))
    assert root.tag == "testsuites"

    def check(el):
        spec = rules.get(el.tag)
        assert spec is not None, f"element <{el.tag}> is not in the schema"
        for name, value in el.attrib.items():
            assert name in spec["attrs"], f"<{el.tag}> has attribute {name!r} the schema does not define"
            pattern = spec["attrs"][name][1]
            if pattern:
                assert re.fullmatch(pattern, value), f"<{el.tag} {name}={value!r}> does not match {pattern}"
        for name, (required, _) in spec["attrs"].items():
            assert not required or name in el.attrib, f"<{el.tag}> lacks required attribute {name!r}"
        if not spec["text"]:
            assert not (el.text or "").strip(), f"<{el.tag}> must not contain text"
        for child in el:
            assert child.tag in spec["children"], f"<{child.tag}> is not allowed in <{el.tag}>"
            assert spec["text"] or not (child.tail or "").strip()
            check(child)

    check(root)
    return root


def _report(findings, projects=("erp", "crm")):
    from kapm.output import Report
    from kapm.rules import all_rules

    rep = Report(findings=findings, as_of="2026-11-20", projects=len(projects), files=3, rules=all_rules())
    rep.project_ids = list(projects)
    return rep


def _findings():
    from kapm.findings import ERROR, INFO, WARNING, Finding, Location

    return [
        Finding("K003", WARNING, 'open risk "R1" <score 16> & more\nsecond line\x01',
                Location("accounts/acme/erp/risks.yaml", 12, 5), "review it", "erp"),
        Finding("K003", WARNING, "open risk R2", Location("accounts/acme/erp/risks.yaml", 20, 5), None, "erp"),
        Finding("R001", ERROR, "unknown task 'desing'", Location("accounts/acme/erp/tasks.yaml", 3, 9), None, "erp"),
        Finding("C005", INFO, "no feedback", Location("客户 a/crm/project.yaml", 6, 3), None, "crm"),
        Finding("S002", ERROR, "rules.select: unknown rule code", Location("kapm.yaml", 4, 13), None, None),
    ]


# --------------------------------------------------------------------------- JUnit


def test_junit_valid_and_one_testcase_per_project_and_rule():
    from kapm.output_ci import WORKSPACE_SUITE, format_junit
    from kapm.rules import all_rules

    text = format_junit(_report(_findings()))
    root = _validate_junit(text)
    codes = all_rules()
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["erp", "crm", WORKSPACE_SUITE]
    for s in suites:
        cases = s.findall("testcase")
        assert len(cases) == len(codes) == int(s.get("tests"))
        assert [c.get("name").split()[0] for c in cases] == sorted(codes)
        assert int(s.get("failures")) == len(s.findall("testcase/failure"))
    erp = suites[0]
    k003 = next(c for c in erp.findall("testcase") if c.get("name") == "K003 risk-not-reviewed")
    failures = k003.findall("failure")
    assert len(failures) == 2
    assert failures[0].get("type") == "warning"
    assert failures[0].get("message") == 'open risk "R1" <score 16> & more\nsecond line\ufffd'
    assert "accounts/acme/erp/risks.yaml:12:5: K003 warning:" in failures[0].text
    assert "hint: review it" in failures[0].text
    passing = next(c for c in erp.findall("testcase") if c.get("name").startswith("A001"))
    assert list(passing) == []
    assert int(root.get("failures")) == 5
    assert int(root.get("tests")) == 3 * len(codes)


def test_junit_without_findings_is_all_passing():
    from kapm.output_ci import format_junit

    root = _validate_junit(format_junit(_report([], projects=("erp",))))
    assert [s.get("name") for s in root] == ["erp"]
    assert root.find("testsuite").get("failures") == "0"
    assert not root.findall(".//failure")


def test_junit_with_xmlschema_when_installed():
    xmlschema = pytest.importorskip("xmlschema", reason="xmlschema not installed; structural XSD checks run instead")
    from kapm.output_ci import format_junit

    xmlschema.XMLSchema(str(DATA / "junit-10.xsd")).validate(format_junit(_report(_findings())))


# --------------------------------------------------------------------------- SARIF


@pytest.fixture(scope="module")
def sarif_validator():
    import jsonschema

    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


def test_sarif_valid_with_rule_metadata(sarif_validator):
    from kapm.output_ci import format_sarif
    from kapm.rules import all_rules

    doc = json.loads(format_sarif(_report(_findings())))
    errors = sorted(sarif_validator.iter_errors(doc), key=str)
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    run = doc["runs"][0]
    assert doc["version"] == "2.1.0"
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(all_rules())
    k003 = next(r for r in rules if r["id"] == "K003")
    assert k003["name"] == "risk-not-reviewed"
    assert k003["shortDescription"]["text"] == all_rules()["K003"].summary
    assert "Fails:" in k003["help"]["text"] and "Passes:" in k003["help"]["text"]
    assert "```yaml" in k003["help"]["markdown"]
    assert k003["defaultConfiguration"]["level"] == "warning"
    assert next(r for r in rules if r["id"] == "C005")["defaultConfiguration"]["level"] == "note"
    results = run["results"]
    assert len(results) == 5
    first = results[0]
    assert first["ruleId"] == "K003" and rules[first["ruleIndex"]]["id"] == "K003"
    assert first["level"] == "warning"
    assert first["message"]["text"].endswith("hint: review it")
    loc = first["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "accounts/acme/erp/risks.yaml"
    assert loc["region"] == {"startLine": 12, "startColumn": 5}
    assert results[2]["level"] == "error"
    assert results[3]["level"] == "note"
    # non-ASCII and spaces are percent-encoded; separators stay '/'
    assert results[3]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "%E5%AE%A2%E6%88%B7%20a/crm/project.yaml"


def test_sarif_empty_run_is_valid(sarif_validator):
    from kapm.output_ci import format_sarif

    doc = json.loads(format_sarif(_report([])))
    assert not list(sarif_validator.iter_errors(doc))
    assert doc["runs"][0]["results"] == []


def test_sarif_schema_rejects_a_broken_log(sarif_validator):
    """The vendored schema really constrains: a result with a bad level fails."""
    from kapm.output_ci import format_sarif

    doc = json.loads(format_sarif(_report(_findings())))
    doc["runs"][0]["results"][0]["level"] = "fatal"
    assert list(sarif_validator.iter_errors(doc))


# --------------------------------------------------------------------------- through the CLI


@pytest.mark.parametrize("fmt", ["junit", "sarif"])
def test_check_cli_ci_formats(fmt, project_dir, sarif_validator):
    from typer.testing import CliRunner

    from kapm.cli import build_app

    project_dir({"accounts/acme/erp/project.yaml": PROJECT})
    runner = CliRunner()
    args = ["check", ".", "--as-of", "2026-11-20", "--format", fmt]
    res = runner.invoke(build_app(), args)
    assert res.exit_code == 0, res.output
    again = runner.invoke(build_app(), args)
    assert again.output == res.output  # deterministic
    if fmt == "junit":
        root = _validate_junit(res.output)
        failures = root.findall(".//testcase[@name='K003 risk-not-reviewed']/failure")
        assert len(failures) == 1
        assert failures[0].text.startswith("accounts/acme/erp/project.yaml:")
    else:
        doc = json.loads(res.output)
        assert not list(sarif_validator.iter_errors(doc))
        uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]}
        assert uris == {"accounts/acme/erp/project.yaml"}
        assert "K003" in {r["ruleId"] for r in doc["runs"][0]["results"]}


# --------------------------------------------------------------------------- CI integration files


def test_pre_commit_hook_definition():
    import yaml

    hooks = yaml.safe_load((DATA.parent.parent / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook = next(h for h in hooks if h["id"] == "kapm-check")
    assert hook["entry"] == "kapm check"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    assert re.search(hook["files"], "accounts/acme/erp/tasks.yaml")
    assert re.search(hook["files"], "kapm.yml")
    assert not re.search(hook["files"], "README.md")


def test_github_action_definition():
    import yaml

    action = yaml.safe_load((DATA.parent.parent / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    assert {"path", "args", "version"} <= set(action["inputs"])
    scripts = [s.get("run", "") for s in action["runs"]["steps"]]
    assert any("pip install" in s for s in scripts)
    assert any("kapm check" in s and "--format github" in s for s in scripts)
    # inputs reach shell scripts only through env (no ${{ inputs.* }} pasted into a script)
    assert not any("${{" in s for s in scripts)
    # the pull-request workflow: kapm diff between base and head, posted as a comment
    assert action["inputs"]["diff-comment"]["default"] == "false"
    assert any("kapm diff --format md" in s and '"origin/$BASE" HEAD' in s for s in scripts)
    assert any("gh pr comment" in s for s in scripts)
