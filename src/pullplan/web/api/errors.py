"""Every error the API answers is JSON: {"error": {"code", "message", "field"?, "reasons"?}}."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from pullplan.services.accounts import LoginRefused, LoginThrottled
from pullplan.services.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PullRefused,
    ServiceError,
)
from pullplan.web.api.schemas import ErrorRead
from pullplan.web.auth import CsrfRefused, Forbidden, NotSignedIn

STATUS = {
    NotFound: 404,
    InvalidInput: 422,
    Conflict: 409,
    PullRefused: 409,
    NotSignedIn: 401,
    LoginRefused: 401,
    Forbidden: 403,
    CsrfRefused: 403,
    LoginThrottled: 429,
}
TITLES = {
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    409: "Not possible now",
    413: "Too large",
    422: "Invalid input",
    429: "Too many attempts",
}

# Every error a route may answer, each with the one error body (schemas.ErrorRead).
RESPONSES = {
    status: {"description": description, "model": ErrorRead}
    for status, description in {
        401: "No valid session or API token",
        403: "Your role does not allow this, or a cross-site request was refused",
        404: "Unknown id",
        409: "Refused: a pull the policy does not allow, or a conflicting state",
        413: "The request body is over 1,000,000 bytes",
        422: "Invalid input; the message names the field",
    }.items()
}


def _is_page(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith("/api/") or path == "/openapi.json")


def error_response(status: int, code: str, message: str, request: Request | None = None, **extra):
    """JSON for the API; for a page, an error page (or the sign-in page when not signed in)."""
    if request is not None and _is_page(request):
        if code == "not_signed_in":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        from pullplan.web.ui.render import render

        context = {"status": status, "title": TITLES.get(status, "Something is wrong"), "message": message}
        return render(request, "error.html", context, status_code=status)
    body = {"code": code, "message": message}
    body.update({k: x for k, x in extra.items() if x is not None})
    return JSONResponse({"error": body}, status_code=status)


def _field_of(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


def install(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError):
        status = next((s for kind, s in STATUS.items() if isinstance(exc, kind)), 400)
        reasons = None
        if isinstance(exc, PullRefused):
            reasons = [
                {"code": f.code, "message": f.message, "severity": f.severity.value}
                for f in exc.decision.findings
            ]
        return error_response(
            status, exc.code, exc.message, request, field=getattr(exc, "field", None), reasons=reasons
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid input"}
        field = _field_of(tuple(first.get("loc", ())))
        if first.get("type") == "json_invalid":
            field = "body"  # its loc ends with a character position, not a field
        message = f"{field}: {first.get('msg', 'invalid')}"
        if len(errors) > 1:
            message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
        return error_response(422, "invalid_input", message, request, field=field)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 400:  # a body FastAPI could not parse (not UTF-8, nested too deep)
            return error_response(422, "invalid_input", f"body: {exc.detail}", request, field="body")
        codes = {404: "not_found", 405: "method_not_allowed"}
        return error_response(
            exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail), request
        )
