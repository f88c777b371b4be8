"""Golden page images: each template in each language, rendered and compared with how it looked.

Every page is rasterised with pdftoppm (poppler-utils, installed by `make setup`; required: a
missing pdftoppm fails these tests, it never skips them) and compared with its image under
`golden/` with a tolerance (golden/README.md: how it was chosen, measured):

- both images are blurred a little (BLUR_RADIUS), so anti-aliased glyph edges count for less;
- the page is cut into tiles of TILE pixels (5 mm), and each tile of the new page may sit up to
  one pixel off its golden tile (what a sub-pixel change of a WeasyPrint or Pango upgrade does);
- the page fails when any tile still differs by more than MAX_TILE_DIFFERENCE on average, or by
  more than MAX_INK_SHARE of the ink in it (and by more than MIN_INK_DIFFERENCE): sparse text that
  moved off its place is little ink, but all of it.

A block that moves, a column that narrows, a row that disappears, an alignment or a colour that
changes fails; a page that shifts by a fraction of a pixel passes. What the text says is the job
of the text tests (test_pdf.py), not of these.

Regenerate after an intended change of the documents' look: `make golden` (or
`UPDATE_GOLDEN=1 pytest tests/unit/documents/test_golden_pages.py`), and look at the new images
before committing them. A failing page is written to `out/golden/` with a difference image.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageFilter, ImageOps

from invoicing.documents.pdf import html_to_pdf, render_credit_note_pdf, render_invoice_html, render_invoice_pdf

from . import samples
from .test_scripts import large_invoice, scripts_invoice

GOLDEN = Path(__file__).parent / "golden"
FAILED = Path(__file__).resolve().parents[3] / "out" / "golden"
DPI = 60
BLUR_RADIUS = 1.5  # pixels at DPI
TILE = 12  # pixels at DPI: 5 mm, about a line of text
MAX_TILE_DIFFERENCE = 24  # 0-255: the mean, over a tile, of each pixel's largest channel difference
MAX_INK_SHARE = 0.8  # of the tile's ink (its darkness, the darker page's), counted from 10 up
MIN_INK_DIFFERENCE = 8  # 0-255: below this a tile never fails for its share of ink


def update() -> bool:
    return os.environ.get("UPDATE_GOLDEN", "") not in ("", "0")


def english_invoice() -> samples.Invoice:
    return samples.eur_invoice()  # EUR, reverse charge, payment QR code


def swedish_invoice() -> samples.Invoice:
    return samples.swedish_invoice()


def german_invoice() -> samples.Invoice:
    return samples.german_reverse_charge_invoice()


DOCUMENTS: dict[str, Callable[[], bytes]] = {
    # With the hosted page's link: printed under the payment details, and as a QR code where no EPC code
    # is (SEK: the Swedish invoice).
    "invoice-en": lambda: render_invoice_pdf(english_invoice(), hosted_url=samples.HOSTED_URL),
    "invoice-sv": lambda: render_invoice_pdf(swedish_invoice(), hosted_url=samples.HOSTED_URL),
    "invoice-de": lambda: render_invoice_pdf(german_invoice(), hosted_url=samples.HOSTED_URL),
    "invoice-sv-three-pages": lambda: render_invoice_pdf(samples.long_invoice(60)),
    # Every script (Noto fonts, right to left, emoji) and amounts that need the wide layout.
    "invoice-scripts": lambda: render_invoice_pdf(scripts_invoice()),
    "invoice-sv-nine-digits": lambda: render_invoice_pdf(large_invoice(99_999_999_999)),
    "credit-note-en": lambda: render_credit_note_pdf(samples.credit_note_for(english_invoice(), 5000),
                                                     english_invoice()),
    "credit-note-sv": lambda: render_credit_note_pdf(samples.credit_note_for(swedish_invoice(), (
        samples.credit_line("il_1"), samples.credit_line("il_2", quantity="1"))), swedish_invoice()),
    "credit-note-de": lambda: render_credit_note_pdf(samples.credit_note_for(german_invoice(), (
        samples.credit_line("il_2", quantity="4"), samples.credit_line("il_3"))), german_invoice()),
    # Stacked taxes (GST and QST on every line): a row per tax in the summary and the totals.
    "invoice-en-stacked-taxes": lambda: render_invoice_pdf(samples.quebec_invoice("en")),
    "credit-note-de-stacked-taxes": lambda: render_credit_note_pdf(samples.credit_note_for(
        samples.quebec_invoice("de"), (samples.credit_line("il_3"),)), samples.quebec_invoice("de")),
}


@dataclass(frozen=True)
class Difference:
    worst_tile: int  # 0-255, the largest tile difference
    tiles_over: int  # tiles over either limit
    tiles: int

    @property
    def within_tolerance(self) -> bool:
        return self.tiles_over == 0

    def __str__(self) -> str:
        return f"{self.tiles_over} of {self.tiles} tiles over the tolerance (the worst differs by {self.worst_tile})"


def compare(golden: Image.Image, actual: Image.Image) -> Difference:
    """How far `actual` is from `golden`: per tile, the mean difference of the blurred pages at the
    best of the nine offsets of up to a pixel each way, against the tile's ink."""
    assert golden.size == actual.size, f"page size {actual.size} instead of {golden.size}"
    blur = ImageFilter.GaussianBlur(BLUR_RADIUS)
    expected, seen = golden.convert("RGB").filter(blur), actual.convert("RGB").filter(blur)
    best: Image.Image | None = None
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            red, green, blue = ImageChops.difference(expected, ImageChops.offset(seen, dx, dy)).split()
            # Each pixel's largest channel difference, averaged over each tile (a box reduction).
            tiles = ImageChops.lighter(ImageChops.lighter(red, green), blue).reduce(TILE)
            best = tiles if best is None else ImageChops.darker(best, tiles)
    assert best is not None
    ink = ImageChops.lighter(ImageOps.invert(expected.convert("L")), ImageOps.invert(seen.convert("L"))).reduce(TILE)
    differences, inks = list(best.get_flattened_data()), list(ink.get_flattened_data())
    over = sum(1 for d, i in zip(differences, inks, strict=True)
               if d > MAX_TILE_DIFFERENCE or (d > MIN_INK_DIFFERENCE and d > MAX_INK_SHARE * max(i, 10)))
    return Difference(max(differences), over, len(differences))


def rasterise(pdf: bytes, folder: Path) -> list[Path]:
    """Each page as a PNG, by pdftoppm. It is required: no comparison is ever skipped for want of it."""
    assert shutil.which("pdftoppm"), "the golden page images need pdftoppm: install poppler-utils (make setup)"
    (folder / "document.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(DPI), "-png", str(folder / "document.pdf"), str(folder / "page")],
                   check=True)
    return sorted(folder.glob("page-*.png"))


def page_images(name: str, pdf: bytes) -> list[Image.Image]:
    with tempfile.TemporaryDirectory() as folder:
        images = []
        for path in rasterise(pdf, Path(folder)):
            with Image.open(path) as image:
                images.append(image.convert("RGB"))
        return images


@pytest.mark.parametrize("name", list(DOCUMENTS))
def test_the_pages_look_as_they_did(name: str) -> None:
    pages = page_images(name, DOCUMENTS[name]())
    goldens = sorted(GOLDEN.glob(f"{name}-p*.png"))
    if update():
        for old in goldens:
            old.unlink()
        GOLDEN.mkdir(exist_ok=True)
        for number, page in enumerate(pages, start=1):
            page.save(GOLDEN / f"{name}-p{number}.png", optimize=True)
        return
    assert goldens, f"no golden images for {name}: run `make golden` and look at them before committing"
    assert len(pages) == len(goldens), f"{name}: {len(pages)} pages instead of {len(goldens)}"
    failures = []
    for number, (page, golden_path) in enumerate(zip(pages, goldens, strict=True), start=1):
        with Image.open(golden_path) as golden:
            difference = compare(golden, page)
            if not difference.within_tolerance:
                FAILED.mkdir(parents=True, exist_ok=True)
                page.save(FAILED / f"{name}-p{number}.png")
                ImageChops.invert(ImageChops.difference(golden.convert("RGB"), page)).save(
                    FAILED / f"{name}-p{number}-difference.png")
                failures.append(f"page {number}: {difference} (see out/golden/{name}-p{number}*.png)")
    assert not failures, f"{name} looks different from {GOLDEN.name}/{name}-p*.png: " + "; ".join(failures)


def with_style(html: str, css: str) -> str:
    return html.replace("</style>", css + "</style>", 1)


def test_the_tolerance_passes_a_subpixel_shift_and_fails_a_narrower_column() -> None:
    """The tolerance itself, on the golden Swedish invoice: the whole page a third of a pixel lower or
    to the right passes; the description column 4 % narrower, the amount column 1 mm narrower, the
    amounts aligned left or the summary 1 mm higher fails (golden/README.md has the figures)."""
    invoice = swedish_invoice()
    with Image.open(GOLDEN / "invoice-sv-p1.png") as stored:
        golden = stored.convert("RGB")

    def page(css: str) -> Image.Image:
        html = render_invoice_html(invoice, hosted_url=samples.HOSTED_URL)  # as the golden page is rendered
        return page_images("invoice-sv", html_to_pdf(with_style(html, css)))[0]

    for shift in ("body { padding-top: 0.5px }", "body { padding-left: 0.5px }"):
        difference = compare(golden, page(shift))
        assert difference.within_tolerance, (shift, difference)
    for regression in ("table.lines .desc { width: 40% !important }",
                       "table.lines th.amount { width: 21mm !important }",
                       "table.lines td.num { text-align: left !important }",
                       "table.summary { margin-top: 4mm !important }"):
        difference = compare(golden, page(regression))
        assert not difference.within_tolerance, (regression, difference)
