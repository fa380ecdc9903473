"""The alert policy inside the real daemon: a held-back repeat is in the history, a different problem is told.

Real libraries (built by the demo builder), the real store and the real Daemon.check_one; the
desktop is the only stand-in (a notifier that records what it would show).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from endnoted.common.config import Config
from endnoted.demo.builder import LibrarySpec, build, days_ago, synthetic_refs
from endnoted.reading.library import locate
from endnoted.running.notify import Delivery
from endnoted.running.runner import Daemon
from endnoted.state.history import timeline
from endnoted.state.store import Store


@dataclass
class RecordingNotifier:
    """A fake at the OS boundary (the desktop): remembers what would have been shown, and how urgently."""

    sent: list[tuple[str, str]] = field(default_factory=list)
    name: str = "recording"

    def send(self, title: str, body: str, *, repair: str | None = None, urgency: str = "normal") -> Delivery:
        self.sent.append((title, urgency))
        return Delivery("not-shown", "nobody is looking")

    def ready(self) -> tuple[bool, str]:
        return True, ""


def _place(folder: Path, *, diverged: bool) -> Path:
    """(Re)build the library at `folder`: diverged (a reference older than the last sync never reached the Web) or in-sync."""
    shutil.rmtree(folder, ignore_errors=True)
    refs = synthetic_refs(6)
    if diverged:
        refs[0].synced, refs[0].added = False, int(days_ago(3).timestamp())
    return build(folder, LibrarySpec(name="Thesis", refs=refs, last_sync=days_ago(1))).resolve()


def test_a_repeat_within_the_cooldown_is_held_back_and_recorded(tmp_path: Path) -> None:
    folder = tmp_path / "lib"
    enl = _place(folder, diverged=True)
    notifier = RecordingNotifier()
    daemon = Daemon(Config(scan_roots=(), export_folders=(), notify_cooldown_minutes=360), notifier, scan=False,
                    state_db=tmp_path / "state.db")
    daemon.store = Store(tmp_path / "state.db")
    try:
        key = str(enl)
        daemon.libraries[key] = locate(enl)[0]
        assert daemon.check_one(key) is not None                    # diverged: told, critical
        _place(folder, diverged=False)
        daemon.check_one(key)                                       # back to in-sync: told once
        _place(folder, diverged=True)
        daemon.check_one(key)                                       # the same problem again: held back
        assert notifier.sent == [("EndNote: Thesis is diverged", "critical"),
                                 ("EndNote: Thesis is back to in-sync", "normal")]
        entries = [entry.to_json() for entry in timeline(daemon.store, key)]
        held = [entry for entry in entries if entry["kind"] == "alert-held-back"]
        assert len(held) == 1 and held[0]["detail"].startswith("diverged: ") and "held back" in held[0]["detail"]
        told = [entry["detail"] for entry in entries if entry["kind"] == "notification"]
        assert told[0] == "EndNote: Thesis is diverged (not-shown (nobody is looking))"
        assert json.dumps(entries)   # the history stays JSON for `history --json`
    finally:
        daemon.store.close()
