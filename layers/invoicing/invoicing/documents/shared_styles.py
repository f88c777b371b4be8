"""Computed styles shared from one document to the next (WeasyPrint 70).

WeasyPrint computes every element's style lazily, property by property, and shares one computed
style between elements of a document that have the same parent style, the same matched rules and
the same attribute declarations (`StyleFor.__init__`'s `computed_cache`). Our invoices are all
built from the same templates and stylesheets, so the same styles come back document after
document; computing them again was a quarter of a warm 1-page render (bench/README.md).

`SharedStyleFor` keeps that cache for the life of the process, for documents that ask for it
(`shares_styles = True` on their HTML class, our renderer's classes only; any other WeasyPrint use
in the process computes its styles as before). What makes a style reusable is unchanged from
WeasyPrint's own cache: the parent style (held by the cache, so its id stays valid), the rules
that matched, from stylesheet objects that live as long as the engine, and the element's
`style`/`lang`/`id` declarations, compared by their text here because they are parsed anew for
every document. Per-document stylesheets (`<style>`) must therefore not style elements: ours holds
only the page-margin texts, and the brand is a `style` attribute on `<html>`.

The loop below is `StyleFor.__init__` of WeasyPrint 70.0 with that change (and the cascade of an
element whose style is found skipped): a test pins the
version, and renders documents in turn through the cache and through plain WeasyPrint and
compares the pixels.

The lengths WeasyPrint resolves for a box from its style (margins, paddings, widths, heights) are
kept the same way, by shared style, box type and containing block: `shared_resolve_percentages`.
"""

from __future__ import annotations

from math import inf
from typing import Any

import tinycss2
from weasyprint.css import (
    PROGRESS_LOGGER,
    AnonymousStyle,
    StyleFor,
    declaration_precedence,
    find_style_attributes,
    preprocess_declarations,
)
from weasyprint.formatting_structure.boxes import Box
from weasyprint.layout.percent import resolve_percentages

# Distinct styles across every template, language and brand seen: a few hundred per
# (language, brand). Past this the cache starts again rather than grow without bound.
MAX_SHARED_STYLES = 20_000


class SharedStyles:
    """The computed styles of one font configuration, by WeasyPrint's sharing key. `generation`
    changes whenever the cache starts again (what is keyed on its styles starts again with it)."""

    def __init__(self) -> None:
        self.font_config: Any = None
        self.styles: dict[tuple[Any, ...], Any] = {}
        self.generation = 0

    def for_font_config(self, font_config: Any) -> dict[tuple[Any, ...], Any]:
        if font_config is not self.font_config or len(self.styles) > MAX_SHARED_STYLES:
            self.font_config, self.styles = font_config, {}
            self.generation += 1
        return self.styles


def is_shared(style: Any) -> bool:
    """Whether `style` outlives its document: a shared computed style, or the style of the
    anonymous boxes (text, lines) inside an element with one — that very style, not one of the
    copies WeasyPrint makes of it for a document (a table's wrapper box)."""
    if getattr(style, "shared_across_documents", False):
        return True
    parent = getattr(style, "parent_style", None)
    return (isinstance(style, AnonymousStyle) and getattr(parent, "shared_across_documents", False)
            and vars(parent).get("anonymous_style") is style)


SHARED = SharedStyles()


class SharedStyleFor(StyleFor):
    def __init__(self, html: Any, sheets: list[Any], presentational_hints: bool, font_config: Any,
                 target_collector: Any) -> None:
        if not getattr(html, "shares_styles", False):
            super().__init__(html, sheets, presentational_hints, font_config, target_collector)
            return

        cascaded_styles: dict[tuple[Any, Any], dict[str, Any]] = {}
        computed_styles: dict[tuple[Any, Any], Any] = {}
        self._cascaded_styles, self._computed_styles = cascaded_styles, computed_styles
        self.initial_page_sizes = {"box": None, "area": None}
        self._sheets = sheets
        self.font_config = font_config
        shared = SHARED.for_font_config(font_config)

        PROGRESS_LOGGER.info("Step 3 - Applying CSS")
        layer_order = inf
        # WeasyPrint keys on the declaration objects (one per attribute, the last one parsed);
        # across documents they are new objects, so the key is every attribute's text.
        elements_declarations: dict[Any, list[tuple[Any, str]]] = {}
        for specificity, element, declarations, base_url in find_style_attributes(
                html.etree_element, presentational_hints, html.base_url):
            declarations = list(declarations)
            elements_declarations.setdefault(element, []).append((specificity, tinycss2.serialize(declarations)))
            _cascade(cascaded_styles.setdefault((element, None), {}), preprocess_declarations(base_url, declarations),
                     "author", layer_order, specificity)

        # Parents before children (tree order), for inheritance.
        for element in html.wrapper_element.iter_subtree():
            etree_element = element.etree_element
            parent = element.parent.etree_element if element.parent else None
            parent_id = id(computed_styles[parent, None]) if element.parent else None
            selectors_keys = []
            matched = []
            for sheet, origin, sheet_specificity in sheets:
                for selector in sheet.matcher.match(element):
                    specificity, _order, pseudo_type, (declarations, layer) = selector
                    layer_order = inf if layer is None else sheet.layers.index(layer)
                    selectors_keys.append((sheet, specificity, id(declarations), layer_order))
                    matched.append((pseudo_type, declarations, origin, layer_order, sheet_specificity or specificity))

            key = (parent_id, tuple(elements_declarations.get(etree_element, ())), tuple(selectors_keys))
            computed = shared.get(key)
            # The cascade, in WeasyPrint's order; for a shared style only its pseudo-elements' part
            # (the shared style keeps the cascaded values it was computed from).
            for pseudo_type, declarations, origin, layer_order, specificity in matched:
                if computed is None or pseudo_type is not None:
                    _cascade(cascaded_styles.setdefault((etree_element, pseudo_type), {}), declarations, origin,
                             layer_order, specificity)

            if computed is not None:
                computed_styles[etree_element, None] = computed
                if target_collector and computed["anchor"]:
                    target_collector.collect_anchor(computed["anchor"])
            else:
                self.set_computed_styles(
                    etree_element, root=html.etree_element, parent=parent,
                    base_url=html.base_url, target_collector=target_collector)
                computed = shared[key] = computed_styles[etree_element, None]
                computed.shared_across_documents = True

        # Pseudo-elements inherit from their element, so they come second (and are not shared).
        for element, pseudo_type in cascaded_styles:
            if pseudo_type:
                self.set_computed_styles(
                    element, pseudo_type=pseudo_type, root=html.etree_element, parent=element,
                    base_url=html.base_url, target_collector=target_collector)

        # Kept for the page margins, as WeasyPrint does.
        self._cascaded_styles.clear()


def _cascade(style: dict[str, Any], declarations: Any, origin: str, layer_order: float,
             specificity: Any) -> None:
    """Apply declarations to an element's cascaded values: the heaviest wins, the later on a tie."""
    for name, values, importance in declarations:
        weight = (declaration_precedence(origin, importance), layer_order, specificity)
        old_weight = style.get(name, (None, None))[1]
        if old_weight is None or old_weight <= weight:
            style[name] = values, weight


class KeptWithStyles:
    """Answers keyed on shared styles: they start again when the styles do, or at `bound`."""

    def __init__(self, bound: int) -> None:
        self.bound = bound
        self.entries: dict[tuple[Any, ...], Any] = {}
        self.generation = SHARED.generation
        self.hits = 0

    def current(self) -> dict[tuple[Any, ...], Any]:
        if self.generation != SHARED.generation or len(self.entries) >= self.bound:
            self.entries, self.generation = {}, SHARED.generation
        return self.entries


# --- used lengths -------------------------------------------------------------------------------

# Every box's margins, paddings, widths, heights and borders are resolved from its style against its
# containing block (`resolve_percentages`), several hundred times per page and ~12 % of a warm
# render. With shared styles the answer for a style and a containing block comes back, document
# after document; it also depends on the box's type and, in a table with collapsed borders, on the
# border widths the table gave the cell beforehand.
_BORDERS = ("border_top_width", "border_right_width", "border_bottom_width", "border_left_width")
_USED_LENGTHS = ("margin_top", "margin_right", "margin_bottom", "margin_left", "padding_top", "padding_right",
                 "padding_bottom", "padding_left", "width", "min_width", "max_width", "height", "min_height",
                 "max_height", *_BORDERS)
# The modules that call it by the name they imported it under (WeasyPrint 70).
_PERCENTAGE_USERS = ("absolute", "block", "column", "float", "grid", "inline", "page", "table")


# key -> (style, the used lengths resolve_percentages set)
USED_LENGTHS = KeptWithStyles(MAX_SHARED_STYLES)


def shared_resolve_percentages(box: Any, containing_block: Any) -> None:
    """WeasyPrint's `resolve_percentages`, answered from what it set on an earlier box with the
    same shared style, type, containing block size and collapsed borders."""
    style = box.style
    if not is_shared(style):
        resolve_percentages(box, containing_block)
        return
    size = ((containing_block.width, containing_block.height) if isinstance(containing_block, Box)
            else tuple(containing_block))
    attributes = box.__dict__
    key = (id(style), type(box), size, tuple(attributes.get(border) for border in _BORDERS))
    lengths = USED_LENGTHS.current()
    entry = lengths.get(key)
    if entry is not None and entry[0] is style:
        USED_LENGTHS.hits += 1
        attributes.update(entry[1])
        return
    resolve_percentages(box, containing_block)
    lengths[key] = (style, {name: attributes[name] for name in _USED_LENGTHS})


def install() -> None:
    """Have WeasyPrint build its styles with `SharedStyleFor`, and resolve used lengths through
    `shared_resolve_percentages` (idempotent). Only documents whose HTML class sets
    `shares_styles` use either."""
    import importlib

    import weasyprint.css

    if weasyprint.css.StyleFor is StyleFor:
        weasyprint.css.StyleFor = SharedStyleFor
    for name in _PERCENTAGE_USERS:
        module = importlib.import_module(f"weasyprint.layout.{name}")
        if getattr(module, "resolve_percentages", None) is resolve_percentages:
            setattr(module, "resolve_percentages", shared_resolve_percentages)  # noqa: B010 - a module's global
