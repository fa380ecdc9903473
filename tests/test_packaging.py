"""Meta-tests: the wheel holds every package, every probe is registered, the README documents the API."""

from __future__ import annotations

import ast
import re
import tomllib

import click

from endnoted.cli import cli
from endnoted.judging.findings import State
from endnoted.probes import builtin_probes
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_source_package_is_listed_for_the_wheel() -> None:
    # setuptools silently drops a subpackage that is missing from `packages`.
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(setuptools["packages"])
    for name, folder in setuptools["package-dir"].items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder).parts
            assert ".".join((name, *relative)) in listed, f"{init.parent} is not in [tool.setuptools] packages"


def test_every_probe_module_is_registered() -> None:
    registered = {type(probe).__module__.rsplit(".", 1)[-1] for probe in builtin_probes()}
    modules = {path.stem for path in (ROOT / "probes").glob("*.py")} - {"__init__", "base"}
    assert modules == registered


def finding_codes() -> set[str]:
    """Every literal finding code in the source: the second argument of a Finding(...) call, or the
    "code" of a finding written as a dict, or a `code=` keyword (the daemon's `library.gone`)."""
    codes: set[str] = set()
    for path in [*(ROOT / "probes").rglob("*.py"), *(ROOT / "daemon").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Finding" and len(node.args) > 1:
                arg = node.args[1]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    codes.add(arg.value)
            if isinstance(node, ast.Call):
                codes.update(keyword.value.value for keyword in node.keywords
                             if keyword.arg == "code" and isinstance(keyword.value, ast.Constant)
                             and isinstance(keyword.value.value, str) and "." in keyword.value.value)
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value == "code" and isinstance(value, ast.Constant) \
                            and isinstance(value.value, str) and "." in value.value:
                        codes.add(value.value)
    return codes


def readme_table(heading: str) -> list[list[str]]:
    """The rows (cells stripped, header and rule left out) of the first table under a README heading."""
    section = README.split(f"\n{heading}\n", 1)[1]
    lines = section.split("\n\n|", 1)[1].split("\n\n", 1)[0]
    rows = [line for line in ("|" + lines).splitlines() if line.startswith("|")]
    assert len(rows) > 2 and set(rows[1].replace("|", "").split()) == {"---"}, rows[:2]
    return [[cell.strip() for cell in row.strip().strip("|").split(" | ")] for row in rows[2:]]


def test_every_finding_code_is_in_the_readmes_findings_table() -> None:
    codes = finding_codes()
    assert len(codes) > 40 and "library.gone" in codes and "sync.ledger-incomplete" in codes
    rows = readme_table("### Findings")
    assert all(len(row) == 3 for row in rows), [row for row in rows if len(row) != 3]
    listed = [row[0] for row in rows]
    assert len(listed) == len(set(listed)), "a finding code listed twice"
    missing = sorted(code for code in codes if f"`{code}`" not in listed)
    assert not missing, f"README's Findings table lacks finding codes: {missing}"
    assert sorted(code.strip("`") for code in listed if code.strip("`") not in codes) == []


def test_the_readmes_verdict_table_has_each_verdict_once_with_real_codes() -> None:
    rows = readme_table("### Verdicts")
    assert all(len(row) == 3 for row in rows), [row for row in rows if len(row) != 3]
    assert sorted(row[0] for row in rows) == sorted(f"`{state.value}`" for state in State)
    codes = finding_codes()
    assert " ;" not in README   # no gap left where a text was cut out
    named = {code for row in rows for code in re.findall(r"`([a-z]+\.[a-z-]+)`", row[1])}
    assert named and named <= codes, sorted(named - codes)


def test_every_command_has_help_and_is_in_the_readme() -> None:
    def walk(group: click.Group, prefix: str) -> list[tuple[str, click.Command]]:
        found = []
        for name, command in group.commands.items():
            found.append((f"{prefix} {name}", command))
            if isinstance(command, click.Group):
                found += walk(command, f"{prefix} {name}")
        return found

    for name, command in walk(cli, "endnoted"):
        assert command.help, f"{name} has no help text"
        assert re.search(rf"`{re.escape(name)}\b", README), f"README does not mention `{name}`"


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "./scripts/test" in ci and "./scripts/test" in README
