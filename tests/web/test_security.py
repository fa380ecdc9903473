"""Who may talk to the window: only the browser that got the one-time link, only from 127.0.0.1.

Plain HTTP here (http.client, so any Host or Origin can be sent), against the real `endnoted open`.
"""

from __future__ import annotations

import http.client
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from endnoted.demo.builder import LibrarySpec, build, synthetic_refs
from tests.web.conftest import Window


def request(window: Window, method: str, path: str, *, host: str | None = None, cookie: str = "",
            origin: str | None = None, body: str = "") -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", window.port, timeout=10)
    headers = {"Host": host or f"127.0.0.1:{window.port}"}
    if cookie:
        headers["Cookie"] = cookie
    if origin:
        headers["Origin"] = origin
    if body:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=body or None, headers=headers)
    response = connection.getresponse()
    response.read()
    return response


def session(window: Window) -> tuple[str, str]:
    """Exchange the token as the browser would; return the cookie and the page's CSRF token."""
    answer = request(window, "GET", f"/?token={window.token}")
    assert answer.status == 303 and answer.getheader("Location") == "/"
    set_cookie = answer.getheader("Set-Cookie") or ""
    assert "HttpOnly" in set_cookie and "SameSite=strict" in set_cookie and "Path=/" in set_cookie
    cookie = set_cookie.split(";")[0]
    connection = http.client.HTTPConnection("127.0.0.1", window.port, timeout=10)
    connection.request("GET", "/", headers={"Host": f"127.0.0.1:{window.port}", "Cookie": cookie})
    page = connection.getresponse().read().decode()
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match
    return cookie, match.group(1)


def test_the_token_works_once_and_every_request_needs_the_cookie_and_host(open_window: Callable[..., Window]) -> None:
    window = open_window()
    assert request(window, "GET", "/").status == 403                             # no cookie
    assert request(window, "GET", f"/?token={'x' * 43}").status == 403           # a wrong token …
    cookie, _ = session(window)                                                  # … leaves the right one usable
    assert request(window, "GET", f"/?token={window.token}").status == 403       # but only once
    assert request(window, "GET", "/", cookie=cookie).status == 200
    assert request(window, "GET", "/static/style.css", cookie=cookie).status == 200
    assert request(window, "GET", "/", cookie="endnoted-1=forged").status == 403
    for host in ("evil.example", f"evil.example:{window.port}", f"localhost.evil.example:{window.port}",
                 "127.0.0.1", f"127.0.0.1:{window.port + 1}"):
        assert request(window, "GET", "/", host=host, cookie=cookie).status == 403, host   # DNS rebinding


def test_a_cross_origin_or_tokenless_post_is_refused(open_window: Callable[..., Window]) -> None:
    window = open_window()
    cookie, csrf = session(window)
    same = window.origin
    assert request(window, "POST", "/close", cookie=cookie, origin="http://evil.example",
                   body=f"csrf={csrf}").status == 403
    assert request(window, "POST", "/close", cookie=cookie, origin="null", body=f"csrf={csrf}").status == 403
    assert request(window, "POST", "/close", cookie=cookie, body=f"csrf={csrf}").status == 403   # no Origin
    assert request(window, "POST", "/close", cookie=cookie, origin=same, body="csrf=wrong").status == 403
    assert request(window, "POST", "/close", origin=same, body=f"csrf={csrf}").status == 403     # no cookie
    assert window.process.poll() is None                                          # none of them closed it
    assert request(window, "POST", "/close", cookie=cookie, origin=same, body=f"csrf={csrf}").status == 200
    assert window.process.wait(timeout=15) == 0                                   # closed from the page
    assert "stopped: closed from the page" in window.stop()


def test_the_server_listens_on_127_0_0_1_only(open_window: Callable[..., Window]) -> None:
    window = open_window()
    listening = [c for c in psutil.Process(window.process.pid).net_connections(kind="inet")
                 if c.status == psutil.CONN_LISTEN]
    assert [(c.laddr.ip, c.laddr.port) for c in listening] == [("127.0.0.1", window.port)]


def test_a_given_port_and_a_port_in_use(open_window: Callable[..., Window]) -> None:
    first = open_window()
    second = open_window("--port", str(first.port + 1 if first.port < 65535 else first.port - 1))
    assert second.port in (first.port + 1, first.port - 1)
    import subprocess
    import sys
    taken = subprocess.run([sys.executable, "-m", "endnoted", "open", "--no-browser", "--port", str(first.port)],
                           capture_output=True, text=True, timeout=30)
    assert taken.returncode == 2 and taken.stderr.startswith(f"Error: cannot listen on 127.0.0.1:{first.port}")
    assert "Traceback" not in taken.stderr


def test_it_stops_by_itself_when_idle(open_window: Callable[..., Window]) -> None:
    window = open_window(env={"ENDNOTED_WEB_IDLE_SECONDS": "2"})
    started = time.monotonic()
    assert window.process.wait(timeout=20) == 0
    assert time.monotonic() - started < 15
    assert "stopped: idle" in window.stop()


def test_open_library_checks_a_library_never_read_and_lands_on_it(tmp_path: Path,
                                                                  open_window: Callable[..., Window]) -> None:
    enl = build(tmp_path / "lib", LibrarySpec(name="Fresh", refs=synthetic_refs(3))).resolve()
    window = open_window(str(enl))                                 # no daemon has ever run
    assert re.fullmatch(r"/library/[0-9a-f]{12}", window.path)
    cookie, _ = session_at(window)
    assert request(window, "GET", window.path, cookie=cookie).status == 200


def session_at(window: Window) -> tuple[str, str]:
    answer = request(window, "GET", f"{window.path}?token={window.token}")
    assert answer.status == 303 and answer.getheader("Location") == window.path
    return (answer.getheader("Set-Cookie") or "").split(";")[0], ""


def test_the_daemon_itself_still_opens_no_listener(tmp_path: Path) -> None:
    import subprocess
    import sys
    enl = build(tmp_path / "lib", LibrarySpec(name="Watched", refs=synthetic_refs(3))).resolve()
    (tmp_path / "config.toml").write_text("scan_roots = []\n")
    daemon = subprocess.Popen([sys.executable, "-m", "endnoted", "run", "--no-scan", str(enl)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        state = Path(os.environ["ENDNOTED_STATE_DIR"]) / "state.db"
        deadline = time.monotonic() + 30
        while not state.exists() and time.monotonic() < deadline:   # up and through its first pass
            time.sleep(0.1)
        time.sleep(1)
        tree = [psutil.Process(daemon.pid), *psutil.Process(daemon.pid).children(recursive=True)]
        listening = [c for p in tree for c in p.net_connections(kind="all") if c.status == psutil.CONN_LISTEN]
        assert daemon.poll() is None and listening == []
    finally:
        daemon.terminate()
        daemon.wait(timeout=15)
