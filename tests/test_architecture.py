"""The import rule of ARCHITECTURE.md, read from the source: a stage imports only itself and the stages
before it on the data path. An arrow against the path fails here, with the line that drew it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Rank on the data path (ARCHITECTURE.md). Equal ranks in different stages may not import each other.
RANK = {
    "": 0,            # endnoted/__init__.py: the version only
    "common": 0,
    "reading": 1,
    "judging": 2, "probes": 2,   # probes are the judging stage's rules; they live where the design card puts them
    "state": 3,
    "running": 4, "repair": 4,
    "support": 5, "demo": 5,
    "web": 6,
    "cli": 7,
    "__main__": 8,
}
SAME_STAGE = {"probes": "judging"}
# Not part of the data path: the service templates are data files read through importlib.resources.
NOT_CODE = {"service"}


def _stage_of_module(name: str) -> str:
    parts = name.split(".")
    assert parts[0] == "endnoted", name
    if len(parts) == 1:
        return ""
    return parts[1] if parts[1] in RANK or parts[1] in NOT_CODE else ""


def _stage_of_file(path: Path, root: Path) -> tuple[str, str]:
    """Return (stage, dotted module name) of a source file."""
    if path.is_relative_to(root / "probes"):
        return "probes", "endnoted.probes." + path.stem
    relative = path.relative_to(root / "daemon")
    if len(relative.parts) == 1:
        return ("__main__" if path.stem == "__main__" else ""), "endnoted." + path.stem
    return relative.parts[0], "endnoted." + ".".join(relative.with_suffix("").parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("endnoted")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("endnoted"):
            if node.module == "endnoted":   # `from endnoted import x`: x is a stage or the version
                found += [(node.lineno, f"endnoted.{alias.name}") for alias in node.names
                          if alias.name in RANK]
                found.append((node.lineno, "endnoted"))
            else:
                found.append((node.lineno, node.module))
    return found


def violations(root: Path = ROOT) -> list[str]:
    bad: list[str] = []
    sources = sorted((root / "daemon").rglob("*.py")) + sorted((root / "probes").glob("*.py"))
    for path in sources:
        stage, _ = _stage_of_file(path, root)
        for line, module in _imports(path):
            target = _stage_of_module(module)
            if target in NOT_CODE:
                continue
            same = SAME_STAGE.get(stage, stage) == SAME_STAGE.get(target, target)
            if not same and RANK[target] >= RANK[stage]:
                bad.append(f"{path.relative_to(root)}:{line} ({stage or 'endnoted'}) imports {module} "
                           f"({target or 'endnoted'})")
    return bad


def test_every_import_follows_the_data_path() -> None:
    assert violations() == []


def test_every_stage_folder_is_ranked_and_described_in_architecture_md() -> None:
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    for folder in sorted(p for p in (ROOT / "daemon").iterdir() if p.is_dir() and (p / "__init__.py").exists()):
        assert folder.name in RANK, f"daemon/{folder.name} has no rank in this test"
        assert f"`daemon/{folder.name}/`" in text, f"ARCHITECTURE.md does not describe daemon/{folder.name}/"


def test_the_rule_catches_an_arrow_against_the_path(tmp_path: Path) -> None:
    # The checker itself must be able to fail: reading importing the store, and running importing repair.
    (tmp_path / "daemon" / "reading").mkdir(parents=True)
    (tmp_path / "daemon" / "running").mkdir()
    (tmp_path / "probes").mkdir()
    (tmp_path / "daemon" / "reading" / "x.py").write_text(
        "from endnoted.common.errors import EndnotedError\n"
        "def f():\n    from endnoted.state.store import Store\n")
    (tmp_path / "daemon" / "running" / "y.py").write_text("import endnoted.repair.backup\n")
    (tmp_path / "probes" / "z.py").write_text("from endnoted.judging.findings import Finding\n")
    assert violations(tmp_path) == [
        "daemon/reading/x.py:3 (reading) imports endnoted.state.store (state)",
        "daemon/running/y.py:1 (running) imports endnoted.repair.backup (repair)",
    ]


# Issue #10: "no module is over ~400 lines". A little slack for a docstring; a module that grows past it
# is split by what it holds (as snapshot.py became snapshot + model + fold).
MAX_MODULE_LINES = 425


def test_no_module_outgrows_one_subject() -> None:
    sources = sorted((ROOT / "daemon").rglob("*.py")) + sorted((ROOT / "probes").glob("*.py"))
    long = {str(path.relative_to(ROOT)): lines for path in sources
            if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert long == {}
