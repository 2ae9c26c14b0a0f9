"""Problem details (RFC 9457): the one shape of every error response."""

from __future__ import annotations

import logging
from http import HTTPStatus

from flask import Flask, g, jsonify, request
from marshmallow import ValidationError
from peewee import DoesNotExist, IntegrityError
from werkzeug.exceptions import HTTPException

log = logging.getLogger("dateline.errors")

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:dateline:problem:"


class Problem(Exception):
    """An error the API reports on purpose; raised anywhere, rendered in one place."""

    def __init__(self, status: int, detail: str, *, kind: str | None = None,
                 headers: dict | None = None, **extra):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind
        self.headers = headers or {}
        self.extra = extra

    def __reduce__(self):
        # Keyword arguments survive pickling (`dateline import` hands items to workers).
        return _rebuilt_problem, (self.status, self.detail, self.kind, self.headers,
                                  self.extra)


def _rebuilt_problem(status, detail, kind, headers, extra) -> Problem:
    return Problem(status, detail, kind=kind, headers=headers, **extra)


def field_errors(messages, prefix: str = "") -> list[dict]:
    """Flatten marshmallow's nested messages into JSON Pointer / detail pairs."""
    found = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key == "_schema":
                found += field_errors(value, prefix)
            else:
                token = str(key).replace("~", "~0").replace("/", "~1")
                found += field_errors(value, f"{prefix}/{token}")
    elif isinstance(messages, list | tuple):
        for message in messages:
            found += field_errors(message, prefix)
    else:
        found.append({"pointer": prefix or "/", "detail": str(messages)})
    return found


def problem_response(status: int, detail: str, *, kind: str | None = None,
                     headers: dict | None = None, **extra):
    body = {
        "type": TYPE_PREFIX + kind if kind else "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.path,
        "request_id": g.get("request_id", ""),
    }
    body.update({key: value for key, value in extra.items() if value is not None})
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _from_problem(error: Problem):
    return problem_response(error.status, error.detail, kind=error.kind,
                            headers=error.headers, **error.extra)


def _from_validation(error: ValidationError):
    return problem_response(422, "The request body has invalid fields; see errors.",
                            kind="validation-error", errors=field_errors(error.messages))


def _from_http(error: HTTPException):
    if error.response is not None:
        return error.response  # already a problem (the rate limiter's 429)
    status = error.code or 500
    if status >= 500:
        return _from_unexpected(error)
    headers = {}
    allow = error.get_headers() and dict(error.get_headers()).get("Allow")
    if allow:
        headers["Allow"] = allow
    messages = (getattr(error, "data", None) or {}).get("messages")
    if messages:
        # webargs reports arguments it could not parse; query mistakes are the
        # client's malformed request (400), body mistakes unprocessable content (422).
        if "query" in messages:
            return problem_response(400, "Invalid query parameters; see errors.",
                                    kind="invalid-parameters",
                                    errors=field_errors(messages["query"], "#"))
        if "json" in messages:
            return problem_response(422, "The request body has invalid fields; see errors.",
                                    kind="validation-error",
                                    errors=field_errors(messages["json"]))
        return problem_response(422, "Invalid request; see errors.", kind="validation-error",
                                errors=field_errors(messages))
    return problem_response(status, _describe(error), headers=headers)


def _describe(error: HTTPException) -> str:
    if error.code == 404:
        return "No resource at this path."
    if error.code == 405:
        return f"{request.method} is not allowed on this resource."
    return error.description or HTTPStatus(error.code).phrase


def _from_missing_row(error: DoesNotExist):
    name = type(error).__name__.removesuffix("DoesNotExist").lower() or "resource"
    return problem_response(404, f"No such {name}.")


def _from_integrity(error: IntegrityError):
    return problem_response(409, "The change conflicts with data already stored.",
                            kind="conflict")


def _from_unexpected(error: Exception):
    log.error("request %s failed", g.get("request_id", "-"), exc_info=error,
              extra={"fields": {"request_id": g.get("request_id")}})
    return problem_response(500, "The server failed to handle this request; it has been "
                                 "logged with the request id.", kind="internal-error")


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(Problem, _from_problem)
    app.register_error_handler(ValidationError, _from_validation)
    app.register_error_handler(HTTPException, _from_http)
    app.register_error_handler(DoesNotExist, _from_missing_row)
    app.register_error_handler(IntegrityError, _from_integrity)
    app.register_error_handler(Exception, _from_unexpected)
