"""The moved probe: a library that is not where EndNote's preferences say the synced one is."""

from __future__ import annotations

import plistlib
from pathlib import Path

from endnoted.reading.prefs import read_plist
from tests.probes.common import codes, library


def _plist(home: Path, sync_path: Path) -> Path:
    path = home / "Library" / "Preferences" / "com.ThomsonResearchSoft.EndNote.plist"
    path.parent.mkdir(parents=True)
    path.write_bytes(plistlib.dumps({"SyncLibraryPath": str(sync_path), "RecentLibraries": [str(sync_path)]}))
    return path


def test_a_library_moved_after_it_was_synced(tmp_path: Path, isolated_home: Path) -> None:
    enl = library(tmp_path, name="moved-to")
    prefs = read_plist(_plist(isolated_home, enl))
    assert prefs.sync_library == enl
    assert "library.moved-after-sync" not in codes(enl, mounts=(), sync_library_pref=prefs.sync_library)
    old_place = tmp_path / "old" / enl.name
    assert "library.moved-after-sync" in codes(enl, mounts=(), sync_library_pref=old_place)
