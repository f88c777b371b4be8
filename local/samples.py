"""The demo's seller and customers: four situations a European business meets every month."""

from __future__ import annotations

LOGO_SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="180" height="48" viewBox="0 0 180 48">
<rect x="0" y="4" width="40" height="40" rx="8" fill="#0F4C5C"/>
<path d="M10 34 L20 14 L30 34 Z" fill="#F4D35E"/>
<text x="50" y="31" font-family="Inter, DejaVu Sans, sans-serif" font-size="20" font-weight="700"
 fill="#0F4C5C">Nordlys</text>
<text x="50" y="44" font-family="Inter, DejaVu Sans, sans-serif" font-size="9" fill="#555">STUDIO AB</text>
</svg>"""

DEMO_ACCOUNT = {
    "name": "Nordlys Studio AB",
    "email": "billing@nordlys.example",
    "phone": "+46 8 123 456 78",
    "website": "nordlys.example",
    "address": {"line1": "Sveavägen 44", "city": "Stockholm", "postal_code": "111 34", "country": "SE"},
    "tax_ids": [{"type": "eu_vat", "value": "SE556703748501"}],
    "iban": "SE4550000000058398257466",
    "bic": "ESSESESS",
    "default_currency": "SEK",
    "days_until_due": 30,
    "payment_terms": "Payment within 30 days. Late payment interest per the Swedish Interest Act.",
    "branding": {
        "logo_svg": LOGO_SVG,
        "primary_color": "#0F4C5C",
        "font": "Inter",
        "message": "Thank you for your business.",
        "footer": "Nordlys Studio AB · Org.nr 556703-7485 · Registered office Stockholm · F-skatt",
        "custom_fields": [{"name": "Org.nr", "value": "556703-7485"}],
    },
}

DEMO_CUSTOMERS = [
    {
        "slug": "se-domestic-vat",
        "situation": "Swedish customer, SEK, domestic VAT 25 %",
        "customer": {
            "name": "Fjällbacka Bageri AB", "email": "ekonomi@fjallbacka-bageri.example", "currency": "SEK",
            "locale": "sv", "address": {"line1": "Hamngatan 3", "city": "Fjällbacka", "postal_code": "457 40",
                                         "country": "SE"},
        },
        "invoice": {
            "description": "Webbplats och varumärke, november",
            "lines": [
                {"description": "Designarbete, varumärke", "quantity": "12.5", "unit_amount": 95000,
                 "unit_code": "HUR"},
                {"description": "Webbhotell, november", "quantity": 1, "unit_amount": 49950},
                {"description": "Fotografering", "quantity": 1, "unit_amount": 450000,
                 "discounts": [{"description": "Stamkundsrabatt", "percent_off": "10"}]},
            ],
        },
    },
    {
        "slug": "de-reverse-charge",
        "situation": "German business, EUR, valid VAT ID: reverse charge",
        "customer": {
            "name": "Rheinwerk Maschinenbau GmbH", "email": "rechnungen@rheinwerk.example", "currency": "EUR",
            "locale": "de", "tax_ids": [{"type": "eu_vat", "value": "DE136695976"}],
            "address": {"line1": "Industriestraße 12", "city": "Köln", "postal_code": "50667", "country": "DE"},
        },
        "invoice": {
            "purchase_order": "PO-2026-1147",
            "lines": [
                {"description": "UX-Workshop (2 Tage)", "quantity": 2, "unit_amount": 180000, "unit_code": "DAY"},
                {"description": "Prototyp, Bedienoberfläche", "quantity": 1, "unit_amount": 640000},
            ],
            "discounts": [{"description": "Rahmenvertrag", "amount_off": 50000}],
        },
    },
    {
        "slug": "us-export",
        "situation": "US customer, USD: export outside the EU",
        "customer": {
            "name": "Harbor & Pine Outfitters Inc.", "email": "ap@harborpine.example", "currency": "USD",
            "locale": "en",
            "address": {"line1": "200 Market Street", "line2": "Suite 410", "city": "Portland", "state": "OR",
                        "postal_code": "97204", "country": "US"},
        },
        "invoice": {
            "lines": [
                {"description": "Brand identity refresh", "quantity": 1, "unit_amount": 850000},
                {"description": "Usage-based asset delivery (per file)", "quantity": "1250",
                 "unit_amount_decimal": "12.5"},
            ],
        },
    },
    {
        "slug": "jp-jpy",
        "situation": "Japanese customer, JPY (no decimals): export",
        "customer": {
            "name": "Sakura Digital K.K.", "email": "keiri@sakura-digital.example", "currency": "JPY",
            "locale": "en",
            "address": {"line1": "1-2-3 Shibuya", "city": "Tokyo", "postal_code": "150-0002", "country": "JP"},
        },
        "invoice": {
            "lines": [
                {"description": "Illustration set (12 pieces)", "quantity": 12, "unit_amount": 18000},
                {"description": "Licence, one year", "quantity": 1, "unit_amount": 120000},
            ],
        },
    },
]
