"""The renderer's shortcuts draw exactly what plain WeasyPrint draws from the same HTML.

`html_to_pdf` parses our XHTML with the C XML parser instead of WeasyPrint's HTML5 parser and
styles it with our small user-agent stylesheet instead of WeasyPrint's full HTML5 one. Both are
only worth having if the pages come out the same, pixel for pixel.
"""

import re
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from invoicing.documents import pdf, shared_lines, shared_styles
from invoicing.documents.pdf import html_to_pdf, render_credit_note_html, render_invoice_html

from . import samples

Image = pytest.importorskip("PIL.Image")
ImageChops = pytest.importorskip("PIL.ImageChops")
pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs pdftoppm (poppler-utils)")


def plain_weasyprint(html: str) -> bytes:
    import weasyprint

    return weasyprint.HTML(string=html).write_pdf(stylesheets=[weasyprint.CSS(string=pdf._STYLESHEET)])


def pages(document: bytes, folder: str, name: str) -> list[Path]:
    Path(folder, f"{name}.pdf").write_bytes(document)
    subprocess.run(["pdftoppm", "-r", "100", "-png", f"{folder}/{name}.pdf", f"{folder}/{name}"], check=True)
    return sorted(Path(folder).glob(f"{name}-*.png"))


def assert_same_pixels(a: bytes, b: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        pages_a, pages_b = pages(a, folder, "a"), pages(b, folder, "b")
        assert len(pages_a) == len(pages_b)
        for page_a, page_b in zip(pages_a, pages_b, strict=True):
            with Image.open(page_a) as image_a, Image.open(page_b) as image_b:
                assert ImageChops.difference(image_a.convert("RGB"), image_b.convert("RGB")).getbbox() is None, \
                    page_a.name


def paid() -> str:
    return render_invoice_html(samples.swedish_invoice().pay(datetime(2026, 3, 20, tzinfo=UTC)))


def credit_note() -> str:
    invoice = samples.swedish_invoice()
    return render_credit_note_html(samples.credit_note_for(invoice, 30000), invoice)


@pytest.mark.parametrize("html", [
    pytest.param(lambda: render_invoice_html(samples.swedish_invoice()), id="swedish"),
    pytest.param(lambda: render_invoice_html(samples.german_reverse_charge_invoice()), id="reverse charge, QR"),
    pytest.param(paid, id="paid stamp"),
    pytest.param(credit_note, id="credit note"),
    pytest.param(lambda: render_invoice_html(samples.long_invoice(60)), id="three pages"),
])
def test_the_fast_path_draws_what_plain_weasyprint_draws(html):
    source = html()
    assert_same_pixels(html_to_pdf(source), plain_weasyprint(source))


def test_text_the_xml_parser_refuses_takes_the_html5_parser():
    invoice = samples.finalized([samples.line("Vertical\x0btab and form\x0cfeed", "1", "100000")])
    source = render_invoice_html(invoice)
    with pytest.raises(pdf.ElementTree.ParseError):
        pdf.ElementTree.fromstring(source)
    document = html_to_pdf(source)
    assert b"%PDF" in document[:8]
    assert_same_pixels(document, plain_weasyprint(source))


def test_the_rendered_html_has_no_whitespace_between_tags():
    source = render_invoice_html(samples.swedish_invoice())
    assert re.search(r">\s+<", source) is None


def test_the_pdf_streams_are_deflated_at_zlibs_default_level():
    import io

    import pydyf
    from pypdf import PdfReader

    document = html_to_pdf(render_invoice_html(samples.swedish_invoice()))
    assert isinstance(pydyf.zlib, pdf._Deflate), "pydyf no longer reads a module-level zlib: drop _Deflate"
    assert b"/FlateDecode" in document
    assert "INV-000001" in PdfReader(io.BytesIO(document)).pages[0].extract_text()


# --- computed styles shared across documents (shared_styles.py) ------------------------------


def serif_brand_invoice() -> str:
    """Another brand (colour, font, no logo) and another language: a different set of styles."""
    seller = samples.swedish_seller(branding=samples.Branding(primary_color="#8E24AA", font="DejaVu Serif"))
    return render_invoice_html(samples.german_reverse_charge_invoice(seller=seller))


def test_the_shared_styles_copy_weasyprints_style_builder_of_version_70():
    import weasyprint

    assert weasyprint.__version__ == "70.0", (
        "shared_styles.SharedStyleFor copies StyleFor.__init__ of WeasyPrint 70.0: compare it with the new version's")


def test_documents_in_turn_draw_what_fresh_styles_draw():
    """A run of different documents (languages, brands, stamps, a credit note, several pages) through
    the shared styles, each compared with plain WeasyPrint: no style leaks from one to the next."""
    shared_styles.SHARED.styles.clear()
    run = [lambda: render_invoice_html(samples.swedish_invoice()), serif_brand_invoice, paid, credit_note,
           lambda: render_invoice_html(samples.long_invoice(40)),
           lambda: render_invoice_html(samples.german_reverse_charge_invoice()),
           lambda: render_invoice_html(samples.swedish_invoice())]
    for html in run:
        source = html()
        assert_same_pixels(html_to_pdf(source), plain_weasyprint(source))


def test_a_document_like_an_earlier_one_computes_no_new_style():
    shared_styles.SHARED.styles.clear()
    html_to_pdf(render_invoice_html(samples.swedish_invoice()))
    known = len(shared_styles.SHARED.styles)
    another = samples.finalized([samples.line("Konsulttimmar", "3", "12000", 1), samples.line("Resa", "1", "4500", 2)])
    html_to_pdf(render_invoice_html(another))
    assert len(shared_styles.SHARED.styles) == known
    html_to_pdf(serif_brand_invoice())
    assert len(shared_styles.SHARED.styles) > known, "another brand and language share no styles with the first"


def test_plain_weasyprint_in_the_same_process_keeps_its_own_styles():
    html_to_pdf(render_invoice_html(samples.swedish_invoice()))
    known = dict(shared_styles.SHARED.styles)
    plain_weasyprint(serif_brand_invoice())
    assert shared_styles.SHARED.styles == known


def test_the_shared_styles_start_again_past_their_bound(monkeypatch):
    monkeypatch.setattr(shared_styles, "MAX_SHARED_STYLES", 5)
    source = render_invoice_html(samples.swedish_invoice())
    html_to_pdf(source)
    assert len(shared_styles.SHARED.styles) > 5
    document = html_to_pdf(source)
    assert len(shared_styles.SHARED.styles) > 5  # emptied, then filled by this document alone
    assert_same_pixels(document, plain_weasyprint(source))


# --- lines laid out once and reused (shared_lines.py) -----------------------------------------


def other_customers_invoice() -> str:
    customer = samples.swedish_customer(id="cus_berg", name="Berg Fastigheter AB", email="faktura@berg.example")
    return render_invoice_html(samples.finalized(
        [samples.line("Konsulttimmar", "3", "12000", 1), samples.line("Resa", "1", "4500", 2)],
        customer=customer, number="INV-000777"))


def test_a_later_document_reuses_the_lines_it_shares_with_earlier_ones():
    shared_styles.SHARED.styles.clear()
    html_to_pdf(render_invoice_html(samples.swedish_invoice()))
    hits = shared_lines.SHARED.hits
    source = other_customers_invoice()
    document = html_to_pdf(source)
    assert shared_lines.SHARED.hits - hits > 30, "labels, the seller's block, column titles and the footer recur"
    assert_same_pixels(document, plain_weasyprint(source))


def test_a_kept_line_whose_text_was_edited_is_laid_out_again():
    source = render_invoice_html(samples.swedish_invoice())
    shared_lines.SHARED.entries.clear()
    html_to_pdf(source)
    key, (_, fitted, answer) = next((k, v) for k, v in shared_lines.SHARED.entries.items() if k[0] == "Fakturadatum")
    answer[0].text = fitted + "…"  # what drawing an ellipsis does to WeasyPrint's Layout
    document = html_to_pdf(source)
    assert shared_lines.SHARED.entries[key][2] is not answer
    assert_same_pixels(document, plain_weasyprint(source))


def test_plain_weasyprint_in_the_same_process_keeps_its_own_lines():
    html_to_pdf(render_invoice_html(samples.swedish_invoice()))
    lines, hits = dict(shared_lines.SHARED.entries), shared_lines.SHARED.hits
    plain_weasyprint(other_customers_invoice())
    assert (shared_lines.SHARED.entries, shared_lines.SHARED.hits) == (lines, hits)


def test_the_lines_start_again_with_the_styles():
    html_to_pdf(render_invoice_html(samples.swedish_invoice()))
    assert shared_lines.SHARED.entries
    shared_styles.SHARED.font_config = None  # as when the style cache passes its bound
    html_to_pdf(other_customers_invoice())
    assert all(shared_styles.is_shared(style) for style, _, _ in shared_lines.SHARED.entries.values())
    current = {id(style) for style in shared_styles.SHARED.styles.values()}
    assert all(id(style) in current or id(style.parent_style) in current
               for style, _, _ in shared_lines.SHARED.entries.values()), "no line of the styles before"


def test_every_weasyprint_module_resolves_lengths_through_the_shared_ones():
    import sys

    import weasyprint.layout.percent

    pdf._engine()
    original = weasyprint.layout.percent.resolve_percentages
    callers = [name for name, module in sys.modules.items()
               if name.startswith("weasyprint.") and name != "weasyprint.layout.percent"
               and getattr(module, "resolve_percentages", None) is original]
    assert callers == [], "WeasyPrint imports resolve_percentages in more modules: add them to _PERCENTAGE_USERS"


def test_a_similar_document_resolves_no_new_lengths():
    html_to_pdf(render_invoice_html(samples.swedish_invoice()))
    known = len(shared_styles.USED_LENGTHS.entries)
    assert known
    source = other_customers_invoice()
    html_to_pdf(source)
    html_to_pdf(source)
    again = len(shared_styles.USED_LENGTHS.entries)
    html_to_pdf(source)
    assert len(shared_styles.USED_LENGTHS.entries) == again


def test_only_styles_that_outlive_their_document_count_as_shared():
    html_to_pdf(render_invoice_html(samples.swedish_invoice()))
    style = next(iter(shared_styles.SHARED.styles.values()))
    assert shared_styles.is_shared(style)
    assert shared_styles.is_shared(style.anonymous_style)
    assert not shared_styles.is_shared(style.copy())
    assert not shared_styles.is_shared(style.anonymous_style.copy()), "a table wrapper's per-document copy"


def test_a_random_run_of_invoices_draws_what_plain_weasyprint_draws():
    """Seeded variety through every cache at once: three languages, two fonts, brand colours,
    descriptions long enough to wrap over several lines, soft hyphens and free-text notes, customers
    that come back with other amounts."""
    import random
    from decimal import Decimal

    from invoicing.domain.party import Address
    from invoicing.domain.totals import Discount

    rng = random.Random(20261127)
    words = ["Analys", "plattform", "Beratung", "Datenmigration", "support", "Lizenz", "extra", "Über\u00adsetzung",
             "rapport", "Konfiguration", "integration", "Schulung", "månad", "API"]
    for n in range(6):
        seller = samples.swedish_seller(branding=samples.Branding(
            primary_color=rng.choice(["#0B5563", "#8E24AA", "#C62828", "#FFD54F"]),
            font=rng.choice(["Inter", "DejaVu Sans"]),
            footer=rng.choice([None, "Norrsken Analytics AB · Org.nr 556677-8899"])))
        customer = samples.swedish_customer(
            id=f"cus_{n % 3}", name=rng.choice(["Lindqvist & Söner Bygg AB", "Brandt Logistik GmbH", "Åkesson KB"]),
            locale=rng.choice(["sv", "de", "en"]),
            address=Address(line1=f"Storgatan {rng.randint(1, 99)}", city="Malmö", postal_code="211 22", country="SE"))
        lines = [samples.line(" ".join(rng.choices(words, k=rng.randint(1, 14))), str(rng.randint(1, 40)),
                              str(rng.randint(1, 999999)), i,
                              discounts=(Discount(description="Rabatt", percent_off=Decimal(10)),) if rng.random() < .3
                              else ())
                 for i in range(1, rng.randint(2, 9))]
        source = render_invoice_html(samples.finalized(lines, seller=seller, customer=customer,
                                                       number=f"INV-{n:06d}", description=" ".join(words[:n + 3])))
        assert_same_pixels(html_to_pdf(source), plain_weasyprint(source))
