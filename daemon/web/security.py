"""Who may talk to the local server: the one browser that got the one-time link, and nobody else.

- Host: every request must name exactly 127.0.0.1:PORT, so a DNS-rebinding page (evil.example
  resolving to 127.0.0.1) is refused before anything runs.
- The one-time token from the link is exchanged for an HttpOnly, SameSite=Strict session cookie,
  and the browser is sent on to the same page without it; the token then stops working.
- Every request needs that cookie. Requests that change anything (POST) also need an Origin of
  exactly http://127.0.0.1:PORT and the page's CSRF token, in the form or in X-CSRF-Token.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import URL, Headers, QueryParams
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from endnoted.web import strings as t

MAX_FORM_BYTES = 64 * 1024
SAFE_METHODS = ("GET", "HEAD")
# What every answer carries: no framing, no referrer to other sites, nothing from anywhere but here, nothing cached.
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    # same-origin, not no-referrer: with no-referrer Chrome sends "Origin: null" on form posts.
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


class Guard:
    """ASGI middleware in front of the whole app. `touch` is called on every accepted request
    (`poll=True` for the pages' background polling, which alone does not keep the server alive)."""

    def __init__(self, app: ASGIApp, *, port: int, token: str, touch: Callable[[bool], None]) -> None:
        self.app = app
        self.host = f"127.0.0.1:{port}"
        self.origin = f"http://{self.host}"
        self.cookie = f"endnoted-{port}"   # cookies ignore ports: one name per server
        self.session = secrets.token_urlsafe(32)
        self.csrf = secrets.token_urlsafe(32)
        self._token: str | None = token
        self.touch = touch

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if headers.get("host") != self.host:
            await _forbidden("wrong host")(scope, receive, send)
            return
        url = URL(scope=scope)
        if "token" in QueryParams(url.query):
            await self._exchange(url)(scope, receive, send)
            return
        if not secrets.compare_digest(_cookie(headers, self.cookie), self.session):
            await _forbidden("no session")(scope, receive, send)
            return
        form: dict[str, str] = {}
        if scope["method"] not in SAFE_METHODS:
            body = await _body(receive)
            if body is None:
                await _forbidden("form too large")(scope, receive, send)
                return
            if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
                form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
            sent = headers.get("x-csrf-token") or form.get("csrf", "")
            if headers.get("origin") != self.origin or not secrets.compare_digest(sent, self.csrf):
                await _forbidden("cross-site request")(scope, receive, send)
                return
            receive = _replay(body)
        scope.setdefault("state", {}).update({"form": form, "csrf": self.csrf})
        self.touch(url.path.startswith("/api/"))

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                raw += [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]
                message = {**message, "headers": raw}
            await send(message)

        await self.app(scope, receive, secured)

    def _exchange(self, url: URL) -> Response:
        token = self._token
        query = QueryParams(url.query)
        if token is None or not secrets.compare_digest(query["token"], token):
            return _forbidden("this link was already used or is wrong")   # a wrong guess leaves the token be
        self._token = None
        rest = urlencode([(k, v) for k, v in query.multi_items() if k != "token"])
        response = RedirectResponse(url.path + (f"?{rest}" if rest else ""), status_code=303)
        response.set_cookie(self.cookie, self.session, httponly=True, samesite="strict", path="/")
        for key, value in HEADERS.items():
            response.headers[key] = value
        return response


def _cookie(headers: Headers, name: str) -> str:
    for part in headers.get("cookie", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return ""


async def _body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}
    return receive


def _forbidden(why: str) -> Response:
    response = PlainTextResponse(f"{t.FORBIDDEN}: {why}. {t.FORBIDDEN_BODY}", status_code=403)
    for key, value in HEADERS.items():
        response.headers[key] = value
    return response

