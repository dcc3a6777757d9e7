"""Protections every response gets: a request body size limit and security headers."""

from __future__ import annotations

import json

MAX_BODY_BYTES = 1_000_000

_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'{extra}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"content-security-policy", _CSP.format(extra="").encode()),
]
# The API docs page starts Swagger UI with an inline script; no other page runs one.
DOCS_HEADERS = HEADERS[:3] + [(b"content-security-policy", _CSP.format(extra=" 'unsafe-inline'").encode())]


class SecurityMiddleware:
    """Refuse bodies over MAX_BODY_BYTES with 413 (by Content-Length, or while reading a body
    sent without one), and add the security headers to every response."""

    def __init__(self, app, max_body: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            return await self._too_large(send)
        # The body is read here, at most MAX_BODY_BYTES of it, before the app sees any: an
        # error raised while the app reads would reach the client as FastAPI's 400 ("error
        # parsing the body"), not as 413.
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away: the app hears so
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_body:
                return await self._too_large(send)
            chunks.append(chunk)
            if not message.get("more_body", False):
                message = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
                break
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return message

        async def with_headers(message):
            if message["type"] == "http.response.start":
                extra = DOCS_HEADERS if scope.get("path") == "/docs" else HEADERS
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, replay, with_headers)

    async def _too_large(self, send) -> None:
        body = json.dumps(
            {"error": {"code": "too_large", "message": f"The request body is over {self.max_body} bytes."}}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ]
                + HEADERS,
            }
        )
        await send({"type": "http.response.body", "body": body})
