"""Run the web app for one person: on 127.0.0.1 only, a free port, a one-time link, and an idle timeout.

uvicorn serves on a socket we bind ourselves (so the port is known before the browser opens and can
never be anything but loopback). The server stops after IDLE_SECONDS without a page request (the
pages' background polling does not count: a forgotten tab must not keep it alive), or when the page's
Close button is pressed.
"""

from __future__ import annotations

import logging
import secrets
import socket
import threading
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, field

import uvicorn

from endnoted.common.config import Config
from endnoted.common.errors import UsageError
from endnoted.common.timefmt import duration
from endnoted.web.app import Web, application
from endnoted.web.security import Guard

logger = logging.getLogger(__name__)
IDLE_SECONDS = 30 * 60
HOST = "127.0.0.1"


def bind(port: int = 0) -> socket.socket:
    """A listening TCP socket on 127.0.0.1 (port 0: any free port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((HOST, port))
    except OSError as error:
        sock.close()
        raise UsageError(f"cannot listen on {HOST}:{port} ({error.strerror}); choose another --port or leave it "
                         "out for a free one") from error
    sock.listen(64)
    return sock


@dataclass
class LocalServer:
    settings: Config
    port: int = 0
    idle_seconds: float = IDLE_SECONDS
    last_request: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.sock = bind(self.port)
        self.port = self.sock.getsockname()[1]
        self.token = secrets.token_urlsafe(32)
        web = Web(self.settings, close=self.stop)
        self.guard = Guard(application(web), port=self.port, token=self.token, touch=self._touch)
        config = uvicorn.Config(self.guard, log_level="warning", access_log=False, lifespan="off",
                                server_header=False, date_header=False, proxy_headers=False)
        self.server = uvicorn.Server(config)
        self.stopped_by = ""

    def url(self, path: str = "/") -> str:
        return f"http://{HOST}:{self.port}{path}?token={self.token}"

    def _touch(self, poll: bool) -> None:
        if not poll:
            self.last_request = time.monotonic()

    def stop(self, why: str = "closed from the page") -> None:
        self.stopped_by = self.stopped_by or why
        self.server.should_exit = True

    def _watch_idle(self) -> None:
        while not self.server.should_exit:
            if time.monotonic() - self.last_request > self.idle_seconds:
                self.stop(f"idle for {duration(self.idle_seconds)}")
                return
            time.sleep(min(5.0, self.idle_seconds / 4))

    def serve(self, on_ready: Callable[[str], None] | None = None, first: str = "/") -> str:
        """Serve until closed or idle; return why it stopped. `on_ready` gets the link to open first."""
        watcher = threading.Thread(target=self._watch_idle, name="endnoted-web-idle", daemon=True)
        watcher.start()
        if on_ready is not None:
            threading.Thread(target=on_ready, args=(self.url(first),), name="endnoted-web-open", daemon=True).start()
        try:
            self.server.run(sockets=[self.sock])
        finally:
            self.sock.close()
        return self.stopped_by or "interrupted"


def open_browser(url: str) -> None:
    """Open the user's default browser at the URL; say so in the log when none could be started."""
    try:
        opened = webbrowser.open(url, new=2)
    except webbrowser.Error as error:
        opened = False
        logger.warning("no browser could be opened: %s", error)
    if not opened:
        logger.warning("no browser could be opened: visit %s", url)
