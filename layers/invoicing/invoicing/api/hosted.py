"""The hosted invoice page's routes (the hosted function; no API key, the token in the URL is the
credential). HTML in, HTML out: no JSON, no Idempotency-Key.

    GET  /i/{token}        the page (404, plain, for any token that is not a live link)
    POST /i/{token}        the "question about this invoice?" form (CSRF: the page's form token)
    GET  /i/{token}/pdf    303 to a short-lived download link of the PDF
    GET  /i/{token}/pay    303 to the payment provider's checkout (the pay button)

Every answer carries a strict Content-Security-Policy (no script, no outside font or stylesheet),
`Referrer-Policy: no-referrer` (the token must not travel to the provider in a Referer), `no-store`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import Logger

from invoicing.api.methods import MethodsResolver
from invoicing.domain.errors import InvalidInput, NotFound
from invoicing.services.hosted import HostedPageService

MAX_FORM_BYTES = 16_384
logger = Logger(service="invoicing-hosted")
_SECURITY = {
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _html(status: int, html: str, csp: str) -> Response:
    return Response(status_code=status, content_type="text/html; charset=utf-8", body=html,
                    headers={**_SECURITY, "Content-Security-Policy": csp})


def _redirect(location: str) -> Response:
    from invoicing.documents.hosted_page import NOT_FOUND_CSP

    return Response(status_code=303, content_type="text/plain; charset=utf-8", body="",
                    headers={**_SECURITY, "Content-Security-Policy": NOT_FOUND_CSP, "Location": location})


def _not_found() -> Response:
    from invoicing.documents.hosted_page import not_found_page

    page = not_found_page()
    return _html(404, page.html, page.csp)


def _form(event: Any) -> dict[str, str] | None:
    """The urlencoded form, or None when the body is not one (too large, not UTF-8, another type)."""
    media = (event.headers.get("content-type") or event.headers.get("Content-Type") or "").split(";")[0].strip()
    if media.lower() != "application/x-www-form-urlencoded":
        return None
    body = event.body or ""
    if event.is_base64_encoded:
        try:
            body = base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
    if len(body.encode("utf-8", "surrogatepass")) > MAX_FORM_BYTES:
        return None
    return {key: values[0] for key, values in parse_qs(body, keep_blank_values=True, max_num_fields=10).items()}


def hosted_app(pages: HostedPageService, today: Callable[[], date]) -> APIGatewayRestResolver:
    from invoicing.documents.hosted_page import render_hosted_page

    app = MethodsResolver()

    def page(token: str, status: int = 200, **form: Any) -> Response:
        view = pages.page(token)
        rendered = render_hosted_page(view.invoice, token=token, today=today(), pdf_ready=view.pdf_ready,
                                      can_pay_online=view.can_pay_online, form_token=view.form_token, **form)
        return _html(status, rendered.html, rendered.csp)

    @app.exception_handler(NotFound)
    def _missing(exc: NotFound) -> Response:
        return _not_found()

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        logger.exception("unhandled error")
        return Response(status_code=500, content_type="text/plain; charset=utf-8",
                        body="Something went wrong on our side; please try again.", headers=dict(_SECURITY))

    @app.not_found
    def _no_route(exc: Exception) -> Response:
        return _not_found()

    @app.get("/i/<token>")
    def show(token: str) -> Response:
        asked = (app.current_event.query_string_parameters or {}).get("asked") == "1"
        return page(token, asked=asked)

    @app.post("/i/<token>")
    def ask(token: str) -> Response:
        form = _form(app.current_event)
        if form is None:
            return page(token, 400, error="The form could not be read.")
        text, email = form.get("question", ""), form.get("email", "")
        try:
            pages.ask(token, form.get("form_token", ""), text, email)
        except InvalidInput as error:
            return page(token, 400, error=error.message, question_text=text[:4000], question_email=email[:254])
        return _redirect(f"{token.rsplit('/', 1)[-1]}?asked=1")

    @app.get("/i/<token>/pdf")
    def pdf(token: str) -> Response:
        return _redirect(pages.pdf_url(token))

    @app.get("/i/<token>/pay")
    def pay(token: str) -> Response:
        try:
            return _redirect(pages.checkout(token))
        except InvalidInput as error:
            return page(token, 409, error=error.message)

    return app
