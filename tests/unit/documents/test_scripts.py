"""Every script a customer's name may be in prints with a real glyph, right to left where it reads
so, and amounts up to the largest allowed fit their columns.

A glyph the fonts lack is drawn as `.notdef` (a box), which PDF/A forbids. `glyphs_shown` reads
every glyph a page's content stream shows, font by font, and `notdef` finds the ones that are
`.notdef` in the embedded font: glyph 0, a glyph the font does not have (WeasyPrint writes the
original font's glyph count for a character no font covers), or one named `.notdef`.
Overprinting is read back with poppler's `pdftotext -bbox`: no two words' boxes may overlap, and
none may leave the page's text area.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from fontTools.ttLib import TTFont
from pypdf import PdfReader
from pypdf.generic import ContentStream, DictionaryObject

from invoicing.documents.pdf import html_to_pdf, render_credit_note_pdf, render_invoice_pdf
from invoicing.domain.invoice import Invoice
from invoicing.domain.money import MAX_AMOUNT
from invoicing.domain.totals import Discount

from . import samples

# A name per script, as a customer's name and as line descriptions.
NAMES = {
    "Japanese": "株式会社みらい商事",
    "Chinese": "北京数据分析有限公司",
    "Korean": "서울데이터 주식회사",
    "Arabic": "شركة البيانات العربية",
    "Hebrew": "חברת נתונים בע״מ",
    "Thai": "บริษัท ข้อมูล จำกัด",
    "Devanagari": "डेटा विश्लेषण प्राइवेट लिमिटेड",
    "Greek": "Ανάλυση Δεδομένων Α.Ε.",
    "emoji": "Support 🚀🎉 👍🏽 🇸🇪",
}
# The font each script must be drawn with (Greek is Inter's own).
FONTS = {
    "Japanese": "Noto-Sans-CJK-JP", "Chinese": "Noto-Sans-CJK-JP", "Korean": "Noto-Sans-CJK-JP",
    "Arabic": "Noto-Sans-Arabic", "Hebrew": "Noto-Sans-Hebrew", "Thai": "Noto-Sans-Thai",
    "Devanagari": "Noto-Sans-Devanagari", "Greek": "Inter", "emoji": "Noto-Color-Emoji",
}


@dataclass(frozen=True)
class Glyph:
    font: str  # BaseFont without the subset tag: "Noto-Sans-CJK-JP-Bold"
    gid: int
    name: str | None  # the glyph's name in the embedded font; None when the font has no such glyph
    char: str | None  # the character the embedded font's cmap gives the glyph, if any


def _embedded_font(font: DictionaryObject) -> TTFont:
    descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
    stream = descriptor.get("/FontFile2") or descriptor.get("/FontFile3")
    assert stream is not None, f"{font['/BaseFont']} is not embedded"
    return TTFont(io.BytesIO(stream.get_object().get_data()))


def _encoding(encoding: object) -> dict[int, int] | None:
    """None for Identity-H (the two bytes are the glyph id); else the codes of WeasyPrint's own CMap
    (it writes one when a glyph id does not fit the font, mapping that code to CID 0)."""
    if encoding == "/Identity-H":
        return None
    cmap = encoding.get_object().get_data().decode("latin-1")  # type: ignore[attr-defined]
    codes = {int(code, 16): int(cid) for code, cid in re.findall(r"<([0-9a-fA-F]+)>\s+(\d+)\s*$", cmap, re.M)}
    for low, high, cid in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s+(\d+)", cmap):
        codes.update({code: int(cid) + code - int(low, 16) for code in range(int(low, 16), int(high, 16) + 1)})
    return codes


def glyphs_shown(pdf: bytes) -> list[Glyph]:
    """Every glyph the pages show, in content-stream order (for a line: left to right), through form
    XObjects too. Our fonts are Type 0 with two bytes a glyph, an identity CID-to-glyph map, and
    Identity-H or WeasyPrint's own encoding CMap."""
    reader = PdfReader(io.BytesIO(pdf))
    fonts: dict[int, tuple[str, TTFont, list[str], dict[int, str], dict[int, int] | None]] = {}
    shown: list[Glyph] = []

    def font_of(ref: object) -> tuple[str, TTFont, list[str], dict[int, str], dict[int, int] | None]:
        font = ref.get_object()  # type: ignore[attr-defined]
        key = id(font)
        if key not in fonts:
            assert font["/Subtype"] == "/Type0", font
            descendant = font["/DescendantFonts"][0].get_object()
            assert descendant.get("/CIDToGIDMap", "/Identity") == "/Identity", descendant.get("/CIDToGIDMap")
            embedded = _embedded_font(font)
            order = embedded.getGlyphOrder()
            chars = {}
            for code, name in (embedded.getBestCmap() or {}).items():
                chars.setdefault(order.index(name), chr(code))
            fonts[key] = (str(font["/BaseFont"]).lstrip("/").split("+", 1)[-1], embedded, order, chars,
                          _encoding(font["/Encoding"]))
        return fonts[key]

    def walk(content: object, resources: DictionaryObject | None) -> None:
        resources = resources or DictionaryObject()
        font_refs = resources.get("/Font", {})
        xobjects = resources.get("/XObject", {})
        current = None
        for operands, operator in ContentStream(content, reader).operations:
            if operator == b"Tf":
                current = font_of(font_refs[operands[0]])
            elif operator in (b"Tj", b"TJ"):
                assert current is not None
                name, _, order, chars, encoding = current
                for part in operands[0] if operator == b"TJ" else [operands[0]]:
                    if hasattr(part, "original_bytes"):
                        data = part.original_bytes
                        for i in range(0, len(data), 2):
                            code = int.from_bytes(data[i:i + 2], "big")
                            gid = code if encoding is None else encoding.get(code, 0)
                            shown.append(Glyph(name, gid, order[gid] if gid < len(order) else None, chars.get(gid)))
            elif operator == b"Do":
                xobject = xobjects[operands[0]].get_object()
                if xobject.get("/Subtype") == "/Form":
                    walk(xobject, xobject.get("/Resources"))

    for page in reader.pages:
        walk(page.get_contents(), page["/Resources"])
    return shown


def notdef(glyphs: list[Glyph]) -> list[Glyph]:
    return [g for g in glyphs if g.gid == 0 or g.name is None or g.name == ".notdef"]


def text(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def scripts_invoice() -> Invoice:
    lines = [samples.line(name, "1", "100000", n) for n, name in enumerate(NAMES.values(), start=1)]
    customer = samples.swedish_customer(name=f"{NAMES['Japanese']} {NAMES['emoji']}", locale="en",
                                        address=samples.swedish_customer().address.model_copy(
                                            update={"line2": NAMES["Arabic"]}))
    return samples.finalized(lines, customer=customer)


def test_every_script_prints_with_a_real_glyph_of_its_own_font() -> None:
    pdf = render_invoice_pdf(scripts_invoice())
    glyphs = glyphs_shown(pdf)

    assert notdef(glyphs) == []
    drawn = {g.char: g.font for g in glyphs if g.char}
    for script, name in NAMES.items():
        for char in name:
            if ord(char) > 0x7F and (char.isalpha() or ord(char) > 0x2000):  # the script's letters, emoji
                font = drawn.get(char)
                if font is None:  # shaped into another glyph: a ligature, a conjunct, a joining form
                    continue
                assert font.startswith(FONTS[script]), (script, char, font)
        assert any(g.font.startswith(FONTS[script]) for g in glyphs), script
    # The text reads back (from each glyph's ToUnicode entry) as it was written.
    extracted = text(pdf)
    for script, name in NAMES.items():
        if script == "Devanagari":  # the i-matra is drawn before its consonant and read back out of order
            assert set(name) <= set(extracted), script
        else:
            assert name in extracted, script


def one_line_invoice(description: str) -> bytes:
    return render_invoice_pdf(samples.finalized([samples.line(description, "1", "100000")]))


def test_the_check_finds_a_glyph_no_font_has() -> None:
    # U+0378 is unassigned: no font has it, and it is drawn as .notdef.
    missing = notdef(glyphs_shown(one_line_invoice("Kund \u0378 AB")))

    assert len(missing) == 1 and missing[0].font.startswith("Inter"), missing


def test_hebrew_and_arabic_run_right_to_left_in_a_left_to_right_page() -> None:
    glyphs = glyphs_shown(one_line_invoice(f"Kund: {NAMES['Hebrew']} / {NAMES['Arabic']} AB 123"))

    # Drawn left to right, a right-to-left word shows its last letter first.
    hebrew = [g.char for g in glyphs if g.font.startswith("Noto-Sans-Hebrew") and g.char and g.char.isalpha()]
    assert hebrew == [c for c in reversed(NAMES["Hebrew"]) if c.isalpha()]
    arabic = [g for g in glyphs if g.font.startswith("Noto-Sans-Arabic")]
    assert arabic and notdef(glyphs) == []
    # The left-to-right parts keep their order around them; digits stay in the document font.
    line = "".join(g.char for g in glyphs if g.font.startswith("Inter") and g.char and g.char in "Kund:/AB123")
    assert "Kund:/AB123" in line


# --- large amounts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


def words(pdf: bytes) -> list[list[Word]]:
    """Each page's words with their boxes (points), by pdftotext -bbox (poppler-utils: required)."""
    assert shutil.which("pdftotext"), "pdftotext is required: install poppler-utils (make setup)"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "document.pdf"
        path.write_bytes(pdf)
        html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True, capture_output=True,
                              text=True).stdout
    pages = []
    for page in re.findall(r"<page [^>]*>(.*?)</page>", html, re.S):
        pages.append([Word(t, float(a), float(b), float(c), float(d)) for a, b, c, d, t in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', page)])
    return pages


def overprinted(pdf: bytes) -> list[tuple[Word, Word]]:
    """Pairs of words whose boxes overlap (by more than a hair), and words past the right margin."""
    right_margin = (210 - 17) / 25.4 * 72 + 1  # invoice.css: A4, 17 mm margins
    problems = []
    for page in words(pdf):
        for i, a in enumerate(page):
            if a.x1 > right_margin:
                problems.append((a, a))
            for b in page[i + 1:]:
                if min(a.x1, b.x1) - max(a.x0, b.x0) > 0.5 and min(a.y1, b.y1) - max(a.y0, b.y0) > 0.5:
                    problems.append((a, b))
    return problems


def large_invoice(unit_amount: int) -> Invoice:
    return samples.finalized(
        [samples.line("Anläggningsprojekt, etapp 1", "1", str(unit_amount), 1,
                      discounts=(Discount(description="Ramavtal", percent_off=Decimal(10)),)),
         samples.line("Konsulttimmar", "2.5", "120000", 2, unit_code="HUR")])


def test_a_nine_digit_sek_invoice_prints_every_amount_clear_of_its_neighbours() -> None:
    invoice = large_invoice(99_999_999_999)  # 999 999 999,99 kr, with 25 % VAT
    pdf = render_invoice_pdf(invoice)

    assert overprinted(pdf) == []
    assert "1 125 003 749,99 kr" in text(pdf).replace("\u00a0", " ")


def test_the_largest_amount_fits_in_every_currency_and_language() -> None:
    reverse = samples.german_customer(locale="en")
    for customer, currency in ((reverse, "SEK"), (reverse.model_copy(update={"locale": "de"}), "EUR"),
                               (samples.swedish_customer(tax_exempt="exempt"), "SEK"),
                               (reverse.model_copy(update={"currency": "JPY"}), "JPY"),
                               (reverse.model_copy(update={"currency": "KWD"}), "KWD")):
        invoice = samples.finalized([samples.line("Max", "1", str(MAX_AMOUNT), 1)], customer=customer,
                                    currency=currency)
        assert invoice.totals is not None and invoice.totals.total == MAX_AMOUNT
        pdf = render_invoice_pdf(invoice)
        assert overprinted(pdf) == [], (currency, customer.locale)
        credit = render_credit_note_pdf(samples.credit_note_for(invoice, MAX_AMOUNT), invoice)
        assert overprinted(credit) == [], (currency, customer.locale)


def test_the_overprint_check_finds_amounts_that_run_into_each_other() -> None:
    pdf = html_to_pdf('<html><body><table style="table-layout: fixed; width: 60mm"><tr>'
                      '<td class="num" style="width: 20mm">999 999 999 999,99 kr</td>'
                      '<td class="num" style="width: 20mm">999 999 999 999,99 kr</td></tr></table></body></html>')

    assert overprinted(pdf)
