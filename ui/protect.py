"""What the web server refuses before Gradio sees it, and limits on what anonymous clients may write.

- Gradio's upload route (`/gradio_api/upload`) keeps any file anyone sends: only a client that gave the admin
  password in the last hour may use it (the admin tab is the only page that uploads), a few times a minute.
- No page may be framed by another site (clickjacking): `X-Frame-Options` and CSP `frame-ancestors`.
- `RateLimit`: so many events per client per minute (the feedback API took 55 MB in 1.1 s).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from assistant.errors import CarrefourError
from ui.admin import Guard

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]
UPLOAD_ROUTE = "/gradio_api/upload"


class RateLimited(CarrefourError):
    pass


class RateLimit:
    """At most `events` per client in any `seconds`-long window (a sliding log; a few hundred clients at most)."""

    def __init__(self, events: int, seconds: float = 60.0, clock: Callable[[], float] = time.monotonic,
                 max_clients: int = 10_000) -> None:
        self.events, self.seconds, self.clock, self.max_clients = events, seconds, clock, max_clients
        self._log: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        now = self.clock()
        with self._lock:
            times = self._log.setdefault(client, deque())
            while times and now - times[0] >= self.seconds:
                times.popleft()
            if len(times) >= self.events:
                return False
            times.append(now)
            while len(self._log) > self.max_clients:
                self._log.pop(next(iter(self._log)))
            return True

    def take(self, client: str, what: str) -> None:
        if not self.allow(client):
            raise RateLimited(f"Trop {what} en peu de temps : réessayez dans une minute.")


def client_of(request: Any) -> str:
    """The client's address from a `gr.Request` (or "?" when called in-process)."""
    client = getattr(request, "client", None)
    return str(getattr(client, "host", None) or "?")


class Protect:
    """ASGI middleware in front of Gradio's app (passed through `launch(app_kwargs=…)`)."""

    def __init__(self, app: ASGIApp, guard: Guard | None, uploads: RateLimit | None = None) -> None:
        self.app = app
        self.guard = guard  # None: no admin tab, so no upload at all
        self.uploads = uploads or RateLimit(30)

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope.get("path", "").rstrip("/").endswith(UPLOAD_ROUTE):
            client = str((scope.get("client") or ("?",))[0])
            if self.guard is None or not self.guard.unlocked(client) or not self.uploads.allow(client):
                await _refuse(send, "Dépôt refusé : déverrouillez d'abord l'onglet Administration "
                                    "(mot de passe), puis déposez vos fichiers depuis cet onglet.")
                return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                if b"x-frame-options" not in names:
                    headers.append((b"x-frame-options", b"DENY"))
                headers.append((b"content-security-policy", b"frame-ancestors 'none'"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


async def _refuse(send: Callable[[Message], Awaitable[None]], text: str) -> None:
    body = text.encode("utf-8")
    await send({"type": "http.response.start", "status": 403,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                            (b"x-frame-options", b"DENY")]})
    await send({"type": "http.response.body", "body": body})
