"""The CI workflow covers the three platforms and two Pythons the README promises."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_workflow_runs_on_all_three_platforms_and_the_readme_says_so() -> None:
    workflow = (ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for runner in ("ubuntu-latest", "windows-latest", "macos-latest"):
        assert runner in workflow and f"`{runner}`" in readme
    assert 'python: ["3.11", "3.13"]' in workflow and "Python 3.11 and 3.13" in readme
    assert "pytest" in workflow and "mypy -p endnoted" in workflow
