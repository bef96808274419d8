"""What a person or a program sees when something goes wrong: a clear page or a JSON error
(never a stack trace). The services' documented errors map onto HTTP statuses."""
from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException

from services.console import display, open311
from services.console.uploads import TooLarge
from services.shared.errors import IllegalTransition, InvalidRequest, NotFound, NotPermitted
from services.shared.rpc_client import ServicesUnavailable

log = logging.getLogger(__name__)

STATUS = {InvalidRequest: 422, NotFound: 404, NotPermitted: 403, IllegalTransition: 409,
          ServicesUnavailable: 503}
TITLES = display.STATUS_TITLES
UNEXPECTED = display.STATUS_MESSAGES[500]


def wants_json() -> bool:
    return request.path.startswith(("/api/", "/open311/")) or request.accept_mimetypes.best == \
        "application/json"


def respond(status: int, message: str, errors: dict | None = None,
            page_message: str | None = None):
    """The error as Open311, the JSON API or a page says it. ``message`` is the API's (as
    the contract says); a page says ``page_message``, in Chinese (display.py), or the
    status's own sentence, and field errors by the forms' labels."""
    if request.path.startswith(open311.PREFIX):  # Open311's own error list, in its format
        return open311.error_answer(status, [message, *open311.problems(errors or {})])
    if wants_json():
        body = {"code": status, "status": TITLES.get(status, ""), "message": message}
        if errors:
            body["errors"] = errors
        return jsonify(body), status
    said = page_message or _chinese(message) or display.STATUS_MESSAGES.get(
        status, display.STATUS_MESSAGES[500])
    fields = [(display.FIELD_LABELS.get(name, ""), messages)
              for name, messages in display.flat_errors(errors or {}).items()]
    return render_template("error.html", status=status, title=TITLES.get(status, "出错了"),
                           message=said, errors=fields), status


def _chinese(message: str | None) -> str | None:
    """``message`` when the console wrote it in Chinese (abort(409, "…"), the stale form's
    page); None for English (werkzeug's, a service's), said by the status's sentence."""
    return message if message and display.chinese(message) else None


def register(app: Flask) -> None:
    @app.errorhandler(ServicesUnavailable)
    def unavailable(error):
        said = display.unavailable(error)
        return respond(503, said, page_message=said)

    @app.errorhandler(TooLarge)
    def too_large(error: TooLarge):
        return respond(413, "文件太大，未保存：每个不超过 10 MB，一次合计不超过 40 MB",
                       error.errors)

    for error_type in (InvalidRequest, NotFound, NotPermitted, IllegalTransition):
        def handler(error, status=STATUS[error_type]):
            errors = getattr(error, "errors", None)
            return respond(status, str(error), errors if isinstance(errors, dict) else None,
                           page_message=display.refusal_sentence(error))

        app.register_error_handler(error_type, handler)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if request.path.startswith(open311.PREFIX):
            return open311.http_error(error)
        # flask-smorest/webargs put field errors in error.data["messages"]
        errors = (getattr(error, "data", None) or {}).get("messages")
        body, status = respond(error.code or 500, error.description or "", errors)
        response = make_response(body, status)
        # the error's own headers (a 405's Allow: the methods the URL takes), not its body's
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        """Any other exception: logged with its trace, answered with a page or a JSON error
        (a 500 never goes out empty, nor as the WSGI server's own page)."""
        log.exception("unexpected error on %s %s", request.method, request.path)
        try:
            return respond(500, UNEXPECTED)
        except Exception:  # the error page itself failed: say it in plain text
            log.exception("the error page failed on %s %s", request.method, request.path)
            return Response(f"{TITLES[500]}: {UNEXPECTED}", status=500,
                            mimetype="text/plain")
