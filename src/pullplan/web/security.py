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


class _TooLarge(Exception):
    pass


class SecurityMiddleware:
    """Refuse bodies over MAX_BODY_BYTES with 413 (by Content-Length, or while streaming), and
    add the security headers to every response."""

    def __init__(self, app, max_body: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            return await self._too_large(send)
        seen = 0
        started = False

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _TooLarge
            return message

        async def with_headers(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                extra = DOCS_HEADERS if scope.get("path") == "/docs" else HEADERS
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        try:
            await self.app(scope, limited_receive, with_headers)
        except _TooLarge:
            if not started:
                await self._too_large(send)

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
