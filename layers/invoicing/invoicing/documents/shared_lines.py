"""Lines of text laid out once and reused by later documents (WeasyPrint 70).

Most lines of an invoice come back on the next one: column titles, labels, the seller's block,
the footer, the payment terms, amounts that recur. WeasyPrint lays out every line of text with
`split_first_line(text, style, …, max_width, …)`, which has Pango shape the text and break it —
a tenth of a warm 1-page render (bench/README.md). Its answer depends on nothing else than its
arguments and the fonts: the text, the computed style (which, with shared_styles, is the same
object from one document to the next), the width available and the justification and line-start
flags. So the engine keeps the answers, by those arguments, for our documents.

What is kept is WeasyPrint's own answer: the width, height, baseline, the length of text that fits,
where the next line resumes, and the `Layout` holding the fitted text, which WeasyPrint has
already released from Pango (`deactivate`) and sets up again, from its text and style, when it
draws the line; it is shared by every box that shows the same line. Only the drawing of an
ellipsis edits a Layout's text (we never ask for one): an answer whose text changed is dropped.

Drawing a line costs as much again: WeasyPrint sets the Layout up in Pango once more, shapes the
text again and writes its glyphs one by one. The first time a kept line is drawn, the operators it
writes (font and size, the glyph string with its kerning) and the glyphs' Unicode text and widths
for the font resources are recorded on its Layout; later draws of that Layout in that style replay
them at the new position into the new document's stream, through the stream's own methods, once
the document has met the line's fonts (its first line in each font is drawn in full). Lines with
decorations, an ellipsis, emoji or a glyph missing from the fonts are drawn as WeasyPrint draws
them, every time.

Only lines in a shared style (shared_styles.is_shared: our renderer's documents) go through the
cache; any other WeasyPrint use in the process lays out its lines as before, and so do our page
margins, whose styles are computed per document.
"""

from __future__ import annotations

from typing import Any

import weasyprint.draw
import weasyprint.layout.inline
from weasyprint.draw.text import draw_emojis, draw_first_line, draw_text
from weasyprint.matrix import Matrix
from weasyprint.text.fonts import get_pango_font_key
from weasyprint.text.line_break import split_first_line

from invoicing.documents import shared_styles

# A line per distinct (text, style, width): thousands of invoices' worth. Past this the cache
# starts again rather than grow without bound.
MAX_SHARED_LINES = 5_000


# key -> (style, text of the fitted line, WeasyPrint's answer)
SHARED = shared_styles.KeptWithStyles(MAX_SHARED_LINES)


def shared_split_first_line(text: str, style: Any, context: Any, max_width: Any, justification_spacing: Any,
                            is_line_start: bool = True, minimum: bool = False) -> tuple[Any, ...]:
    """WeasyPrint's `split_first_line`, answered from the cache for a line in a shared style."""
    if not shared_styles.is_shared(style):
        return split_first_line(text, style, context, max_width, justification_spacing, is_line_start, minimum)
    lines = SHARED.current()
    # The style by identity: the entry keeps its style alive, so the id cannot be reused while
    # the entry exists.
    key = (text, id(style), max_width, justification_spacing, is_line_start, minimum)
    entry = lines.get(key)
    if entry is not None:
        kept_style, fitted_text, answer = entry
        if kept_style is style and answer[0].text == fitted_text:
            SHARED.hits += 1
            return answer
    answer = split_first_line(text, style, context, max_width, justification_spacing, is_line_start, minimum)
    lines[key] = (style, answer[0].text, answer)
    return answer


# --- drawing ------------------------------------------------------------------------------------


class _Unicode:
    """A document font's glyph-to-text map while a line is recorded: every glyph of the line gets
    its text worked out (the drawing does not depend on it), and the document keeps the first text
    it met for a glyph, as draw_first_line has it."""

    def __init__(self, document: dict[int, str]) -> None:
        self.document = document
        self.line: dict[int, str] = {}

    def __contains__(self, glyph: object) -> bool:
        return False

    def __setitem__(self, glyph: int, text: str) -> None:
        self.line[glyph] = text
        self.document.setdefault(glyph, text)


class _Widths:
    """A document font's glyph widths while a line is recorded. draw_first_line uses the width the
    document already has for a glyph (worked out at the size it first met it in), or works it out
    at this line's size, and the kerning it writes depends on which: the recording notes the width
    used for each glyph, and those it worked out itself."""

    def __init__(self, document: dict[int, int]) -> None:
        self.document = document
        self.used: dict[int, int] = {}
        self.worked_out: dict[int, int] = {}

    def __contains__(self, glyph: object) -> bool:
        return glyph in self.document

    def __getitem__(self, glyph: int) -> int:
        width = self.used[glyph] = self.document[glyph]
        return width

    def __setitem__(self, glyph: int, width: int) -> None:
        self.document[glyph] = self.used[glyph] = self.worked_out[glyph] = width


class _GlyphsOf:
    """A document's font as draw_first_line sees it while a line is recorded."""

    def __init__(self, font: Any) -> None:
        self.font = font
        self.to_unicode = _Unicode(font.to_unicode)
        self.widths = _Widths(font.widths)
        self.unsafe = False

    def get_unused_glyph_id(self, codepoint: int) -> int:
        self.unsafe = True  # a glyph missing from the fonts: .notdef, per document
        return int(self.font.get_unused_glyph_id(codepoint))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.font, name)


# What draw_first_line writes to the stream (WeasyPrint 70).
_RECORDED = frozenset({"set_text_matrix", "set_font_size", "show_text", "set_text_rise"})


class _Recorder:
    """The document's stream for draw_first_line: every call goes through to it and is recorded."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.ink_rect, self.logical_rect = stream.ink_rect, stream.logical_rect
        self.operations: list[tuple[str, tuple[Any, ...]]] = []
        self.fonts: list[tuple[Any, _GlyphsOf]] = []

    def add_font(self, pango_font: Any) -> tuple[_GlyphsOf, Any]:
        font, font_size = self.stream.add_font(pango_font)
        glyphs = _GlyphsOf(font)
        # The key the stream files the font under (weasyprint.pdf.stream.Stream.add_font).
        self.fonts.append((get_pango_font_key(pango_font)[0], glyphs))
        return glyphs, font_size

    def __getattr__(self, name: str) -> Any:
        if name not in _RECORDED:
            raise AttributeError(f"draw_first_line used stream.{name}, which the line recorder does not know")

        def call(*args: Any) -> None:
            self.operations.append((name, args))
            getattr(self.stream, name)(*args)

        return call


class _Drawing:
    """One line drawn in one style: what to replay."""

    def __init__(self, style: Any, text: str, recorder: _Recorder) -> None:
        self.style, self.text = style, text
        self.operations = recorder.operations
        self.fonts = [(key, glyphs.to_unicode.line, glyphs.widths.used, glyphs.widths.worked_out)
                      for key, glyphs in recorder.fonts]

    def replay(self, stream: Any, x: float, y: float) -> bool:
        """Write the line into `stream` at (x, y) if the document's fonts would have it drawn the
        same — the document has met the line's fonts already, and the widths it has or would work
        out for its glyphs are those the line was recorded with — and say whether it did."""
        fonts = []
        for key, to_unicode, used, worked_out in self.fonts:
            font = stream._fonts.get(key)  # the document's fonts, filed by Stream.add_font
            if font is None:
                return False
            widths = font.widths
            for glyph, width in used.items():
                if widths.get(glyph, worked_out.get(glyph)) != width:
                    return False
            fonts.append((font, to_unicode, worked_out))
        stream.begin_text()
        for name, args in self.operations:
            if name == "set_text_matrix":
                args = Matrix(d=-1, e=x, f=y).values
            getattr(stream, name)(*args)
        stream.end_text()
        for font, to_unicode, worked_out in fonts:
            for glyph, text in to_unicode.items():
                font.to_unicode.setdefault(glyph, text)
            for glyph, width in worked_out.items():
                font.widths.setdefault(glyph, width)
        return True


def shared_draw_text(stream: Any, textbox: Any, offset_x: Any, text_overflow: Any,
                     block_ellipsis: Any = "none") -> None:
    """WeasyPrint's `draw_text`, replaying the recorded drawing of a line in a shared style."""
    style, layout = textbox.style, textbox.pango_layout
    if (text_overflow != "clip" or block_ellipsis != "none" or not shared_styles.is_shared(style)
            or style["visibility"] != "visible" or style["text_decoration_line"] != "none"):
        draw_text(stream, textbox, offset_x, text_overflow, block_ellipsis)
        return
    assert style["font_size"]
    drawings: dict[int, _Drawing] = layout.__dict__.setdefault("invoicing_drawings", {})
    drawing = drawings.get(id(style))
    x, y = textbox.position_x, textbox.position_y + textbox.baseline
    stream.set_color(style["color"])
    if drawing is not None and drawing.style is style and drawing.text == layout.text \
            and drawing.replay(stream, x, y):
        return
    # As draw_text does it (without the decorations this path excludes), through a recorder.
    text = layout.text
    layout.reactivate(style)
    recorder = _Recorder(stream)
    stream.begin_text()
    emojis = draw_first_line(recorder, textbox, text_overflow, block_ellipsis, Matrix(d=-1, e=x, f=y))
    stream.end_text()
    draw_emojis(stream, style, x, y, emojis)
    layout.deactivate()
    if drawing is None and not emojis and layout.text == text \
            and not any(glyphs.unsafe for _, glyphs in recorder.fonts):
        drawings[id(style)] = _Drawing(style, text, recorder)


def install() -> None:
    """Have WeasyPrint's inline layout fit lines, and its painter draw them, through the cache
    (idempotent)."""
    weasyprint.layout.inline.split_first_line = shared_split_first_line
    weasyprint.draw.draw_text = shared_draw_text
