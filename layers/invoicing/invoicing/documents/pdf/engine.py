"""WeasyPrint, through its public API only, with what can be kept per container kept.

Per container (a Lambda execution environment): one `FontConfiguration`, our stylesheet parsed
once into a `CSS` object with it, and the data:-only URL fetcher. Per document: `HTML(string=...)`
and `write_pdf` with documented options. Nothing here imports WeasyPrint's internal modules or
assigns into a third-party module, so upgrading WeasyPrint is a change of its pin (see
`make test-weasyprint-latest`), and the golden page images say whether the pages still look the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from invoicing.documents.pdf.fetcher import data_only_url_fetcher

STYLESHEET = resources.files("invoicing.documents").joinpath("templates/invoice.css").read_text(encoding="utf-8")


@dataclass(frozen=True)
class PdfOptions:
    """What a document adds to `write_pdf`: documented options (`pdf_variant`, `attachments`...)
    and a `finisher`, called with the document and its `pydyf.PDF` before the PDF is written."""

    options: dict[str, Any] = field(default_factory=dict)
    finisher: Callable[[Any, Any], None] | None = None

    def with_attachments(self, attachments: list[Any]) -> PdfOptions:
        """These options with more `weasyprint.Attachment`s. All of them are sorted by name:
        WeasyPrint writes the EmbeddedFiles name tree in the order given, and a name tree's keys
        are in lexical order (ISO 32000, 7.9.6), which readers may search by."""
        if not attachments:
            return self
        every = sorted([*self.options.get("attachments", []), *attachments], key=lambda a: a.name.encode())
        return PdfOptions({**self.options, "attachments": every}, self.finisher)


@dataclass(frozen=True)
class Engine:
    stylesheet: Any  # weasyprint.CSS
    font_config: Any  # weasyprint.text.fonts.FontConfiguration
    url_fetcher: Any  # fetcher.data_only_url_fetcher()


@cache
def engine() -> Engine:
    """The container's engine, created on first use (or by `warm_up()` at init)."""
    # Imported here: only the document function pays for WeasyPrint (and Pango) at cold start.
    import segno.helpers  # noqa: F401 - the payment QR codes; a layer without it fails here, at cold start
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    fetcher = data_only_url_fetcher()
    font_config = FontConfiguration()
    stylesheet = weasyprint.CSS(string=STYLESHEET, font_config=font_config, url_fetcher=fetcher)
    return Engine(stylesheet, font_config, fetcher)


def html_to_pdf(html: str, extra: PdfOptions | None = None) -> bytes:
    """Lay out one of our documents as a PDF with the container's engine; only `data:` URIs are
    ever loaded."""
    import weasyprint

    kept = engine()
    extra = extra or PdfOptions()
    document = weasyprint.HTML(string=html, url_fetcher=kept.url_fetcher)
    pdf = document.write_pdf(stylesheets=[kept.stylesheet], font_config=kept.font_config,
                             finisher=extra.finisher, **extra.options)
    assert isinstance(pdf, bytes)
    return pdf


def warm_up() -> None:
    """Load WeasyPrint, the fonts and the stylesheet now rather than on the first invoice: the
    document function calls this at module scope, so the work lands in the Lambda init phase.
    The tiny document uses each weight and style the templates use, so Pango loads their faces."""
    html_to_pdf(
        '<html><body><h1>Warm-up</h1><p class="num">1 234,50</p><p><b>Bold</b> <i>Italic</i> '
        '<span style="font-weight: 600">Semibold</span></p></body></html>'
    )
