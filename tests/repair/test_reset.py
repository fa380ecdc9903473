"""The reset wizard driven end to end through its real CLI, playing EndNote's part between steps.

EndNote itself cannot run here: a real process named "EndNote" (a link to the Python interpreter)
stands in for it, so the running/restarted checks see a real process start and stop; the library
copies are edited the way EndNote would edit them (trash emptied, sync rows cleared, a new sync).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from endnoted.demo.builder import SCHEMA, edit
from tests.conftest import Wizard, run, tree_hash


def database(enl: Path) -> Path:
    return enl.with_suffix(".Data") / "sdb" / "sdb.eni"


def empty_trash(enl: Path) -> None:
    with edit(database(enl)) as db:
        db.execute("DELETE FROM refs WHERE trash_state != 0")


def reset_local_sync(enl: Path) -> None:
    """What #!resetLocalSync does on disk, as far as it is known (ENDNOTE-FORMAT.md §3): the ledger goes."""
    with edit(database(enl)) as db:
        db.execute("DELETE FROM sync")
        db.execute("DELETE FROM misc WHERE code = 6 AND subcode BETWEEN 39 AND 49")


def full_sync(enl: Path) -> None:
    """A completed full sync: every reference gets a sync row, and a new last-sync time and USN."""
    with edit(database(enl)) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "sync" not in tables:
            for statement in SCHEMA:
                if "TABLE sync " in statement or "ON sync(" in statement:
                    db.execute(statement)
        db.execute("DELETE FROM sync")
        ids = [row[0] for row in db.execute("SELECT id FROM refs")]
        db.executemany("INSERT INTO sync (type, item_id, item_id2, guid, usn, action, status, file_timestamp, "
                       "file_checksum, action_timestamp, changed_membership_timestamp, changed_readstatus_timestamp, "
                       "changed_rating_timestamp, changed_trash_timestamp) "
                       "VALUES (1, ?, '', ?, ?, 0, 0, 0, 0, 0, 0, 0, 0, 0)",
                       [(ref_id, f"guid-{ref_id}", n + 1) for n, ref_id in enumerate(ids)])
        # Attachments get their own sync rows (type 4): unsent attachments are waiting work (issue #11).
        files = db.execute("SELECT refs_id, file_path FROM file_res").fetchall()
        db.executemany("INSERT INTO sync (type, item_id, item_id2, guid, usn, action, status, file_timestamp, "
                       "file_checksum, action_timestamp, changed_membership_timestamp, changed_readstatus_timestamp, "
                       "changed_rating_timestamp, changed_trash_timestamp) "
                       "VALUES (4, ?, ?, ?, ?, 0, 0, 0, 0, 0, 0, 0, 0, 0)",
                       [(refs_id, path, f"guid-file-{n}", len(ids)) for n, (refs_id, path) in enumerate(files)])
        now_ms = int(datetime.now(UTC).timestamp() * 1000) + 2000
        for subcode, value in ((41, now_ms), (42, len(ids)), (39, "SYNTHETICUSER")):
            db.execute("INSERT OR REPLACE INTO misc (code, subcode, value) VALUES (6, ?, CAST(? AS BLOB))",
                       (subcode, str(value)))


def web_export(enl: Path, path: Path, *, extra: tuple[str, ...] = (), drop: int = 0) -> Path:
    """An export of what EndNote Web would hold after the sync: the library's live references."""
    db = sqlite3.connect(f"{database(enl).as_uri()}?mode=ro", uri=True)
    rows = db.execute("SELECT title, author, year, electronic_resource_number FROM refs WHERE trash_state = 0 "
                      "ORDER BY id").fetchall()
    db.close()
    lines = ["Title\tAuthor\tYear\tDOI"]
    lines += [f"{t}\t{(a or '').split(chr(13))[0]}\t{y}\t{d}".replace("\r", " ").replace("\n", " ")
              for t, a, y, d in rows[drop:]]
    lines += [f"{title}\tWeb, Only\t2020\t" for title in extra]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    folder = tmp_path / "Downloads"
    folder.mkdir()
    (tmp_path / "config.toml").write_text(f'export_folders = ["{folder}"]\nbackups_dir = "{tmp_path / "backups"}"\n')
    return folder


def state_db_text(tmp_path: Path) -> bytes:
    state = Path(os.environ["ENDNOTED_STATE_DIR"])
    return b"".join(p.read_bytes() for p in state.glob("state.db*"))


def test_situation_a_from_start_to_finish(real_copy: Callable[[str], Path], endnote: Callable[[Path | None], None],
                                          downloads: Path, tmp_path: Path) -> None:
    copy = real_copy("momonong-swim-apps-reviews-analysis/en21-synced")   # synced; 5 references in the trash
    enl = copy / "My EndNote Library.enl"
    before_export = web_export(enl, tmp_path / "web-before.txt", extra=("A paper only EndNote Web holds",
                                                                         "Another Web-only paper"))
    endnote(None)
    wizard = Wizard(str(enl), "--situation", "desktop-right", "--export", str(before_export))
    text = wizard.expect("Go on anyway? [yes/no]:")      # the export shows Web-only references: no reset called for
    assert "a reset would delete these references from EndNote Web" in text
    wizard.answer("yes")
    wizard.expect("proven backup:")
    wizard.expect("Step 1 of 14")
    wizard.expect("Press Enter when it is done:")
    wizard.answer("")                                   # said done, but EndNote was not restarted
    wizard.expect("EndNote was not restarted")
    wizard.expect("or type q to stop here")
    endnote(None)                                       # the user restarts EndNote
    wizard.answer("")                                   # one key looks again
    wizard.expect("EndNote restarted")
    text = wizard.expect("to go on, or q to stop:")     # step 2: what will be lost, and the typed name
    assert "delete 2 references that are on EndNote Web but NOT in My EndNote Library" in text
    assert "A paper only EndNote Web holds" in text
    wizard.answer("my endnote library")
    wizard.expect("That is not the library's name.")
    wizard.expect("to go on, or q to stop:")
    wizard.answer("My EndNote Library")
    wizard.expect("Done? [yes/no]:")
    wizard.answer("yes")                                # step 2 done on the Web
    wizard.expect("Step 3 of 14")
    wizard.expect("Done? [yes/no]:")
    wizard.answer("yes")
    wizard.expect("Step 4 of 14")
    wizard.expect("Press Enter when it is done:")
    wizard.answer("")                                   # the Desktop trash still holds 5
    wizard.expect("5 references are still in the Desktop trash")
    wizard.expect("or type q to stop here")
    empty_trash(enl)
    wizard.answer("")
    wizard.expect("the Desktop trash is empty")
    wizard.expect("(it is not stored), or press Enter to skip:")
    wizard.answer("jane.doe@example.org")
    wizard.expect("Enter exactly:  jane.doe@example.org#!resetLocalSync")
    wizard.expect("Done? [yes/no]:")
    wizard.answer("yes")                                # step 5
    wizard.expect("Step 6 of 14")
    wizard.expect("Done? [yes/no]:")
    wizard.answer("yes")
    wizard.expect("Step 7 of 14")
    wizard.expect("Press Enter when it is done:")
    reset_local_sync(enl)
    wizard.answer("")
    wizard.expect("the local sync ledger is cleared")
    wizard.expect("Step 8 of 14")
    wizard.expect("Press Enter when it is done:")
    endnote(database(enl))                              # restarted, and holding the library open
    wizard.answer("")
    wizard.expect("EndNote restarted")
    wizard.expect("Step 9 of 14")
    wizard.expect("Press Enter when it is done:")
    wizard.answer("")
    wizard.expect("EndNote has My EndNote Library open")
    for step in (10, 11, 12):
        wizard.expect(f"Step {step} of 14")
        wizard.expect("Done? [yes/no]:")
        wizard.answer("yes")
    wizard.expect("Step 13 of 14")
    wizard.expect("Press Enter when it is done:")
    wizard.answer("")
    wizard.expect("no sync has completed since the reset started")
    wizard.expect("or type q to stop here")
    full_sync(enl)
    wizard.answer("")
    wizard.expect("the full sync finished")
    wizard.expect("Step 14 of 14")
    wizard.expect("Press Enter when it is done:")
    web_export(enl, downloads / "web-after.txt")
    wizard.answer("")
    wizard.expect("The Web export to compare")
    wizard.answer("")                                   # take the newest export found in Downloads
    wizard.expect("matches:")
    assert wizard.finish() == 0
    status = json.loads(run("reset", "--status", "--json", str(enl)).stdout)
    assert status["step"] is None
    assert b"jane.doe@example.org" not in state_db_text(tmp_path)   # the e-mail is never stored
    assert json.loads(run("check", "--json", str(enl)).stdout)["libraries"][0]["verdict"] == "in-sync"


def test_situation_b_makes_another_library_the_synced_one(real_copy: Callable[[str], Path],
                                                          endnote: Callable[[Path | None], None],
                                                          downloads: Path, tmp_path: Path) -> None:
    old = real_copy("Wanganlin00-EndNote/en21-synced") / "My EndNote Library.enl"
    new = real_copy("Zhentao010-Endnote/en20-unsynced") / "My EndNote Library.enl"
    empty_trash(new)
    endnote(None)
    wizard = Wizard(str(old), "--situation", "new-library", "--new-library", str(new),
                    "--backup-dir", str(tmp_path / "bk"))
    wizard.expect("Go on anyway? [yes/no]:")            # in sync: nothing calls for a reset
    wizard.answer("yes")
    text = wizard.expect("Step 1 of 14")
    assert text.count("proven backup:") >= 2          # both libraries are backed up first
    wizard.expect("Press Enter when it is done:")
    endnote(None)
    wizard.answer("")
    wizard.expect("to go on, or q to stop:")            # no export known: friction all the same
    wizard.answer("My EndNote Library")
    wizard.expect("Done? [yes/no]:")                    # step 2 (its header came before the typed name)
    wizard.answer("yes")
    wizard.expect("Step 3 of 14")
    wizard.expect("Done? [yes/no]:")
    wizard.answer("yes")
    wizard.expect("Step 4 of 14")
    wizard.expect("Press Enter when it is done:")
    wizard.answer("")
    wizard.expect("the Desktop trash is empty")
    wizard.expect("or press Enter to skip:")
    wizard.answer("")
    wizard.expect("Append exactly:  #!resetLocalSync")
    for _ in (5, 6):
        wizard.expect("Done? [yes/no]:")
        wizard.answer("yes")
    wizard.expect("Press Enter when it is done:")
    reset_local_sync(old)
    wizard.answer("")
    wizard.expect("the local sync ledger is cleared")
    wizard.expect("Press Enter when it is done:")
    endnote(database(new))                              # step 8 restart; step 9 opens the NEW library
    wizard.answer("")
    wizard.expect("EndNote restarted")
    wizard.expect("Press Enter when it is done:")
    wizard.answer("")
    wizard.expect("EndNote has My EndNote Library open")
    for _ in (10, 11, 12):
        wizard.expect("Done? [yes/no]:")
        wizard.answer("yes")
    wizard.expect("Press Enter when it is done:")
    full_sync(new)
    wizard.answer("")
    wizard.expect("the full sync finished")
    wizard.expect("Press Enter when it is done:")
    export = web_export(new, downloads / "new-library-export.txt")
    wizard.answer("")
    wizard.expect("The Web export to compare")
    wizard.answer(str(export))
    wizard.expect("matches: 193 references on both sides")  # 193 live, 36 extra copies among them: on both sides, so paired
    assert wizard.finish() == 0


def test_no_proven_backup_means_no_step_1(real_copy: Callable[[str], Path], tmp_path: Path) -> None:
    enl = real_copy("Wanganlin00-EndNote/en21-synced") / "My EndNote Library.enl"
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the backup folder should be")
    result = run("reset", str(enl), "--situation", "desktop-right", "--backup-dir", str(blocker / "backups"),
                 input="yes\n")                    # in sync: go on anyway
    assert result.exit_code == 1
    assert "No proven backup could be made" in result.stdout and "will not go further" in result.stdout
    assert "Step 1 of 14" not in result.stdout
    status = json.loads(run("reset", "--status", "--json", str(enl)).stdout)
    assert status["step"] == 0 and status["observed"][-1]["how"] == "refused"


def test_no_answers_stop_at_the_first_question_without_assuming_yes(real_copy: Callable[[str], Path]) -> None:
    enl = real_copy("Wanganlin00-EndNote/en21-synced") / "My EndNote Library.enl"
    done = subprocess.run([sys.executable, "-m", "endnoted", "reset", str(enl)], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 3
    assert "stdin is closed or not a terminal" in done.stderr and "Traceback" not in done.stderr
    assert "no reset was started" in done.stderr and "keeps its place" not in done.stderr
    assert json.loads(run("reset", "--status", "--json", str(enl)).stdout)["step"] is None


def test_no_answers_with_a_run_under_way_say_where_it_waits(real_copy: Callable[[str], Path],
                                                            endnote: Callable[[Path | None], None],
                                                            tmp_path: Path) -> None:
    enl = real_copy("Wanganlin00-EndNote/en21-synced") / "My EndNote Library.enl"
    _at_step_2(enl, endnote, tmp_path)
    done = subprocess.run([sys.executable, "-m", "endnoted", "reset", str(enl)], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 3
    assert "the run keeps its place at step 2" in done.stderr and "no reset was started" not in done.stderr


def test_the_web_is_right_branch_does_not_reset(real_copy: Callable[[str], Path]) -> None:
    enl = real_copy("Wanganlin00-EndNote/en21-synced") / "My EndNote Library.enl"
    result = run("reset", str(enl), input="yes\nw\n")
    assert result.exit_code == 0
    assert "do not reset" in result.stdout and "File → New" in result.stdout
    assert json.loads(run("reset", "--status", "--json", str(enl)).stdout)["step"] is None


def test_killed_mid_run_resumes_at_the_same_step_and_two_wizards_are_refused(
        real_copy: Callable[[str], Path], endnote: Callable[[Path | None], None], tmp_path: Path) -> None:
    enl = real_copy("Wanganlin00-EndNote/en21-synced") / "My EndNote Library.enl"
    endnote(None)
    first = Wizard(str(enl), "--situation", "desktop-right", "--backup-dir", str(tmp_path / "bk"))
    first.expect("Go on anyway? [yes/no]:")
    first.answer("yes")
    first.expect("Press Enter when it is done:")
    endnote(None)
    first.answer("")
    first.expect("to go on, or q to stop:")            # waiting at step 2
    second = run("reset", str(enl), "--situation", "desktop-right")
    assert second.exit_code == 1 and "already running" in second.stderr
    os.kill(first.process.pid, signal.SIGKILL)
    first.process.wait()
    status = json.loads(run("reset", "--status", "--json", str(enl)).stdout)
    assert (status["step"], status["situation"]) == (2, "desktop-right")
    assert [o["step"] for o in status["observed"]] == [0, 1]
    again = Wizard(str(enl))
    again.expect("Resuming the reset of My EndNote Library at step 2")
    again.expect("to go on, or q to stop:")
    again.answer("q")
    assert again.finish() == 3
    assert f'Stopped at step 2; nothing is lost. To go on: endnoted reset "{enl}"' in again.seen
    abandoned = run("reset", "--abandon", str(enl))
    assert abandoned.exit_code == 0
    assert json.loads(run("reset", "--status", "--json", str(enl)).stdout)["step"] is None
    [backup] = (tmp_path / "bk").glob("*.enlx")         # the backup stays, and the line names it
    assert abandoned.stdout.strip() == f"Reset abandoned; its backup stays: {backup}"


def test_reading_the_library_never_writes_it(real_copy: Callable[[str], Path]) -> None:
    from tests.conftest import tree_hash
    enl = real_copy("Wanganlin00-EndNote/en21-synced") / "My EndNote Library.enl"
    before = tree_hash(enl.parent)
    run("reset", str(enl), input="yes\nw\n")
    run("reset", "--status", str(enl))
    assert tree_hash(enl.parent) == before


def test_q_at_any_prompt_and_ctrl_c_stop_and_say_how_to_resume(real_copy: Callable[[str], Path],
                                                                endnote: Callable[[Path | None], None],
                                                                tmp_path: Path) -> None:
    enl = real_copy("Wanganlin00-EndNote/en21-synced") / "My EndNote Library.enl"
    first = Wizard(str(enl))
    first.expect("Go on anyway? [yes/no]:")
    first.answer("yes")
    first.expect("Your choice [d/n/w]:")
    first.answer("q")                                   # q at the very first question: no run starts
    assert first.finish() == 3
    assert "Stopped at the first question" in first.seen
    assert json.loads(run("reset", "--status", "--json", str(enl)).stdout)["step"] is None
    endnote(None)
    second = Wizard(str(enl), "--situation", "desktop-right", "--backup-dir", str(tmp_path / "bk"))
    second.expect("Go on anyway? [yes/no]:")
    second.answer("yes")
    second.expect("Press Enter when it is done:")
    endnote(None)
    second.answer("")
    second.expect("to go on, or q to stop:")
    second.answer("My EndNote Library")
    second.expect("Done? [yes/no]:")
    second.answer("q")                                  # q at a yes/no question stops too (it used to mean no)
    assert second.finish() == 3
    assert "Stopped at step 2" in second.seen
    third = Wizard(str(enl))
    third.expect("Done? [yes/no]:")                     # the typed name was kept: straight to the question
    third.process.send_signal(signal.SIGINT)            # Ctrl-C
    assert third.finish() == 130
    assert "Stopped at step 2; nothing is lost. To go on: endnoted reset" in third.seen
    assert "Traceback" not in third.seen


def _at_step_2(enl: Path, endnote: Callable[[Path | None], None], tmp_path: Path) -> None:
    """A run under way, waiting at step 2 (the Web deletions), its wizard quit with q."""
    endnote(None)
    first = Wizard(str(enl), "--situation", "desktop-right", "--backup-dir", str(tmp_path / "bk"))
    first.expect("Go on anyway? [yes/no]:")            # in sync: nothing calls for a reset, so it asks first
    first.answer("yes")
    first.expect("Press Enter when it is done:")
    endnote(None)
    first.answer("")
    first.expect("to go on, or q to stop:")
    first.answer("q")
    assert first.finish() == 3


def test_a_missing_export_is_a_usage_error_before_anything_happens(real_copy: Callable[[str], Path],
                                                                    endnote: Callable[[Path | None], None],
                                                                    tmp_path: Path) -> None:
    enl = real_copy("Wanganlin00-EndNote/en21-synced") / "My EndNote Library.enl"
    before = tree_hash(enl.parent)
    fresh = run("reset", str(enl), "--situation", "desktop-right", "--export", str(tmp_path / "nonexistent.xml"))
    assert fresh.exit_code == 2 and len(fresh.stderr.strip().splitlines()) == 1, fresh.stderr
    assert "nonexistent.xml" in fresh.stderr and not fresh.stdout
    assert json.loads(run("reset", "--status", "--json", str(enl)).stdout)["step"] is None   # no run, no backup
    _at_step_2(enl, endnote, tmp_path)
    for args in ((str(enl),), ()):                      # with the run under way, named or found
        again = run("reset", *args, "--export", str(tmp_path / "nonexistent.xml"))
        assert again.exit_code == 2 and "nonexistent.xml" in again.stderr and "Step 2" not in again.stdout
        folder = run("reset", *args, "--export", str(tmp_path))          # a folder is no export either
        assert folder.exit_code == 2 and "not a regular file" in folder.stderr
    assert json.loads(run("reset", "--status", "--json", str(enl)).stdout)["step"] == 2
    assert tree_hash(enl.parent) == before


def test_resuming_with_an_export_uses_it_and_an_export_of_another_library_says_so(
        real_copy: Callable[[str], Path], endnote: Callable[[Path | None], None], tmp_path: Path) -> None:
    enl = real_copy("Wanganlin00-EndNote/en21-synced") / "My EndNote Library.enl"
    other = real_copy("Zhentao010-Endnote/en20-unsynced") / "My EndNote Library.enl"
    before = tree_hash(enl.parent)
    _at_step_2(enl, endnote, tmp_path)
    foreign = web_export(other, tmp_path / "other-library.txt")
    wizard = Wizard(str(enl), "--export", str(foreign))
    wizard.expect("Resuming the reset of My EndNote Library at step 2")
    text = wizard.expect("to go on, or q to stop:")
    assert "other-library.txt does not look like an export of My EndNote Library" in text
    assert "has no Web export of this library to compare" in text and "NOT in My EndNote Library" not in text
    assert f'endnoted reset "{enl}" --export FILE' in text      # the hint names the library
    wizard.answer("q")
    assert wizard.finish() == 3
    mine = web_export(enl, tmp_path / "web.txt", extra=("A paper only EndNote Web holds",))
    resumed = Wizard("--export", str(mine))               # no LIBRARY: the run under way
    resumed.expect("Resuming the reset of My EndNote Library at step 2")
    text = resumed.expect("to go on, or q to stop:")
    assert "delete 1 reference that is on EndNote Web but NOT in My EndNote Library" in text
    assert "A paper only EndNote Web holds" in text
    resumed.answer("q")
    assert resumed.finish() == 3
    assert tree_hash(enl.parent) == before


def test_a_library_whose_verdict_does_not_call_for_a_reset_says_so_and_asks_first(
        real_copy: Callable[[str], Path], tmp_path: Path) -> None:
    enl = real_copy("utsmok-endnote-exporter/en21-synced") / "MyLibrary.enl"   # stale; 6 references only in the .enl
    before = tree_hash(enl.parent)
    wizard = Wizard(str(enl), "--backup-dir", str(tmp_path / "bk"))
    text = wizard.expect("Go on anyway? [yes/no]:")
    assert "stale" in text and "does not call for a reset" in text
    assert "Open the library in EndNote and press Sync" in text     # its next action
    assert "MyLibrary.enl is a full copy holding 6 references that the live database" in text
    assert "0 never sent" not in text
    assert "Your choice [d/n/w]" not in text            # asked before the first question
    wizard.answer("no")                                  # nothing to reset: README's exit 0, nothing started
    assert wizard.finish() == 0
    assert "No reset was started, and none is needed: do the next action above." in wizard.seen
    assert "Stopped at" not in wizard.seen
    assert json.loads(run("reset", "--status", "--json", str(enl)).stdout)["step"] is None
    # q at that question stops, as at any prompt (run it again to continue: exit 3).
    stopped = Wizard(str(enl), "--backup-dir", str(tmp_path / "bk"))
    stopped.expect("Go on anyway? [yes/no]:")
    stopped.answer("q")
    assert stopped.finish() == 3
    assert "Stopped at the first question" in stopped.seen
    # A situation given on the command line is no confirmation; with no one to answer, it never proceeds.
    done = subprocess.run([sys.executable, "-m", "endnoted", "reset", str(enl), "--situation", "desktop-right",
                           "--backup-dir", str(tmp_path / "bk")], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 3 and "does not call for a reset" in done.stdout
    assert "Step 1" not in done.stdout and not (tmp_path / "bk").exists()
    assert json.loads(run("reset", "--status", "--json", str(enl)).stdout)["step"] is None
    assert tree_hash(enl.parent) == before


def test_a_library_whose_verdict_calls_for_the_reset_is_not_asked_twice(tmp_path: Path) -> None:
    from datetime import timedelta

    from endnoted.demo.builder import LibrarySpec, build, synthetic_refs
    last = datetime.now(UTC) - timedelta(hours=1)
    refs = synthetic_refs(12, seed=2)
    for ref in refs[:3]:
        ref.synced, ref.added = False, int(last.timestamp()) - 3600    # in the library before the sync, never sent
    enl = build(tmp_path / "diverged", LibrarySpec(name="Thesis", refs=refs, last_sync=last))
    wizard = Wizard(str(enl))
    text = wizard.expect("Your choice [d/n/w]:")
    assert "diverged" in text and "Go on anyway?" not in text and "3 references never sent" in text
    wizard.answer("q")
    assert wizard.finish() == 3
