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

The loop below is `StyleFor.__init__` of WeasyPrint 70.0 with that one change: a test pins the
version, and renders documents in turn through the cache and through plain WeasyPrint and
compares the pixels.
"""

from __future__ import annotations

from math import inf
from typing import Any

import tinycss2
from weasyprint.css import (
    PROGRESS_LOGGER,
    StyleFor,
    declaration_precedence,
    find_style_attributes,
    preprocess_declarations,
)

# Distinct styles across every template, language and brand seen: a few hundred per
# (language, brand). Past this the cache starts again rather than grow without bound.
MAX_SHARED_STYLES = 20_000


class SharedStyles:
    """The computed styles of one font configuration, by WeasyPrint's sharing key."""

    def __init__(self) -> None:
        self.font_config: Any = None
        self.styles: dict[tuple[Any, ...], Any] = {}

    def for_font_config(self, font_config: Any) -> dict[tuple[Any, ...], Any]:
        if font_config is not self.font_config or len(self.styles) > MAX_SHARED_STYLES:
            self.font_config, self.styles = font_config, {}
        return self.styles


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
            style = cascaded_styles.setdefault((element, None), {})
            declarations = list(declarations)
            elements_declarations.setdefault(element, []).append((specificity, tinycss2.serialize(declarations)))
            for name, values, importance in preprocess_declarations(base_url, declarations):
                precedence = declaration_precedence("author", importance)
                weight = (precedence, layer_order, specificity)
                old_weight = style.get(name, (None, None))[1]
                if old_weight is None or old_weight <= weight:
                    style[name] = values, weight

        # Parents before children (tree order), for inheritance.
        for element in html.wrapper_element.iter_subtree():
            etree_element = element.etree_element
            parent = element.parent.etree_element if element.parent else None
            parent_id = id(computed_styles[parent, None]) if element.parent else None
            selectors_keys = []
            for sheet, origin, sheet_specificity in sheets:
                for selector in sheet.matcher.match(element):
                    specificity, _order, pseudo_type, (declarations, layer) = selector
                    layer_order = inf if layer is None else sheet.layers.index(layer)
                    selectors_keys.append((sheet, specificity, id(declarations), layer_order))
                    specificity = sheet_specificity or specificity
                    style = cascaded_styles.setdefault((etree_element, pseudo_type), {})
                    for name, values, importance in declarations:
                        precedence = declaration_precedence(origin, importance)
                        weight = (precedence, layer_order, specificity)
                        old_weight = style.get(name, (None, None))[1]
                        if old_weight is None or old_weight <= weight:
                            style[name] = values, weight

            key = (parent_id, tuple(elements_declarations.get(etree_element, ())), tuple(selectors_keys))
            if (computed := shared.get(key)) is not None:
                computed_styles[etree_element, None] = computed
                if target_collector and computed["anchor"]:
                    target_collector.collect_anchor(computed["anchor"])
            else:
                self.set_computed_styles(
                    etree_element, root=html.etree_element, parent=parent,
                    base_url=html.base_url, target_collector=target_collector)
                shared[key] = computed_styles[etree_element, None]

        # Pseudo-elements inherit from their element, so they come second (and are not shared).
        for element, pseudo_type in cascaded_styles:
            if pseudo_type:
                self.set_computed_styles(
                    element, pseudo_type=pseudo_type, root=html.etree_element, parent=element,
                    base_url=html.base_url, target_collector=target_collector)

        # Kept for the page margins, as WeasyPrint does.
        self._cascaded_styles.clear()


def install() -> None:
    """Have WeasyPrint build its styles with `SharedStyleFor` (idempotent). Only documents whose
    HTML class sets `shares_styles` use the shared cache."""
    import weasyprint.css

    if weasyprint.css.StyleFor is StyleFor:
        weasyprint.css.StyleFor = SharedStyleFor
