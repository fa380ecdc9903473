"""The real-library corpus is found through one fixture; without it a bare clone skips (or CI fails) in one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REALWORLD_ENV, ROOT, real_libraries


def test_every_real_sample_is_in_the_corpus_with_its_provenance(realworld: Path) -> None:
    sources = (realworld / "SOURCES.md").read_text(encoding="utf-8")
    for folder, name in real_libraries():
        assert (realworld / folder / name).is_file(), folder
        assert f"`{folder.split('/')[0]}/" in sources, folder


def _pytest(tmp_path: Path, *args: str, ci: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS")}
    env[REALWORLD_ENV] = str(tmp_path / "nothing-here")
    if ci:
        env["CI"] = "true"
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_without_the_corpus_a_realworld_test_skips_saying_what_is_missing_and_how_to_get_it(tmp_path: Path) -> None:
    result = _pytest(tmp_path, f"{Path(__file__).relative_to(ROOT)}::"
                     "test_every_real_sample_is_in_the_corpus_with_its_provenance", ci=False)
    assert result.returncode == 0, result.stdout + result.stderr
    skipped = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    assert len(skipped) == 1
    assert str(tmp_path / "nothing-here") in skipped[0]
    assert "../shared/realworld" in skipped[0] and REALWORLD_ENV in skipped[0]


def test_under_ci_a_missing_corpus_fails_the_run(tmp_path: Path) -> None:
    result = _pytest(tmp_path, f"{Path(__file__).relative_to(ROOT)}::"
                     "test_every_real_sample_is_in_the_corpus_with_its_provenance", ci=True)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "CI=true: the corpus is required" in result.stdout


def test_a_bare_clone_collects_every_test_without_the_corpus(tmp_path: Path) -> None:
    # Nothing may read the corpus at import time: collection of the whole suite succeeds without it.
    result = _pytest(tmp_path, "--collect-only", ci=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert "error" not in result.stdout.splitlines()[-1].lower()
