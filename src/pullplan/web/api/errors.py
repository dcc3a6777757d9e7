"""Every error the API answers is JSON: {"error": {"code", "message", "field"?, "reasons"?}}."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from pullplan.services.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PullRefused,
    ServiceError,
)

STATUS = {NotFound: 404, InvalidInput: 422, Conflict: 409, PullRefused: 409}

RESPONSES = {
    404: {"description": "Unknown id", "model": None},
    409: {"description": "Refused: a pull the policy does not allow, or a conflicting state"},
    422: {"description": "Invalid input; the message names the field"},
}


def error_response(status: int, code: str, message: str, **extra) -> JSONResponse:
    body = {"code": code, "message": message}
    body.update({k: x for k, x in extra.items() if x is not None})
    return JSONResponse({"error": body}, status_code=status)


def _field_of(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


def install(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(_request: Request, exc: ServiceError):
        status = next((s for kind, s in STATUS.items() if isinstance(exc, kind)), 400)
        reasons = None
        if isinstance(exc, PullRefused):
            reasons = [
                {"code": f.code, "message": f.message, "severity": f.severity.value}
                for f in exc.decision.findings
            ]
        return error_response(
            status, exc.code, exc.message, field=getattr(exc, "field", None), reasons=reasons
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError):
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid input"}
        field = _field_of(tuple(first.get("loc", ())))
        if first.get("type") == "json_invalid":
            field = "body"  # its loc ends with a character position, not a field
        message = f"{field}: {first.get('msg', 'invalid')}"
        if len(errors) > 1:
            message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
        return error_response(422, "invalid_input", message, field=field)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException):
        codes = {404: "not_found", 405: "method_not_allowed"}
        return error_response(exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail))
