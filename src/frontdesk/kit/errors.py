"""One error base and the problem+json (RFC 9457) rendering of every error."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger()


class FrontdeskError(Exception):
    status: int = 400
    code: str = "bad_request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.headers = headers or {}
        self.extra = extra or {}


class BadRequest(FrontdeskError):
    """400 with a detail saying what is wrong with the request."""


class Unprocessable(FrontdeskError):
    status, code, title = 422, "validation_error", "Validation error"


class NotFound(FrontdeskError):
    status, code, title = 404, "not_found", "Not found"


class Unauthorized(FrontdeskError):
    status, code, title = 401, "unauthorized", "Unauthorized"


class Forbidden(FrontdeskError):
    status, code, title = 403, "forbidden", "Forbidden"


class Conflict(FrontdeskError):
    status, code, title = 409, "conflict", "Conflict"


class PayloadTooLarge(FrontdeskError):
    status, code, title = 413, "payload_too_large", "Payload too large"


class ServiceUnavailable(FrontdeskError):
    status, code, title = 503, "unavailable", "Service unavailable"


_HTTP_CODES = {
    400: ("bad_request", "Bad request"),
    401: ("unauthorized", "Unauthorized"),
    403: ("forbidden", "Forbidden"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    406: ("not_acceptable", "Not acceptable"),
    413: ("payload_too_large", "Payload too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
    422: ("validation_error", "Validation error"),
    429: ("rate_limited", "Too many requests"),
}


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {
        "type": f"https://frontdesk.dev/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    fields = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ())]
        fields.append(
            {
                "loc": loc,
                "field": ".".join(loc[1:]) or ".".join(loc),
                "message": err.get("msg", "invalid"),
                "type": err.get("type", "invalid"),
            }
        )
    return fields


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(FrontdeskError)
    async def _domain(_: Request, exc: FrontdeskError) -> JSONResponse:
        return problem(exc.status, exc.code, exc.title, exc.detail, headers=exc.headers, **exc.extra)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, title = _HTTP_CODES.get(exc.status_code, ("http_error", "HTTP error"))
        detail = exc.detail if isinstance(exc.detail, str) else title
        return problem(exc.status_code, code, title, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        fields = _field_errors(exc)
        if any(f["type"] == "json_invalid" for f in fields):
            return problem(400, "malformed_json", "Malformed JSON", "The request body is not valid JSON.")
        summary = "; ".join(f"{f['field'] or 'body'}: {f['message']}" for f in fields[:5])
        return problem(422, "validation_error", "Validation error", summary, errors=fields)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("request.unhandled_error", path=request.url.path)
        return problem(
            500,
            "internal_error",
            "Internal server error",
            "Something went wrong on our side. The error has been logged.",
        )
