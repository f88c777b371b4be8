"""The demo's seller and customers: four situations a European business meets every month.

The work invoiced was done last month (the dates of supply and service periods are last month's),
and the seller writes its message, payment terms and footer in each customer's language.
"""

from __future__ import annotations

from datetime import date, timedelta

from babel.dates import format_date

_THIS_MONTH = date.today().replace(day=1)
_LAST_MONTH_END = _THIS_MONTH - timedelta(days=1)
_LAST_MONTH = _LAST_MONTH_END.replace(day=1)


def _day(day: int) -> str:
    return _LAST_MONTH.replace(day=day).isoformat()


def _month_name(locale: str) -> str:
    return format_date(_LAST_MONTH, "LLLL", locale=locale)


_LAST_MONTH_PERIOD = {"start": _LAST_MONTH.isoformat(), "end": _LAST_MONTH_END.isoformat()}

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
    "legal_registration_id": "5567037485",
    "iban": "SE4550000000058398257466",
    "bic": "ESSESESS",
    "default_currency": "SEK",
    "days_until_due": 30,
    "texts": {
        "default_language": "en",
        "en": {
            "message": "Thank you for your business.",
            "payment_terms": "Payment within 30 days. Late payment interest is charged under the Swedish "
                             "Interest Act (räntelagen).",
            "footer": "Nordlys Studio AB · Registered office: Stockholm, Sweden · Approved for F-tax",
        },
        "sv": {
            "message": "Tack för att ni anlitar oss.",
            "payment_terms": "Betalning inom 30 dagar. Vid försenad betalning debiteras dröjsmålsränta enligt "
                             "räntelagen.",
            "footer": "Nordlys Studio AB · Styrelsens säte: Stockholm · Godkänd för F-skatt",
        },
        "de": {
            "message": "Vielen Dank für Ihren Auftrag.",
            "payment_terms": "Zahlbar innerhalb von 30 Tagen. Bei Zahlungsverzug werden Verzugszinsen nach dem "
                             "schwedischen Zinsgesetz (räntelagen) berechnet.",
            "footer": "Nordlys Studio AB · Sitz der Gesellschaft: Stockholm, Schweden · In Schweden für die "
                      "F-Steuer registriert",
        },
    },
    "branding": {
        "logo_svg": LOGO_SVG,
        "primary_color": "#0F4C5C",
        "font": "Inter",
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
            "description": f"Webbplats och varumärke, {_month_name('sv')}",
            "period": _LAST_MONTH_PERIOD,
            "lines": [
                {"description": "Designarbete, varumärke", "quantity": "12.5", "unit_amount": 95000,
                 "unit_code": "HUR"},
                {"description": f"Webbhotell, {_month_name('sv')}", "quantity": 1, "unit_amount": 49950,
                 "period": _LAST_MONTH_PERIOD},
                {"description": "Fotografering", "quantity": 1, "unit_amount": 450000, "supply_date": _day(14),
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
                {"description": "UX-Workshop (2 Tage)", "quantity": 2, "unit_amount": 180000, "unit_code": "DAY",
                 "period": {"start": _day(10), "end": _day(11)}},
                {"description": "Prototyp, Bedienoberfläche", "quantity": 1, "unit_amount": 640000,
                 "supply_date": _day(24)},
            ],
            "discounts": [{"description": "Rahmenvertrag", "amount_off": 50000}],
        },
    },
    {
        "slug": "us-business-services",
        "situation": "US business, USD: services outside the scope of EU VAT (Art. 44), category O",
        "customer": {
            "name": "Harbor & Pine Outfitters Inc.", "email": "ap@harborpine.example", "currency": "USD",
            "locale": "en", "tax_ids": [{"type": "us_ein", "value": "91-1144442"}],
            "address": {"line1": "200 Market Street", "line2": "Suite 410", "city": "Portland", "state": "OR",
                        "postal_code": "97204", "country": "US"},
        },
        "invoice": {
            "period": _LAST_MONTH_PERIOD,
            "lines": [
                {"description": "Brand identity refresh", "quantity": 1, "unit_amount": 850000,
                 "supply_type": "professional_services"},
                {"description": "Usage-based asset delivery (per file)", "quantity": "1250",
                 "unit_amount_decimal": "12.5", "supply_type": "electronic_services"},
            ],
        },
    },
    {
        "slug": "jp-jpy",
        "situation": "Japanese business, JPY (no decimals): printed goods exported (Art. 146, G)",
        "customer": {
            "name": "Sakura Digital K.K.", "email": "keiri@sakura-digital.example", "currency": "JPY",
            "locale": "en", "customer_type": "business",
            "address": {"line1": "1-2-3 Shibuya", "city": "Tokyo", "postal_code": "150-0002", "country": "JP"},
        },
        "invoice": {
            "supply_date": _day(20),
            "supply_type": "goods",
            "lines": [
                {"description": "Illustration prints (12 pieces)", "quantity": 12, "unit_amount": 18000},
                {"description": "Display case for the prints", "quantity": 1, "unit_amount": 120000},
            ],
        },
    },
]
