"""The headers every console response carries, pages, API, Open311, static files and error
pages alike (OWASP ASVS level 2): the one place that sets them.

- Content-Security-Policy: scripts, styles and everything else only from the console
  itself, no inline script or ``on…=`` handler, and no page inside another's frame.
- X-Frame-Options DENY, for browsers that do not know ``frame-ancestors``.
- X-Content-Type-Options nosniff: a download or an answer is taken as the type it says.
- Referrer-Policy same-origin: addresses (ticket numbers, unit ids) never leave in a
  Referer; the console's own form posts keep theirs, which CSRF protection over HTTPS reads.
- Cache-Control no-store on all but static files: pages, answers and exports hold
  residents' phones and addresses, which must not stay in a shared browser's cache.
- Strict-Transport-Security, unless the console is served over plain http
  (CONSOLE_PLAIN_HTTP, settings.py).
"""
from __future__ import annotations

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
STRICT_TRANSPORT = "max-age=31536000"  # a year, the console's host only
NOT_CACHED = "no-store"


def register(app: Flask, plain_http: bool) -> None:
    """Put the headers on every response of ``app``."""
    headers = dict(SECURITY_HEADERS)
    if not plain_http:
        headers["Strict-Transport-Security"] = STRICT_TRANSPORT

    @app.after_request
    def secured(response: Response) -> Response:
        for name, value in headers.items():
            response.headers[name] = value
        if request.endpoint != "static":
            response.headers["Cache-Control"] = NOT_CACHED
        return response
