"""`endnoted config`: the file in use, and every value in effect with where it came from."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from endnoted.common import config, paths
from tests.conftest import run

if os.name == "posix":
    import resource  # POSIX only: caps the child's memory below


def shown(*args: str) -> dict[str, object]:
    result = run("config", "--json", *args)
    assert result.exit_code == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_without_a_file_every_setting_is_its_default(tmp_path: Path) -> None:
    data = shown()
    assert data["file"] == {"path": str(tmp_path / "config.toml"), "exists": False, "from": "environment",
                            "variable": "ENDNOTED_CONFIG"}
    settings = data["settings"]
    assert isinstance(settings, dict)
    every = {item.name for item in fields(config.Config)} - {"source", "from_file"}
    assert set(settings) == every
    assert {name: value["from"] for name, value in settings.items() if name != "backups_dir"} == \
        dict.fromkeys(every - {"backups_dir"}, "default")
    assert settings["stale_after_hours"]["value"] == 24.0
    assert "not there: every setting has its default" in run("config").stdout


def test_values_from_the_file_and_the_environment_say_so(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('stale_after_hours = 6\nscan_roots = ["papers"]\nnotifications = false\n')
    data = shown()
    settings = data["settings"]
    assert isinstance(settings, dict)
    assert settings["stale_after_hours"] == {"value": 6.0, "from": "file", "variable": None}
    assert settings["scan_roots"] == {"value": [str(tmp_path / "papers")], "from": "file", "variable": None}
    assert settings["notifications"]["from"] == "file" and settings["notifications"]["value"] is False
    assert settings["full_pass_minutes"] == {"value": 15.0, "from": "default", "variable": None}
    # backups_dir was not set in the file: its default lives in the data folder that ENDNOTED_DATA_DIR moved.
    assert settings["backups_dir"] == {"value": str(tmp_path / "data" / "backups"), "from": "environment",
                                       "variable": "ENDNOTED_DATA_DIR"}
    text = run("config").stdout
    assert "stale_after_hours" in text and "file" in text and "environment (ENDNOTED_DATA_DIR)" in text


@pytest.mark.parametrize(("folder", "variable"), [(folder, variable) for folder, names in
                                                  config.FOLDER_VARIABLES.items() for variable in names])
def test_each_folder_variable_is_the_one_paths_obeys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     folder: str, variable: str) -> None:
    for names in config.FOLDER_VARIABLES.values():
        for name in names:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, str(tmp_path / "moved"))
    assert getattr(paths, folder)() == tmp_path / "moved"
    shown_folder = next(item for item in config.folders_in_effect() if item.name == folder)
    assert (shown_folder.value, shown_folder.source, shown_folder.variable) == \
        (str(tmp_path / "moved"), "environment", variable)


def test_a_bad_file_is_one_line_listing_every_problem(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('stale_after_hours = "soon"\ncolour = "blue"\n')
    result = run("config")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "stale_after_hours" in result.stderr and "colour" in result.stderr


def _limited(*args: str, config_path: Path) -> subprocess.CompletedProcess[str]:
    """The real CLI in a child whose address space is capped at 1 GiB, so reading /dev/zero cannot take the machine."""
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    return subprocess.run([sys.executable, "-m", "endnoted", *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "ENDNOTED_CONFIG": str(config_path)}, preexec_fn=cap)


@pytest.mark.skipif(os.name != "posix", reason="devices, FIFOs and RLIMIT_AS are POSIX")
def test_a_config_path_that_is_no_small_regular_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    fifo = tmp_path / "config.fifo"
    os.mkfifo(fifo)   # nobody ever writes to it: a blocking read would wait forever
    huge = tmp_path / "huge.toml"
    huge.write_text("# a comment\n" * (config.MAX_CONFIG_BYTES // 12 + 1))   # valid TOML, only too big
    (tmp_path / "empty").mkdir()
    for unfit in (Path("/dev/zero"), fifo, tmp_path, huge):
        for args in (("config",), ("check", str(tmp_path / "empty"))):
            result = _limited(*args, config_path=unfit)
            assert result.returncode == 2, (unfit, args, result.returncode, result.stderr[-500:])
            assert result.stdout == "" and result.stderr.count("\n") == 1, (unfit, result.stderr[-500:])
            assert result.stderr.startswith(f"Error: config file {unfit} ") and "Traceback" not in result.stderr
    # A regular file just under the limit still reads.
    fine = tmp_path / "fine.toml"
    fine.write_text("# a comment\n" * ((config.MAX_CONFIG_BYTES - 100) // 12) + "stale_after_hours = 6\n")
    assert _limited("config", config_path=fine).returncode == 0
