"""Every `--json` output has a JSON Schema shipped in the package, and each command's real output validates.

The outputs come from one real scenario: a demo library checked, compared with a Web export, backed
up, verified, restored, watched by a real daemon process, put through the reset wizard as far as its
first question, a service shown (dry runs, every platform) and installed for this one (a stand-in service
manager answers: nothing is registered).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import click
import pytest
from jsonschema import Draft202012Validator

from endnoted.cli import cli
from endnoted.demo.builder import synthetic_refs
from tests.conftest import REALWORLD_MARK, realworld_dir, run

SCHEMAS = resources.files("endnoted") / "schemas"


def json_commands() -> list[str]:
    """Every command (as `name` or `group-name`) that has a --json option."""
    found: list[str] = []

    def walk(group: click.Group, prefix: str) -> None:
        for name, command in sorted(group.commands.items()):
            if isinstance(command, click.Group):
                walk(command, f"{prefix}{name}-")
            elif any(param.name == "as_json" for param in command.params):
                found.append(f"{prefix}{name}")
    walk(cli, "")
    return found


def schema(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    return data


def _json(args: tuple[str, ...], outputs: dict[str, list[Any]], name: str, ok: tuple[int, ...] = (0, 3, 4, 5),
          input: str | None = None) -> Any:
    result = run(*args, input=input)
    assert result.exit_code in ok, (args, result.exit_code, result.stderr)
    data = json.loads(result.stdout)
    outputs.setdefault(name, []).append(data)
    return data


def _wait(predicate: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, list[Any]]]:
    """Run every --json command for real, in a private HOME, state and data folder of its own."""
    base = tmp_path_factory.mktemp("schemas")
    found: dict[str, list[Any]] = {}
    with pytest.MonkeyPatch.context() as env:
        (base / "home").mkdir()
        env.setenv("HOME", str(base / "home"))
        env.setenv("ENDNOTED_STATE_DIR", str(base / "state"))
        env.setenv("ENDNOTED_DATA_DIR", str(base / "data"))
        env.setenv("ENDNOTED_CONFIG", str(base / "config.toml"))
        env.delenv("NOTIFY_SOCKET", raising=False)
        env.delenv("XDG_CONFIG_HOME", raising=False)   # the service file goes into the private HOME
        env.delenv("ENDNOTED_DEBUG", raising=False)
        env.setenv("ENDNOTED_ANSWER_TIMEOUT", "5")
        (base / "config.toml").write_text('stale_after_hours = 12\nnotifications = false\n', encoding="utf-8")

        demo = _json(("demo", "--json"), found, "demo")
        enl = Path(demo["library"])
        with (base / "config.toml").open("a", encoding="utf-8") as file:   # the daemon and `libraries` watch it
            file.write(f"libraries = [{json.dumps(str(enl))}]\n")
        _json(("demo", "--json", "--clean", "--keep", str(base / "no-demo-here")), found, "demo")
        _json(("check", "--json", "-a", str(enl)), found, "check")
        _json(("check", "--json", str(enl.parent)), found, "check")
        export = base / "web.txt"
        # The Web side of the demo library: what was sent (the first five never were), and one record
        # that exists only on the Web.
        lines = [f"{r.title}\t{r.authors[0]}\t{r.year}" for r in synthetic_refs(40, seed=7, attachments=4)[5:]]
        export.write_text("\n".join(["Title\tAuthor\tYear", *lines, "Only on the web\tNobody, N.\t2001"]) + "\n",
                          encoding="utf-8")
        _json(("compare", "--json", str(enl), str(export)), found, "compare")
        made = _json(("backup", "--json", "--to", str(base / "backups"), str(enl)), found, "backup")
        _json(("backup", "--json", "--folder", "--to", str(base / "backups"), str(enl)), found, "backup")
        _json(("verify", "--json", made["backup"]["path"]), found, "verify")
        _json(("backups", "--json"), found, "backups")
        _json(("restore", "--json", made["backup"]["path"], "--to", str(base / "restored")), found, "restore")
        restored = next((base / "restored").glob("*.enl"))
        _json(("compare", "--json", str(enl), str(restored)), found, "compare")            # library against library
        realworld = realworld_dir()
        if (realworld / REALWORLD_MARK).is_file():
            # Another library's Desktop export against a never-synced library: refused, forced, checked.
            cross = base / "cross"
            cross.mkdir()
            enlx = shutil.copy(realworld / "IEBH-RefLib" / "blue-light.enlx", cross)
            other = shutil.copy(realworld / "IEBH-RefLib" / "SpiderCite demo.xml", cross)
            _json(("compare", "--json", "--force", str(enlx), str(other)), found, "compare")
            _json(("check", "--json", "-a", str(enlx), "--export", str(other)), found, "check")
            _json(("check", "--json", "-a", str(enlx), "--export",
                   shutil.copy(realworld / "IEBH-RefLib" / "blue-light.xml", cross)), found, "check")
        _json(("config", "--json"), found, "config")
        _json(("doctor", "--json", "--no-ask"), found, "doctor")

        _json(("status", "--json"), found, "status")               # before the daemon ever ran
        _json(("history", "--json"), found, "history")
        daemon = subprocess.Popen([sys.executable, "-m", "endnoted", "run", "--no-scan", str(enl)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait(lambda: json.loads(run("status", "--json").stdout)["libraries"], 30, "the daemon's first reading")
            _json(("status", "--json"), found, "status")           # running
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=20)
        _json(("status", "--json"), found, "status")               # stopped: the last known state
        _json(("libraries", "--json", "--no-scan"), found, "libraries")
        _json(("history", "--json"), found, "history")
        _json(("history", "--json", str(enl)), found, "history")

        _json(("reset", "--status", "--json", str(enl)), found, "reset")      # no run yet
        assert _json(("reset", "--status", "--json"), found, "reset")["runs"] == []
        run("reset", "--situation", "desktop-right", "--backup-dir", str(base / "backups"), str(enl), input="")
        _json(("reset", "--status", "--json", str(enl)), found, "reset")      # a run waiting on a step
        every = _json(("reset", "--status", "--json"), found, "reset")       # no library: every run under way
        assert [r["library"] for r in every["runs"]] == [str(enl)]

        for platform in ("linux", "macos", "windows"):     # dry runs: this platform's and the others'
            for action in ("install", "uninstall"):
                data = _json(("service", action, "--dry-run", "--json", "--platform", platform), found,
                             f"service-{action}", ok=(0,))
                assert data["dry_run"] is True and data["would_run"] and data["commands"] == []
        if os.name != "nt":
            # No user service manager in this container (systemd is not PID 1; launchctl cannot exist on
            # Linux): a stand-in on PATH answers as it does, so install, status and uninstall run their real
            # code for this platform and register nothing.
            tools = base / "service-tools"
            tools.mkdir()
            for tool in ("systemctl", "launchctl"):
                (tools / tool).write_text("#!/bin/sh\necho 'enabled (stand-in for the service manager)'\n")
                (tools / tool).chmod(0o755)
            env.setenv("PATH", f"{tools}{os.pathsep}{os.environ['PATH']}")
            for action in ("install", "status", "uninstall"):
                _json(("service", action, "--json"), found, f"service-{action}", ok=(0,))
        yield found


def test_every_json_command_has_a_schema_and_every_schema_a_command() -> None:
    shipped = {entry.name.removesuffix(".json") for entry in SCHEMAS.iterdir() if entry.name.endswith(".json")}
    assert set(json_commands()) == shipped - {"error"}   # error.json: what any command prints when it fails


@pytest.mark.parametrize("name", [*json_commands(), "error"])
def test_the_schema_is_valid_and_says_what_it_describes(name: str) -> None:
    document = schema(name)
    Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["title"] and document["description"]
    # Every output names its shape's version; fields may be added, so other properties stay allowed.
    assert "schema" in document["required"] and document.get("additionalProperties", True) is not False


@pytest.mark.parametrize("name", json_commands())
def test_the_real_output_validates_against_its_schema(outputs: dict[str, list[Any]], name: str) -> None:
    if name.startswith("service-") and os.name == "nt":
        pytest.skip("service install would register a real logon task on Windows")
    assert outputs.get(name), f"the scenario never ran `{name.replace('-', ' ')} --json`"
    validator = Draft202012Validator(schema(name))
    for data in outputs[name]:
        errors = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
        assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])
        assert isinstance(data["schema"], int)


def test_a_schema_rejects_an_output_that_lacks_a_required_field(outputs: dict[str, list[Any]]) -> None:
    # The schemas are not vacuous: take a real check output and drop a library's verdict.
    data = json.loads(json.dumps(outputs["check"][0]))
    del data["libraries"][0]["verdict"]
    assert list(Draft202012Validator(schema("check")).iter_errors(data))


def test_a_failing_command_given_json_prints_its_error_as_json(tmp_path: Path) -> None:
    # Scripts that asked for JSON get JSON on failure too: the error line on stderr, the same
    # message and the exit code as an object on stdout (schemas/error.json).
    not_a_zip = tmp_path / "passwd.enlx"
    not_a_zip.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    export = tmp_path / "other.txt"
    export.write_text("Title\tAuthor\tYear\nSomething else entirely\tNobody, N.\t1999\n", encoding="utf-8")
    library = tmp_path / "lib"
    demo = json.loads(run("demo", "--json", "--keep", str(library)).stdout)
    validator = Draft202012Validator(schema("error"))
    for args, code in ((("verify", "--json", str(not_a_zip)), 2),   # no zip at all: the wrong file named
                       (("compare", "--json", demo["library"], str(export)), 2),
                       (("reset", "--status", "--json", str(tmp_path / "nothing.enl")), 2)):
        result = run(*args)
        assert result.exit_code == code, (args, result.stderr)
        data = json.loads(result.stdout)
        assert not list(validator.iter_errors(data)), data
        assert data["error"]["exit"] == code
        assert result.stderr.strip() == f"Error: {data['error']['message']}"
    without = run("verify", str(not_a_zip))
    assert without.exit_code == 2 and without.stdout == ""


def test_compare_lists_references_in_one_shape_on_both_sides(outputs: dict[str, list[Any]]) -> None:
    # Desktop and Web items used to differ (`id` an integer, `record_number` a string).
    items = [item for data in outputs["compare"] for key in ("missing_on_web", "missing_on_desktop",
                                                              "duplicates_web", "duplicates_desktop")
             for item in data[key]]
    assert {item["side"] for item in items} == {"desktop", "web"}
    assert len({tuple(sorted(item)) for item in items}) == 1
    assert all(item["record"] is None or isinstance(item["record"], int) for item in items)
    for data in outputs["check"]:
        for library in data["libraries"]:
            for finding in library["findings"]:
                assert all(ref["record"] is None or isinstance(ref["record"], int)
                           for ref in finding.get("references", []))
