import base64
import io
import logging
import re
import socket
import subprocess
import sys
import zlib
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader

from invoicing.documents.pdf import (
    DocumentNotFinalized,
    ResourceRefused,
    data_only_url_fetcher,
    render_credit_note_pdf,
    render_invoice_html,
    render_invoice_pdf,
    warm_up,
)
from invoicing.domain.invoice import Invoice
from invoicing.domain.party import Address, Branding, Customer
from invoicing.domain.tax import REVERSE_CHARGE_NOTE
from invoicing.domain.totals import Charge, Discount

from . import samples
from .samples import NOW, finalized, german_customer, line, swedish_customer, swedish_seller


def pages(pdf: bytes) -> list[str]:
    """Each page's text, whitespace normalised (babel's no-break spaces become plain spaces)."""
    reader = PdfReader(io.BytesIO(pdf))
    return [" ".join(page.extract_text().replace("\u00a0", " ").replace("\u202f", " ").split())
            for page in reader.pages]


def text(pdf: bytes) -> str:
    return " ".join(pages(pdf))


def squashed(value: str) -> str:
    """Without any whitespace: for long passages the layout may wrap anywhere (after a '/')."""
    return "".join(value.split())


@pytest.fixture(scope="module", autouse=True)
def no_network():
    """Any attempt to resolve or connect fails: documents are rendered offline. Module-scoped so
    that it is in place before the module's rendered samples are made."""
    attempts: list[object] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError(f"network access while rendering: {args!r}")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket, "getaddrinfo", refuse)
        patch.setattr(socket, "create_connection", refuse)
        patch.setattr(socket.socket, "connect", refuse)
        yield attempts
    assert attempts == []


@pytest.fixture(scope="module")
def swedish_pdf() -> bytes:
    return render_invoice_pdf(samples.swedish_invoice())


@pytest.fixture(scope="module")
def reverse_charge_pdf() -> bytes:
    return render_invoice_pdf(samples.german_reverse_charge_invoice())


# --- content --------------------------------------------------------------------------------


def test_swedish_invoice_shows_parties_facts_lines_and_totals(swedish_pdf):
    content = text(swedish_pdf)
    for expected in [
        "Faktura", "INV-000001",
        "Fakturamottagare".upper(), "Lindqvist & Söner Bygg AB", "Kungsgatan 12", "411 19 Göteborg",
        "Momsreg.nr: SE556036079301",
        "Norrsken Analytics AB", "Sveavägen 44", "Momsreg.nr: SE556677889901", "billing@norrsken.example",
        "Fakturadatum 15 mars 2026", "Förfallodatum 14 apr. 2026", "Er referens Maria Lindqvist",
        "Inköpsordernummer PO-2026-118", "Kundnummer K-1042",
        "1 572,00 kr att betala senast 14 apr. 2026",
        "Tack för att ni valt Norrsken!", "Avser abonnemang och konsulttjänster",
        "Period: 1–31 mars 2026",
        "2,5 tim 120,00 kr 25 % 270,00 kr", "Rabatt (Ramavtal, 10 %): −30,00 kr",
        "Moms 25 % 1 257,60 kr 314,40 kr",
        "Delsumma 1 257,60 kr", "Totalt 1 572,00 kr", "Att betala 1 572,00 kr",
        "Betalning inom 30 dagar",
        "Betalningsreferens RF69 INV0 0000 1 IBAN SE45 5000 0000 0583 9825 7466 BIC ESSESESS",
        "Frågor? Kontakta billing@norrsken.example · +46 8 123 456 78",
        "Godkänd för F-skatt", "Sida 1 av 1",
    ]:
        assert expected in content, expected
    assert len(pages(swedish_pdf)) == 1


def test_a_long_reference_takes_a_row_of_its_own_and_is_never_broken_mid_number():
    leitweg_id = "04011000-1234512345-06"
    pdf = render_invoice_pdf(samples.german_reverse_charge_invoice(buyer_reference=leitweg_id))
    lines = [line.strip() for line in PdfReader(io.BytesIO(pdf)).pages[0].extract_text().splitlines()]
    assert leitweg_id in lines  # whole, alone on its line (not "Ihre Referenz 04011000-123451" / "2345-06")
    assert "Bestellnummer BL-4471" in text(pdf)  # a short value stays beside its label


def test_a_sek_invoice_in_swedish_formats_amounts_the_swedish_way():
    invoice = finalized([line("Analysplattform", "1", "98760")])  # 987,60 kr + 25 % = 1 234,50 kr
    content = text(render_invoice_pdf(invoice))
    assert "Totalt 1 234,50 kr" in content
    assert "Att betala 1 234,50 kr" in content
    assert "Moms 25 % 246,90 kr" in content


def test_a_german_customer_reads_german_formatting():
    customer = german_customer(tax_ids=[])  # a consumer: the Swedish rate applies, in EUR
    invoice = finalized([line("Analyseplattform", "1", "98760")], customer=customer)
    content = text(render_invoice_pdf(invoice))
    for expected in ["Rechnung", "Rechnungsnummer INV-000001", "Rechnungsdatum 15.03.2026",
                     "Fälligkeitsdatum 14.04.2026", "Gesamtbetrag 1.234,50 €", "Zahlbetrag 1.234,50 €",
                     "USt. 25 % 246,90 €", "Zahlbar innerhalb von 30 Tagen", "Seite 1 von 1",
                     "Rechnungsempfänger".upper(), "Deutschland"]:
        assert expected in content, expected
    assert "Steuerschuldnerschaft" not in content


def test_reverse_charge_for_a_german_business_billed_by_a_swedish_seller(reverse_charge_pdf):
    content = text(reverse_charge_pdf)
    assert "USt-IdNr.: DE136695976" in content
    assert "USt-IdNr.: SE556677889901" in content
    assert "Reverse Charge 0 % 2.693,03 € 0,00 €" in content
    assert squashed("Steuerschuldnerschaft des Leistungsempfängers: Die Umsatzsteuer schuldet der "
                    "Leistungsempfänger (Artikel 196 der Richtlinie 2006/112/EG des Rates).") in squashed(content)
    assert "184.250 0,000125 € 0 % 23,03 €" in content  # a usage price below the cent
    assert "Gesamtbetrag 2.693,03 €" in content


def test_reverse_charge_note_in_english():
    invoice = finalized([line("Platform", "1", "100000")], customer=german_customer(locale="en"))
    content = text(render_invoice_pdf(invoice))
    assert squashed(REVERSE_CHARGE_NOTE) in squashed(content)
    assert "Reverse charge 0% €1,000.00 €0.00" in content


def test_a_jpy_invoice_has_no_decimals():
    customer = Customer(
        id="cus_jp", account_id="acct_norrsken", name="Sakura Data K.K.", email="ap@sakura.example",
        address=Address(line1="1-2-3 Marunouchi", city="Chiyoda-ku, Tokyo", postal_code="100-0005", country="JP"),
        locale="en", currency="JPY", customer_type="business", created=NOW,
    )
    invoice = finalized([line("Analytics platform", "12", "1000")], customer=customer)
    content = text(render_invoice_pdf(invoice))
    assert "12 ¥1,000 0% ¥12,000" in content
    assert "Amount due ¥12,000" in content
    assert "¥12,000 due Apr 14, 2026" in content
    assert ".00" not in content
    # Services to a business outside the EU: outside the scope (Art. 44), not an export exemption.
    assert squashed("Outside the scope of EU VAT: services to a business established outside the EU") in squashed(
        content)
    assert "146" not in content
    assert "Japan" in content


@pytest.mark.parametrize(("locale", "export", "outside", "oss"), [
    ("en", "Export of goods outside the EU: exempt from VAT (Article 146",
     "Outside the scope of EU VAT: these services to a customer outside the EU", "declared under the One-Stop Shop"),
    ("sv", "Export av varor till ett land utanför EU: undantagen från moms (artikel 146",
     "Omfattas inte av EU-moms: dessa tjänster till en köpare utanför EU", "redovisad i den unionsinterna ordningen"),
    ("de", "Steuerfreie Ausfuhrlieferung in ein Land außerhalb der EU (Artikel 146",
     "Nicht der EU-Umsatzsteuer unterliegend: Diese Leistungen", "im besonderen Besteuerungsverfahren One-Stop-Shop"),
])
def test_the_legal_note_of_the_supply_is_printed_in_the_customers_language(
    locale: str, export: str, outside: str, oss: str,
) -> None:
    abroad = Address(line1="1 Market St", city="San Francisco", state="CA", postal_code="94105", country="US")
    consumer = swedish_customer(locale=locale, address=abroad, tax_ids=[], customer_type="individual")
    goods = finalized([line("Printed handbook", "2", "29900", supply_type="goods")], customer=consumer)
    assert squashed(export) in squashed(text(render_invoice_pdf(goods)))
    streaming = finalized([line("Streaming, March", "1", "9900", supply_type="electronic_services")],
                          customer=consumer)
    assert squashed(outside) in squashed(text(render_invoice_pdf(streaming)))
    german = german_customer(locale=locale, tax_ids=[])
    oss_sale = finalized([line("Streaming, March", "1", "9900", supply_type="electronic_services")],
                         customer=german, seller=swedish_seller(oss_registered=True))
    content = text(render_invoice_pdf(oss_sale))
    assert squashed(oss) in squashed(content)
    assert any(tax in content for tax in ("18,81", "18.81"))  # Germany's 19 % of 99.00, not Sweden's 24.75


def test_two_tax_rates_on_one_invoice_are_summed_per_rate():
    content = text(render_invoice_pdf(samples.two_rate_invoice()))
    assert "Moms 25 % 2 000,00 kr 500,00 kr" in content
    assert "Moms 6 % 2 990,00 kr 179,40 kr" in content
    assert "Delsumma 4 990,00 kr Moms 679,40 kr Totalt 5 669,40 kr" in content
    assert "10 299,00 kr 6 % 2 990,00 kr" in content


def test_invoice_discounts_credit_and_tax_inclusive_prices():
    customer = swedish_customer(locale="en", credit_balance=10000)
    invoice = finalized(
        [line("Platform", "1", "100000", 1), line("Support", "1", "20000", 2)],
        customer=customer,
        discounts=(Discount(description="Loyalty", percent_off=Decimal(10)),),
        tax_behavior="inclusive",
    )
    content = text(render_invoice_pdf(invoice))
    assert "Amount incl. VAT".upper() in content
    # 1 200 SEK incl. 25 % VAT, less 10 %: 1 080 gross = 864 net + 216 VAT.
    assert "Subtotal excl. VAT SEK960.00" in content
    assert "Discount (Loyalty, 10%) −SEK96.00" in content
    assert "Total excl. VAT SEK864.00" in content
    assert "VAT 25% SEK216.00" in content
    assert "Total SEK1,080.00" in content
    assert "Credit applied −SEK100.00" in content
    assert "Amount due SEK980.00" in content


def test_line_and_invoice_charges_are_shown_and_add_up():
    invoice = finalized(
        [line("Analysplattform", "1", "98760", 1, charges=(Charge(description="Expressleverans", amount=5000),)),
         line("Konsulttimmar", "2.5", "12000", 2, unit_code="HUR",
              discounts=(Discount(description="Ramavtal", percent_off=Decimal(10)),),
              charges=(Charge(percent=Decimal(5)),))],
        charges=(Charge(description="Frakt", amount=4900), Charge(description="Hantering", percent=Decimal(2))),
        discounts=(Discount(description="Lojalitet", percent_off=Decimal(5)),),
    )
    content = text(render_invoice_pdf(invoice))
    # Line charges under the description, beside the discounts; the line amount includes them.
    assert "Expressleverans: +50,00 kr" in content
    assert "1 987,60 kr 25 % 1 037,60 kr" in content
    assert "Rabatt (Ramavtal, 10 %): −30,00 kr Tillägg (5 %): +15,00 kr" in content
    assert "285,00 kr" in content
    # Invoice charges in the totals box, after the discounts, then the total excluding VAT (BT-109).
    assert ("Delsumma 1 322,60 kr Rabatt (Lojalitet, 5 %) −66,13 kr Frakt 49,00 kr Hantering (2 %) 26,45 kr "
            "Summa exkl. moms 1 331,92 kr Moms 25 % 332,98 kr Totalt 1 664,90 kr") in content
    assert invoice.totals is not None and invoice.totals.charge_amount == 4900 + 2645


def test_a_charge_in_english_and_german_without_description():
    for locale, expected in [("en", "Charge €49.00"), ("de", "Zuschlag 49,00 €")]:
        invoice = finalized([line("Platform", "1", "100000")], customer=german_customer(locale=locale),
                            charges=(Charge(amount=4900),))
        assert expected in text(render_invoice_pdf(invoice)), locale


def test_the_payment_reference_is_the_rf_creditor_reference_in_groups_of_four():
    for locale, label in [("en", "Payment reference"), ("sv", "Betalningsreferens"), ("de", "Verwendungszweck")]:
        invoice = finalized([line("Platform", "1", "100000")], customer=swedish_customer(locale=locale),
                            number="INV-000042")
        assert invoice.payment_reference == "RF29INV000042"
        assert f"{label} RF29 INV0 0004 2" in text(render_invoice_pdf(invoice)), locale
    legacy = finalized([line("Platform", "1", "100000")], payment_reference="OCR 4711")
    assert "Betalningsreferens OCR 4711" in text(render_invoice_pdf(legacy))


# --- status --------------------------------------------------------------------------------


def test_paid_and_void_invoices_carry_a_stamp(swedish_pdf):
    invoice = samples.swedish_invoice()
    paid = text(render_invoice_pdf(invoice.pay(datetime(2026, 3, 20, tzinfo=UTC))))
    assert "BETALD" in paid and "Betald 20 mars 2026" in paid
    assert "Betalt belopp −1 572,00 kr Återstår att betala 0,00 kr" in paid
    void = text(render_invoice_pdf(invoice.void(datetime(2026, 3, 20, tzinfo=UTC))))
    assert "MAKULERAD" in void and "att betala senast" not in void
    assert "BETALD" not in text(swedish_pdf) and "MAKULERAD" not in text(swedish_pdf)


def test_a_draft_has_no_document():
    draft = Invoice(id="in_draft", account_id="acct", customer_id="cus", currency="SEK",
                    lines=(line("x", "1", "100"),), created=NOW)
    with pytest.raises(DocumentNotFinalized):
        render_invoice_pdf(draft)


# --- long invoices ---------------------------------------------------------------------------


def test_a_long_invoice_runs_over_pages_with_numbers_and_repeated_headers():
    texts = pages(render_invoice_pdf(samples.long_invoice(60)))
    assert len(texts) >= 2
    assert f"Sida 1 av {len(texts)}" in texts[0]
    assert f"Sida 2 av {len(texts)}" in texts[1]
    for page in texts:
        assert "BESKRIVNING ANTAL À-PRIS MOMS BELOPP" in page  # the table header, on every page
    assert "Faktura INV-000001 · Lindqvist & Söner Bygg AB" in texts[1]  # running title after page 1
    assert "Faktura INV-000001 ·" not in texts[0]
    assert "Mätpunkt 60" in texts[-1] and "Att betala" in texts[-1]
    all_text = " ".join(texts)
    assert all(f"Mätpunkt {i:02d} " in all_text for i in range(1, 61))


# --- safety ----------------------------------------------------------------------------------


def test_the_fetcher_refuses_everything_but_data_uris():
    fetcher = data_only_url_fetcher()
    for url in ["http://example.com/logo.png", "https://example.com/a.css", "file:///etc/passwd",
                "ftp://example.com/x", "HTTP://EXAMPLE.COM/"]:
        with pytest.raises(ResourceRefused):
            fetcher.fetch(url)
    response = fetcher.fetch("data:text/plain;base64," + base64.b64encode(b"hello").decode())
    assert response.read() == b"hello"
    assert response.content_type == "text/plain"
    assert fetcher.fetch("data:,a%20b").read() == b"a b"


def test_a_logo_referring_to_the_network_is_rendered_without_fetching(caplog, no_network):
    logo = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            'viewBox="0 0 100 40" width="100" height="40"><rect width="100" height="40" fill="#123456"/>'
            '<image href="http://tracker.example/pixel.png" width="10" height="10"/>'
            '<image xlink:href="file:///etc/passwd" width="10" height="10"/></svg>')
    seller = swedish_seller(branding=Branding(logo_svg=logo))
    with caplog.at_level(logging.WARNING):
        pdf = render_invoice_pdf(finalized([line("Platform", "1", "100000")], seller=seller))
    assert "INV-000001" in text(pdf)
    refused = [r.getMessage() for r in caplog.records if r.name == "invoicing.documents.pdf"]
    assert any("Refused to fetch http://tracker.example/pixel.png" in m for m in refused)
    assert any("Refused to fetch file:///etc/passwd" in m for m in refused)
    assert no_network == []


def test_text_is_escaped_not_interpreted():
    hostile = '<script>alert("x")</script><img src="http://evil.example/x.png"> & <b>bold</b>'
    customer = swedish_customer(name='Evil "</style><style>body{display:none}</style> AB')
    invoice = finalized([line(hostile, "1", "100000")], customer=customer, description="</p><h1>memo</h1>")
    html = render_invoice_html(invoice)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<img src="http://evil.example' not in html
    assert html.count("</style>") == 1  # the customer's name cannot close the style element
    content = text(render_invoice_pdf(invoice))
    assert squashed(hostile) in squashed(content)
    assert "</p><h1>memo</h1>" in content
    assert squashed('Evil "</style><style>body{display:none}</style> AB') in squashed(content)


def test_png_logo_is_inlined_and_a_broken_one_left_out(caplog):
    png = _png(4, 2)
    seller = swedish_seller(branding=Branding(logo_png_base64=base64.b64encode(png).decode()))
    html = render_invoice_html(finalized([line("Platform", "1", "100000")], seller=seller))
    assert '<img src="data:image/png;base64,' in html
    render_invoice_pdf(finalized([line("Platform", "1", "100000")], seller=seller))

    broken = swedish_seller(branding=Branding(logo_png_base64="not a png"))
    with caplog.at_level(logging.WARNING):
        html = render_invoice_html(finalized([line("Platform", "1", "100000")], seller=broken))
    assert "<img" not in html and '<div class="seller-name accent">Norrsken Analytics AB</div>' in html
    assert any("logo_png_base64" in r.getMessage() for r in caplog.records)


def colours(pdf: bytes) -> set[str]:
    """The RGB colours the first page's content stream strokes or fills with, as #rrggbb."""
    stream = PdfReader(io.BytesIO(pdf)).pages[0].get_contents().get_data().decode("latin-1")
    return {"#" + "".join(f"{round(float(c) * 255):02X}" for c in match.split())
            for match in re.findall(r"([\d.]+ [\d.]+ [\d.]+) (?:rg|RG)", stream)}


def test_a_light_brand_colour_keeps_headings_readable():
    light = swedish_seller(branding=Branding(primary_color="#FFD54F"))
    html = render_invoice_html(finalized([line("Platform", "1", "100000")], seller=light))
    assert "--brand-color: #FFD54F; --brand-text-color: #1a1a1a" in html
    assert "#FFD54F" in colours(render_invoice_pdf(finalized([line("Platform", "1", "100000")], seller=light)))
    dark = samples.swedish_invoice()
    assert "--brand-color: #0B5563; --brand-text-color: #0B5563" in render_invoice_html(dark)
    assert "#0B5563" in colours(render_invoice_pdf(dark))


def test_warm_up_prepares_the_engine_without_an_invoice():
    warm_up()
    assert "weasyprint" in sys.modules


def test_importing_the_renderer_does_not_import_weasyprint():
    code = "import sys, invoicing.documents.pdf; assert 'weasyprint' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=".",
                   env={"PYTHONPATH": "layers/invoicing"})


# --- credit notes ----------------------------------------------------------------------------


def test_credit_note_pdf():
    invoice = samples.swedish_invoice()
    credit_note = samples.credit_note_for(invoice, 30000)
    content = text(render_credit_note_pdf(credit_note, invoice))
    for expected in ["Kreditfaktura", "CN-000001", "Krediterar faktura INV-000001 av den 15 mars 2026",
                     "Orsak Ändrad beställning", "Moms 25 % −240,00 kr −60,00 kr",
                     "Totalt krediterat −300,00 kr", "Lindqvist & Söner Bygg AB", "Sida 1 av 1"]:
        assert expected in content, expected


def test_a_credit_note_by_line_shows_its_lines_and_only_the_vat_of_their_rates():
    # The books line of the two-rate invoice: 10 x 299,00 = 2 990,00 kr at 6 % = 179,40 kr; one of
    # the 2.5 consulting hours at 120,00 less the line's 10 %: 108,00 kr at 25 % = 27,00 kr.
    invoice = samples.two_rate_invoice()
    note = samples.credit_note_for(invoice, (samples.credit_line("il_2"),))
    content = text(render_credit_note_pdf(note, invoice))
    for expected in ["Handbok för datadrivna team (bok) 10 299,00 kr 6 % −2 990,00 kr",
                     "Moms 6 % −2 990,00 kr −179,40 kr", "Totalt krediterat −3 169,40 kr"]:
        assert expected in content, expected
    assert "Moms 25 %" not in content
    swedish = samples.swedish_invoice()
    hours = text(render_credit_note_pdf(samples.credit_note_for(swedish, (samples.credit_line("il_2", quantity="1"),)),
                                        swedish))
    for expected in ["Konsulttimmar, dataintegration Rabatt: −12,00 kr 1 tim 120,00 kr 25 % −108,00 kr",
                     "Moms 25 % −108,00 kr −27,00 kr"]:
        assert expected in hours, expected


def test_a_credit_note_that_also_returns_customer_credit_says_both_parts():
    from tests.unit.einvoice.cases import case

    c = case("credit-note-customer-credit-returned")
    assert c.credit_note is not None
    content = text(render_credit_note_pdf(c.credit_note, c.invoice))
    assert ("This credit note reduces the amount due on invoice INV-000001 by SEK984.50; SEK250.00 is credited "
            "to your account or refunded.") in content


def _png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (len(data).to_bytes(4, "big") + kind + data
                + zlib.crc32(kind + data).to_bytes(4, "big"))

    raw = b"".join(b"\x00" + b"\x1f\x3a\x5f" * width for _ in range(height))
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
