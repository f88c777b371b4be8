"""The renderer uses WeasyPrint through its public API only, and keeps what that API lets it keep.

No copy of WeasyPrint's internals, no monkeypatch of it or of any other library: what the
engine keeps per container is one `FontConfiguration`, the parsed stylesheet (a `CSS` object)
and the data:-only URL fetcher. Everything else is WeasyPrint's, document by document.
"""

import ast
import io
import re
from pathlib import Path

from pypdf import PdfReader

import invoicing.documents
from invoicing.documents.pdf import engine, html_to_pdf, render_invoice_html, warm_up

from . import samples

DOCUMENTS = Path(invoicing.documents.__file__).parent
# The names of WeasyPrint's API reference (and the URL fetcher's documented response), by module.
PUBLIC = {
    "weasyprint": {"HTML", "CSS", "Attachment", "URLFetcher"},
    "weasyprint.text.fonts": {"FontConfiguration"},
    "weasyprint.urls": {"URLFetcherResponse"},
}
THIRD_PARTY = ("weasyprint", "pydyf", "tinycss2", "cssselect2", "tinyhtml5", "pyphen", "fontTools", "PIL", "segno")


def renderer_modules() -> list[Path]:
    return [p for p in DOCUMENTS.rglob("*.py") if "einvoice" not in p.parts]


def test_weasyprint_is_imported_by_its_public_names_only():
    for path in renderer_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "weasyprint":
                names = {alias.name for alias in node.names}
                assert names <= PUBLIC.get(node.module or "", set()), f"{path.name}: from {node.module} import {names}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "weasyprint":
                        assert alias.name == "weasyprint", f"{path.name}: import {alias.name}"
                    assert alias.name.split(".")[0] not in ("pydyf", "tinycss2", "cssselect2", "tinyhtml5"), \
                        f"{path.name}: WeasyPrint's own dependencies are its business ({alias.name})"


def test_nothing_is_assigned_into_a_third_party_module():
    for path in renderer_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {alias.asname or alias.name.split(".")[0] for node in ast.walk(tree)
                    if isinstance(node, ast.Import | ast.ImportFrom) for alias in node.names
                    if (getattr(node, "module", None) or alias.name).split(".")[0] in THIRD_PARTY}
        for node in ast.walk(tree):
            targets = node.targets if isinstance(node, ast.Assign) else \
                [node.target] if isinstance(node, ast.AugAssign | ast.AnnAssign) else []
            for target in targets:
                while isinstance(target, ast.Attribute | ast.Subscript):
                    target = target.value
                    if isinstance(target, ast.Name):
                        assert target.id not in imported, f"{path.name}:{node.lineno} assigns into {target.id}"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr":
                raise AssertionError(f"{path.name}:{node.lineno}: setattr")


def test_the_engine_is_made_once_per_container():
    warm_up()
    kept = engine.engine()
    html_to_pdf(render_invoice_html(samples.swedish_invoice()))
    assert engine.engine() is kept
    assert type(kept.font_config).__name__ == "FontConfiguration"
    assert type(kept.stylesheet).__name__ == "CSS"


def media_box(pdf: bytes) -> tuple[float, float]:
    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    return round(float(box.width)), round(float(box.height))


def test_each_document_has_its_own_page_size():
    """Nothing of one document's styles outlives it (the style cache this replaces kept the
    first document's page size for every later one)."""
    a4 = (595, 842)
    assert media_box(html_to_pdf(render_invoice_html(samples.swedish_invoice()))) == a4
    a5 = html_to_pdf("<html><head><style>@page { size: A5 }</style></head><body><p>A5</p></body></html>")
    assert media_box(a5) == (420, 595)
    letter = html_to_pdf("<html><head><style>@page { size: letter }</style></head><body><p>Letter</p></body></html>")
    assert media_box(letter) == (612, 792)
    assert media_box(html_to_pdf(render_invoice_html(samples.swedish_invoice()))) == a4


def test_the_rendered_html_has_no_whitespace_between_tags():
    source = render_invoice_html(samples.swedish_invoice())
    assert re.search(r">\s+<", source) is None


def test_control_characters_in_a_customers_text_render():
    invoice = samples.finalized([samples.line("Vertical\x0btab and form\x0cfeed", "1", "100000")])
    document = html_to_pdf(render_invoice_html(invoice))
    assert b"%PDF" in document[:8]
    assert "Lindqvist & Söner Bygg AB" in PdfReader(io.BytesIO(document)).pages[0].extract_text()
