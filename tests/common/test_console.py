"""Console output that cannot crash: a cp1252 console or a redirected stdout (Windows) gets ? for ✗, not a traceback.

PYTHONIOENCODING=cp1252 gives the real subprocess exactly the streams a Windows cp1252 console has.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from endnoted.common import console
from endnoted.demo.builder import LibrarySpec, build, days_ago, synthetic_refs


def test_a_cp1252_stream_replaces_what_it_cannot_show() -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="cp1252")
    console.make_safe(stream)
    stream.write("✗ ledger.missed → next")
    stream.flush()
    assert raw.getvalue() == b"? ledger.missed ? next"
    assert not console.can_show(console.SAMPLE, "cp1252") and console.can_show(console.SAMPLE, "utf-8")
    console.make_safe(None, io.StringIO())   # pythonw has no streams at all: nothing to do, no crash


def test_help_check_and_json_survive_a_cp1252_redirected_stdout(tmp_path: Path) -> None:
    refs = synthetic_refs(4)
    refs[0].synced, refs[0].added = False, int(days_ago(3).timestamp())   # diverged: findings marked ✗
    enl = build(tmp_path / "lib", LibrarySpec(name="Thèse", refs=refs, last_sync=days_ago(1)))
    env = {**os.environ, "PYTHONIOENCODING": "cp1252", "PYTHONUTF8": "0"}

    def endnoted(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([sys.executable, "-m", "endnoted", *args], capture_output=True, env=env, timeout=60,
                              check=False)

    helped = endnoted("--help")
    assert helped.returncode == 0 and b"Traceback" not in helped.stderr
    checked = endnoted("check", "-a", str(enl))
    assert checked.returncode == 4, checked.stderr
    assert b"UnicodeEncodeError" not in checked.stderr and b"Traceback" not in checked.stderr
    assert b"? " in checked.stdout                       # the ✗ mark, replaced
    as_json = endnoted("check", "--json", str(enl))
    data = json.loads(as_json.stdout.decode("utf-8"))     # --json is UTF-8 whatever the console
    assert data["libraries"][0]["path"].endswith("Thèse.enl")
