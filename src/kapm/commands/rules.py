"""kapm rules: list rules, or show one rule's documentation."""

from __future__ import annotations

from typing import Optional

import typer

from kapm.commands import common


def register(app: typer.Typer) -> None:
    @app.command()
    def rules(
        code: Optional[str] = typer.Argument(None, help="A rule code such as K003."),
        format: str = typer.Option("text", "--format", "-f", help="text or json."),
    ) -> None:
        """List the rules, or print the documentation of one (with a failing and a passing example)."""
        import json

        from kapm.rules import all_rules
        from kapm.rules.docs import rule_json, rule_text, table_text

        common.check_format(format, ("text", "json"))
        registry = all_rules()
        if code is None:
            if format == "json":
                print(json.dumps([rule_json(r) for r in registry.values()], ensure_ascii=False, indent=2))
            else:
                print(table_text(registry.values()), end="")
            return
        r = registry.get(code.upper())
        if r is None:
            raise common.fail_usage(f"unknown rule code {code!r}; run 'kapm rules' for the list")
        if format == "json":
            print(json.dumps(rule_json(r), ensure_ascii=False, indent=2))
        else:
            print(rule_text(r), end="")
