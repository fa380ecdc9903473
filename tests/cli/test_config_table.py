"""`endnoted config` as text: long values (several libraries, deep scan roots) keep the table in line."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run


def test_long_values_sit_on_their_own_lines_and_from_stays_in_its_column(tmp_path: Path) -> None:
    deep = tmp_path / "Research Projects 2026" / "Systematic review of everything" / "EndNote"
    libraries = [str(deep / f"My EndNote Library {n}.enl") for n in range(3)]
    (tmp_path / "config.toml").write_text(f"libraries = {libraries!r}\nscan_roots = [\"papers\", \"{deep}\"]\n"
                                          .replace("'", '"'))
    result = run("config")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    header = next(line for line in lines if line.startswith("SETTING"))
    column = header.index("FROM")
    table = lines[lines.index(header) + 1:lines.index("", lines.index(header))]
    for line in table:
        if not line.startswith(" "):                      # a setting's own line: FROM in its column
            assert line[column - 2:column] == "  " and line[column] != " ", line
        else:                                             # a value line: under VALUE, nothing after it
            assert line[:header.index("VALUE")].strip() == "" and "file" not in line.split()[-1:], line
    assert all(line.rstrip() == line for line in lines)
    for path in libraries:                                # every library on a line of its own, whole
        assert sum(line.strip() == path for line in lines) == 1
    assert any(line.strip() == str(tmp_path / "papers") for line in lines)
    libraries_line = next(line for line in table if line.startswith("libraries"))
    assert libraries_line.split() == ["libraries", "file"]
