"""The terminal reset wizard's words (cli/render_reset.py)."""

from __future__ import annotations

from endnoted.cli import render_reset as words


def test_the_reset_wizards_words_read_one_as_one_and_show_the_reset_text() -> None:
    assert words.web_only(1, "Lib", ["A title"])[0].startswith("  ! Steps 2-4 delete 1 reference that is on EndNote Web")
    assert "2 references that are" in words.web_only(2, "Lib", ["a", "b"])[0]
    assert words.web_only(1, "Lib", ["x" * 200])[1] == "      - " + "x" * 90
    assert words.reset_text("me@example.org", "#!resetLocalSync") == "  Enter exactly:  me@example.org#!resetLocalSync"
    assert words.reset_text("", "#!resetLocalSync") == "  Append exactly:  #!resetLocalSync"
    assert words.step_heading(3, 14, "Empty the trash", None) == "\nStep 3 of 14: Empty the trash"
    assert words.step_heading(3, 14, "Empty the trash", "New").endswith("  (library: New)")
    assert words.do_not_reset(["Keep the Web copy.", "Open {name} at {path}"], "Lib", "/p") == [
        "Then do not reset: keep the Web copy.", "  1. Open Lib at /p"]
