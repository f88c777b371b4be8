"""The URL fetcher every document is rendered with: `data:` URIs only, nothing from the network.

A subclass of WeasyPrint's public `URLFetcher` with its own `fetch` (what WeasyPrint's API reference,
"URL Fetchers", documents for custom fetchers). It decodes `data:` URIs itself and refuses every
other URL, so neither a customer's SVG logo nor any text can reach the network or the file system.
"""

from __future__ import annotations

import base64
import binascii
import logging
import ssl
from collections.abc import Mapping
from functools import cache
from typing import Any
from urllib.parse import unquote_to_bytes

# The renderer's one logger name, whichever of its modules logs.
logger = logging.getLogger("invoicing.documents.pdf")


class ResourceRefused(ValueError):
    """A document tried to load something that is not inlined (http, https, file...)."""


@cache
def data_only_url_fetcher() -> Any:
    """A WeasyPrint URL fetcher that decodes `data:` URIs itself and refuses every other URL
    (http, https, ftp, file...) with `ResourceRefused`. One per container."""
    # Imported here: only the document function pays for WeasyPrint at cold start.
    from weasyprint import URLFetcher
    from weasyprint.urls import URLFetcherResponse  # what `URLFetcher.fetch` is documented to return

    class DataOnlyURLFetcher(URLFetcher):
        def __init__(self) -> None:
            # The TLS context is never used (nothing but data: URIs is fetched): a bare one spares
            # loading the system's CA certificates, ~45 ms of a cold start.
            super().__init__(allowed_protocols=("data",), allow_redirects=False, fail_on_errors=False,
                             ssl_context=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))

        def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
            if url[:5].lower() != "data:":
                logger.warning("Refused to fetch %s: documents load only inlined data: URIs", url[:200])
                raise ResourceRefused(f"Refused to fetch {url[:200]}: only data: URIs are allowed")
            header, _, payload = url[5:].partition(",")
            media_type = header.removesuffix(";base64") or "text/plain;charset=US-ASCII"
            try:
                body = base64.b64decode(unquote_to_bytes(payload)) if header.endswith(";base64") \
                    else unquote_to_bytes(payload)
            except (binascii.Error, ValueError) as exc:
                raise ResourceRefused("Malformed data: URI") from exc
            return URLFetcherResponse(url, body, {"Content-Type": media_type})

    return DataOnlyURLFetcher()
