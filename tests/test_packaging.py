"""Meta-tests: the wheel holds every package, every probe is registered, the README documents the API."""

from __future__ import annotations

import ast
import re
import tomllib

import click

from endnoted.cli import cli
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
    """Every literal finding code in the source (the second argument of a Finding(...) call)."""
    codes: set[str] = set()
    for path in [*(ROOT / "probes").glob("*.py"), *(ROOT / "daemon").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Finding" and len(node.args) > 1:
                arg = node.args[1]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    codes.add(arg.value)
    return codes


def test_every_finding_code_is_in_the_readme() -> None:
    codes = finding_codes()
    assert len(codes) > 15
    missing = sorted(code for code in codes if f"`{code}`" not in README)
    assert not missing, f"README lacks finding codes: {missing}"


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
