"""A private D-Bus session bus with (optionally) the recording notification server on it, for tests.

Linux only: the bus and the server are real (dbus-daemon + tests/dbus_notify_server.py). Elsewhere
the tests that need them skip, with the reason.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
BARE_BUS = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:tmpdir=/tmp</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/>
<allow own="*"/></policy></busconfig>"""


def need_dbus() -> str:
    """The dbus-daemon program; skip off Linux, fail on Linux when ./scripts/test did not install it."""
    if not sys.platform.startswith("linux"):
        pytest.skip("needs a D-Bus session bus and a notification server: Linux only")
    dbus = shutil.which("dbus-daemon")
    assert dbus, "dbus-daemon is missing: ./scripts/test installs Debian's dbus package"
    return dbus


@contextmanager
def private_bus(folder: Path) -> Iterator[str]:
    """A private dbus-daemon with nothing on it (nothing is auto-activated); yields its address."""
    dbus = need_dbus()
    conf = folder / "bare.conf"
    conf.write_text(BARE_BUS)
    started = subprocess.run([dbus, f"--config-file={conf}", "--fork", "--print-address=1", "--print-pid=1"],
                             capture_output=True, text=True, check=True, timeout=20)
    address, pid = started.stdout.split()[:2]
    try:
        yield address
    finally:
        os.kill(int(pid), signal.SIGTERM)


@contextmanager
def notification_server(address: str, log: Path, **env: str) -> Iterator[Path]:
    """The recording notification server on `address`; yields its log (one JSON line per Notify)."""
    log.touch()
    server = subprocess.Popen([sys.executable, str(HERE / "dbus_notify_server.py"), str(log)], stdout=subprocess.PIPE,
                              text=True, env={**os.environ, "DBUS_SESSION_BUS_ADDRESS": address, **env})
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        yield log
    finally:
        server.kill()
        server.wait()
        if server.stdout is not None:
            server.stdout.close()
