"""What a newcomer downloads: a complete sdist, a licence, honest metadata, and no Linux-only dependency elsewhere."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.conftest import REALWORLD_ENV, ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _tracked_files() -> list[str]:
    """Every file git tracks or would track (new, not ignored): what a fresh clone holds."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("the sdist is compared with a git checkout; this tree is not one (an unpacked sdist?)")
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout
    return sorted(name for name in listed.split("\0") if name and (ROOT / name).is_file())


def test_the_sdist_holds_every_file_of_a_clone_and_its_tests_collect(tmp_path: Path) -> None:
    tracked = _tracked_files()
    source = tmp_path / "src"
    for name in tracked:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(tmp_path / "dist"),
                    str(source)], check=True, capture_output=True, timeout=300)
    (archive,) = (tmp_path / "dist").glob("endnoted-*.tar.gz")
    with tarfile.open(archive) as tar:
        members = {m.name.split("/", 1)[1] for m in tar.getmembers() if m.isfile()}
        # Our own fresh archive; the "data" filter where this Python has it (3.11.4 and later, not Debian 12's 3.11.2).
        if hasattr(tarfile, "data_filter"):
            tar.extractall(tmp_path / "unpacked", filter="data")
        else:
            tar.extractall(tmp_path / "unpacked")  # noqa: S202
    missing = sorted(set(tracked) - members - {".gitignore"})
    assert not missing, f"the sdist lacks {missing}"
    assert {"tests/conftest.py", "LICENSE", "scripts/test", ".ci/run"} <= members
    (unpacked,) = (tmp_path / "unpacked").iterdir()
    assert os.access(unpacked / "scripts" / "test", os.X_OK)
    # The sdist's own tests collect: conftest.py and every helper module they import are inside.
    env = {**os.environ, REALWORLD_ENV: str(tmp_path / "no-corpus")}
    env.pop("CI", None)
    collected = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q"], cwd=unpacked, env=env,
                               capture_output=True, text=True, timeout=300)
    assert collected.returncode == 0, collected.stdout[-3000:] + collected.stderr[-3000:]


def test_the_licence_is_mit_in_the_file_and_in_the_metadata() -> None:
    assert PROJECT["license"] == "MIT"                       # an SPDX expression (PEP 639), not a table
    assert PROJECT["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "THE SOFTWARE IS PROVIDED \"AS IS\"" in text
    # setuptools refuses a License :: classifier next to an SPDX expression; the expression says it.
    assert not [c for c in PROJECT["classifiers"] if c.startswith("License ::")]


def test_the_metadata_says_which_python_and_which_systems() -> None:
    assert PROJECT["requires-python"] == ">=3.11"
    classifiers = set(PROJECT["classifiers"])
    assert {"Operating System :: MacOS", "Operating System :: Microsoft :: Windows",
            "Operating System :: POSIX :: Linux", "Programming Language :: Python :: 3.11"} <= classifiers


def test_jeepney_is_only_required_on_linux() -> None:
    requirements = {Requirement(line).name: Requirement(line) for line in PROJECT["dependencies"]}
    marker = requirements["jeepney"].marker
    assert marker is not None
    assert marker.evaluate({"sys_platform": "linux"})
    assert not marker.evaluate({"sys_platform": "darwin"}) and not marker.evaluate({"sys_platform": "win32"})


def test_without_jeepney_the_cli_works_and_alerts_say_they_cannot_be_delivered(tmp_path: Path) -> None:
    # jeepney is hidden from a real subprocess (as on a system where it is not installed);
    # nothing of ours is replaced.
    code = (
        "import sys; sys.modules['jeepney'] = None\n"
        "from endnoted.cli import cli\n"
        "from endnoted.running.notify import notification_server_present\n"
        "present, why = notification_server_present()\n"
        "print(present, why)\n"
    )
    env = {**os.environ, "DBUS_SESSION_BUS_ADDRESS": f"unix:path={tmp_path}/no-bus", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("False ") and "jeepney" in result.stdout
    help_text = subprocess.run([sys.executable, "-c", "import sys; sys.modules['jeepney'] = None\n"
                                "from endnoted.cli import main; sys.argv = ['endnoted', 'demo', '--help']; main()"],
                               env=env, capture_output=True, text=True, timeout=60)
    assert help_text.returncode == 0 and "demo" in help_text.stdout


def test_a_plain_editable_install_finds_every_package(tmp_path: Path) -> None:
    # `pip install -e .` without editable_mode=strict maps each package to its folder through a finder;
    # a folder without __init__.py (service/ was one) is then not found. A real venv, a real pip, the
    # clone's own files; the dependencies come from this interpreter's site-packages (no download).
    source = tmp_path / "src"
    for name in _tracked_files():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / ("python.exe" if os.name == "nt" else "python")
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    # A path line (not a site dir): this interpreter's packages, without its own editable endnoted.
    (Path(purelib) / "outer.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    installed = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-build-isolation", "--no-deps",
                                "--disable-pip-version-check", "-e", str(source)],
                               capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr[-3000:]
    env = {name: value for name, value in os.environ.items() if name != "XDG_CONFIG_HOME"}   # HOME: tmp_path's
    where = subprocess.run([str(python), "-c", "import endnoted; print(endnoted.__file__)"], env=env,
                           capture_output=True, text=True, timeout=60)
    assert Path(where.stdout.strip()).is_relative_to(source), where.stdout + where.stderr   # this install, not ours
    endnoted = str(bindir / "endnoted")
    status = subprocess.run([endnoted, "service", "status", "--platform", "linux"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert status.returncode == 0 and "installed: no" in status.stdout, status.stderr
    doctor = subprocess.run([endnoted, "doctor", "--no-ask"], env=env, capture_output=True, text=True, timeout=120)
    assert doctor.returncode in (0, 3) and "Error" not in doctor.stderr, doctor.stderr


def _readme_set_up_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Set-up on a fresh machine", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    return [line.split("   #", 1)[0].strip() for line in block.splitlines() if line.strip()]


def test_the_readme_first_command_installs_and_runs_the_demo_on_a_fresh_home(tmp_path: Path) -> None:
    # As written, in a HOME nobody used and a PATH without pipx's folder of commands (a fresh machine):
    # `pipx install . && endnoted demo` failed there with "command not found". Real pipx, real install.
    install, test = _readme_set_up_commands()
    assert test == "./scripts/test" and "pipx install ." in install and "endnoted" in install.split("pipx install .")[1]
    pipx = shutil.which("pipx")
    if pipx is None:
        if os.environ.get("CI"):
            pytest.fail("pipx is missing: ./scripts/test installs Debian's pipx package")
        pytest.skip("needs pipx (./scripts/test installs it)")
    source = tmp_path / "src"
    for name in _tracked_files():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    home = tmp_path / "fresh-home"
    home.mkdir()
    # Only the system's folders of commands: no venv of ours, no ~/.local/bin, nothing that has `endnoted`.
    path = os.pathsep.join(folder for folder in os.environ["PATH"].split(os.pathsep)
                           if folder and shutil.which("endnoted", path=folder) is None
                           and not Path(folder).is_relative_to(ROOT))
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("PIPX_", "ENDNOTED_", "VIRTUAL_ENV", "XDG_"))}
    env.update(HOME=str(home), PATH=path)
    done = subprocess.run(["bash", "-c", install], cwd=source, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-3000:])
    assert "Demo Library" in done.stdout and "endnoted check" in done.stdout
    assert (home / ".local" / "bin" / "endnoted").exists()
