"""What every hostile-input case shares: the real CLI in a subprocess with a time bound, and the promise it checks.

The promise (issue #12): one clear line on stderr, the documented exit code, no traceback, no
change to any library file (hashed before and after), a bounded time.

Permission cases: CI runs as root, and root reads everything. The CLI is then run without the
capabilities that let root ignore file modes (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, via
util-linux `setpriv`), so the kernel checks modes for it exactly as for any user who owns the files.
Run as a normal user, the command runs as it is.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import tree_hash

NO_DAC = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search",
          "--inh-caps", "-dac_override,-dac_read_search"]


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    seconds: float


def endnoted(*args: str, timeout: float = 60, no_dac: bool = False, umask: int | None = None,
             env: dict[str, str] | None = None) -> Outcome:
    """Run `python -m endnoted ARGS` as a real process; fail the test if it outlives `timeout`."""
    import time
    command = [sys.executable, "-m", "endnoted", *args]
    if no_dac and os.geteuid() == 0:
        command = [*NO_DAC, *command]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})},
                          preexec_fn=(lambda: os.umask(umask)) if umask is not None else None)
    return Outcome(done.returncode, done.stdout, done.stderr, time.monotonic() - started)


def one_line_error(outcome: Outcome, code: int) -> str:
    """Assert the promise for a refused command: the exit code, one `Error:` line, no traceback; return it."""
    assert outcome.code == code, (outcome.code, outcome.stderr, outcome.stdout)
    assert "Traceback" not in outcome.stderr + outcome.stdout
    assert "failed unexpectedly" not in outcome.stderr
    lines = [line for line in outcome.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), outcome.stderr
    return lines[0]


def no_traceback(outcome: Outcome, code: int) -> None:
    assert outcome.code == code, (outcome.code, outcome.stderr, outcome.stdout)
    assert "Traceback" not in outcome.stderr + outcome.stdout
    assert "failed unexpectedly" not in outcome.stderr


class Untouched:
    """Hashes every file below a folder and lists every name in it; `check()` asserts both are unchanged."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.hashes = tree_hash(folder)
        self.names = sorted(str(p) for p in folder.rglob("*"))

    def check(self) -> None:
        assert sorted(str(p) for p in self.folder.rglob("*")) == self.names, "a file was created or removed"
        assert tree_hash(self.folder) == self.hashes, "a library file changed"


def raw_zip(path: Path, members: list[tuple[str, bytes, int, int, int, int]]) -> None:
    """Write a zip by hand: (name, payload as stored, method, crc, expanded size, flags) per member.

    zipfile cannot write what hostile archives hold (a name twice, Deflate64, an encrypted flag, the
    same compressed block 200 times without compressing it 200 times), so the bytes are laid out here.
    """
    import struct
    local_parts: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for name, payload, method, crc, size, flags in members:
        encoded = name.encode()
        local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, 0, 0x21, crc, len(payload), size,
                            len(encoded), 0) + encoded + payload
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, method, 0, 0x21, crc,
                                   len(payload), size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded)
        local_parts.append(local)
        offset += len(local)
    directory = b"".join(central)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(directory), offset, 0)
    path.write_bytes(b"".join(local_parts) + directory + end)


def deflated(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


def members_of(archive: Path) -> list[tuple[str, bytes, int, int, int, int]]:
    """Given a real zip, return its members as raw_zip takes them (payload re-deflated, so it can be re-laid)."""
    out = []
    with zipfile.ZipFile(archive) as source:
        for info in source.infolist():
            data = source.read(info)
            out.append((info.filename, deflated(data), zipfile.ZIP_DEFLATED, zlib.crc32(data), len(data), 0))
    return out


# Another program acting at one exact moment of a real run: an audit hook (PEP 578) in the child
# process watches the events Python raises for its own file operations ("open" for every open and
# os.open, "sqlite3.connect", "os.listdir", ...) and, on the `nth` event whose name is `event` and
# whose first argument contains `needle`, runs `action` (Python source with `os`, `shutil` and
# `Path` at hand) once. No function of ours is replaced: the hook only observes, and the action does
# what a user or another program would do to the files at that instant (rename, delete, create).
_RACE = """
import os, runpy, shutil, sys
from pathlib import Path
event, needle, nth, action = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
seen = [0]
def hook(name, args):
    if seen[0] < 0 or name != event or not args or needle not in str(args[0]):
        return
    seen[0] += 1
    if seen[0] == nth:
        seen[0] = -1
        exec(action, {"os": os, "shutil": shutil, "Path": Path})
        print("endnoted-race: acted", file=sys.stderr, flush=True)
sys.addaudithook(hook)
sys.argv = ["endnoted", *sys.argv[5:]]
runpy.run_module("endnoted", run_name="__main__", alter_sys=True)
"""


def endnoted_racing(event: str, needle: str, action: str, *args: str, nth: int = 1,
                    timeout: float = 60) -> tuple[Outcome, bool]:
    """Run `python -m endnoted ARGS` while "another program" runs `action` at the chosen moment.

    Return the outcome (its stderr without the hook's own line) and whether the action ran.
    """
    import time
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", _RACE, event, needle, str(nth), action, *args],
                          capture_output=True, text=True, timeout=timeout)
    marker = "endnoted-race: acted"
    stderr = "".join(line for line in done.stderr.splitlines(keepends=True) if line.strip() != marker)
    return Outcome(done.returncode, done.stdout, stderr, time.monotonic() - started), marker in done.stderr
