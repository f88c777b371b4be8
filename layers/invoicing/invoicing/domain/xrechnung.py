"""XRechnung 3.0, the German CIUS of EN 16931: the Leitweg-ID and the BR-DE rules, decided here.

A customer chooses the profile of its e-invoices (`Customer.einvoice_profile`): `en16931` (the
default: Peppol BIS Billing 3.0 UBL, Factur-X EN 16931 CII) or `xrechnung`, whose UBL and CII name
XRechnung 3.0 as their specification (BT-24, `XRECHNUNG_SPECIFICATION_ID`) and must then hold to the
XRechnung rules (BR-DE-*) on top of the CEN ones.

No registry package ships KoSIT's XRechnung schematron (docs/einvoicing.md, "XRechnung"), so the
rules an invoice here can break are re-stated in `xrechnung_violations`, each under its rule id and
naming the field to change. Finalizing refuses an invoice that breaks one (409, a blocking
validation issue per rule) and the e-invoice writers refuse to write it: such a document is never
produced. The rules only the writers decide (BR-DE-21 the specification id, BR-DE-23/24/25 which
payment means group goes with which code) are tested on the XML itself
(tests/unit/einvoice/test_xrechnung.py).

The Leitweg-ID (KoSIT "Formatspezifikation Leitweg-ID" 2.0.x): a coarse address of 2 to 12 digits, an
optional fine address of up to 30 letters and digits, and two check digits, joined by hyphens, e.g.
`04011000-1234512345-06`. The check digits are ISO/IEC 7064 MOD 97-10 over the coarse and fine address
(letters count A=10 … Z=35, as in an IBAN): the whole ID, read as a number, leaves 1 modulo 97.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from invoicing.domain.direct_debit import debited_under
from invoicing.domain.payment_card import charged_to

if TYPE_CHECKING:
    from invoicing.domain.direct_debit import DirectDebitMandate
    from invoicing.domain.invoice import Invoice
    from invoicing.domain.party import Account, Customer

EInvoiceProfile = Literal["en16931", "xrechnung"]
XRECHNUNG_SPECIFICATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"

_LEITWEG_ID = re.compile(r"^([0-9]{2,12})(?:-([0-9A-Z]{1,30}))?-([0-9]{2})$")
# BR-DE-17: the invoice type codes XRechnung 3.0 admits (UNTDID 1001).
XRECHNUNG_TYPE_CODES = frozenset({"326", "380", "384", "389", "381", "875", "876", "877"})
# BR-DE-16: the VAT categories that need the seller's VAT id, tax number or tax representative.
_TAXED_CATEGORIES = frozenset({"S", "Z", "E", "AE", "K", "G", "L", "M"})
# BR-DE-18 (KoSIT's XR-SKONTO-REGEX): one line of cash discount or late-payment interest terms.
SKONTO_LINE = re.compile(r"^#(SKONTO|VERZUG)#TAGE=[0-9]+#PROZENT=[0-9]+\.[0-9]{2}(#BASISBETRAG=-?[0-9]+\.[0-9]{2})?#$")
# BR-DE-27 (XR-TELEPHONE-REGEX): at least three digits; BR-DE-28 (XR-EMAIL-REGEX).
_PHONE = re.compile(r".*([0-9].*){3,}.*")
_EMAIL = re.compile(r"^[a-zA-Z0-9!#$%&\"*+/=?^_`{|}~-]+(\.[a-zA-Z0-9!#$%&\"*+/=?^_`{|}~-]+)*@"
                    r"([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?\.)+[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$")


# --- the Leitweg-ID ---------------------------------------------------------------------------------


def leitweg_check_digits(address: str) -> str:
    """The two check digits of a Leitweg-ID's coarse + fine address (ISO/IEC 7064 MOD 97-10)."""
    number = int("".join(str(int(c, 36)) for c in address.upper()) + "00")
    return f"{98 - number % 97:02d}"


def compact_leitweg_id(value: str) -> str:
    """The Leitweg-ID in its canonical form (upper case, no spaces), or ValueError saying what is wrong."""
    text = "".join(value.split()).upper()
    match = _LEITWEG_ID.fullmatch(text)
    if match is None:
        raise ValueError(f"{value!r} is not a Leitweg-ID: 2 to 12 digits, optionally a hyphen and up to 30 "
                         "letters or digits, then a hyphen and two check digits (e.g. 04011000-1234512345-06)")
    coarse, fine, check = match.groups()
    expected = leitweg_check_digits(coarse + (fine or ""))
    if check != expected:
        raise ValueError(f"{value!r} is not a valid Leitweg-ID: its check digits are {check}, and "
                         f"{coarse}{'-' + fine if fine else ''} gives {expected} (ISO/IEC 7064 MOD 97-10)")
    return text


# --- the BR-DE rules -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleViolation:
    """A BR-DE rule (or a rule XRechnung adopts) the invoice would break: the id, the field, why."""

    rule: str  # "BR-DE-5"
    field: str  # what to change: "account.contact.name"
    message: str

    @property
    def code(self) -> str:
        """The validation issue's code: `xrechnung_br_de_5`."""
        return "xrechnung_" + self.rule.lower().replace("-", "_")


def seller_contact_phone(seller: Account) -> str | None:
    """BT-42: the seller contact's phone, else the account's (the e-invoice states the same)."""
    contact = seller.contact
    return (contact.phone if contact and contact.phone else seller.phone) or None


def seller_contact_email(seller: Account) -> str | None:
    """BT-43: the seller contact's email, else the account's."""
    contact = seller.contact
    return (contact.email if contact and contact.email else seller.email) or None


def xrechnung_buyer_reference(invoice: Invoice, customer: Customer) -> str | None:
    """BT-10 as the buyer gave it: the invoice's `buyer_reference`, else the customer's Leitweg-ID,
    else the purchase order number; None when the buyer gave none."""
    for candidate in (invoice.buyer_reference, customer.leitweg_id, invoice.purchase_order):
        if candidate and candidate.strip():
            return candidate.strip()
    return None


def xrechnung_violations(invoice: Invoice, seller: Account, customer: Customer) -> list[RuleViolation]:
    """Every XRechnung 3.0 rule the invoice (priced draft or finalized) would break as an e-invoice.

    Re-stated from KoSIT's schematron (the rule ids are theirs); the fatal rules and the warnings
    alike are enforced, since a German public receiver may refuse on either."""
    found: list[RuleViolation] = []

    def add(rule: str, field: str, message: str) -> None:
        found.append(RuleViolation(rule, field, f"XRechnung {rule}: {message}"))

    # BR-DE-1, BR-DE-19: payment instructions with an account (BG-16, BG-17), a direct debit (BG-19) or a card
    # payment (BG-18).
    iban = "".join((seller.iban or "").split()).upper()
    mandate = debited_under(invoice, customer)
    if mandate is not None:
        found += _direct_debit_violations(mandate, seller)
    elif charged_to(invoice, customer) is not None:
        pass  # charged to the customer's card (BG-18): its code with the card alone, BR-DE-24 (the writers')
    elif not (iban or seller.bankgiro or seller.plusgiro):
        add("BR-DE-1", "account.iban", "an XRechnung states how to pay it (PAYMENT INSTRUCTIONS, BG-16): give the "
            "account an iban (or a bankgiro or plusgiro number), or the customer a direct_debit mandate (or, for "
            "a charge_automatically invoice, a payment_card).")
    elif iban and invoice.currency == "EUR" and not _valid_iban(iban):
        add("BR-DE-19", "account.iban", f"{iban} is not a valid IBAN (BT-84 of a SEPA credit transfer, code 58).")
    # BR-DE-2, BR-DE-5, BR-DE-6, BR-DE-7, BR-DE-27, BR-DE-28: the seller contact (BG-6).
    contact = seller.contact
    phone, email = seller_contact_phone(seller), seller_contact_email(seller)
    if contact is None and phone is None and email is None:
        add("BR-DE-2", "account.contact", "the seller contact (BG-6) must be given: set account.contact with a "
            "name, phone and email.")
    if contact is None or not contact.name:
        add("BR-DE-5", "account.contact.name", "the seller contact point (BT-41) must be given: a person or "
            "department in account.contact.name.")
    if phone is None:
        add("BR-DE-6", "account.contact.phone", "the seller contact telephone number (BT-42) must be given "
            "(account.contact.phone or account.phone).")
    elif not _PHONE.fullmatch(" ".join(phone.split())):
        add("BR-DE-27", "account.contact.phone", f"the seller contact telephone number (BT-42) {phone!r} must "
            "contain at least three digits.")
    if email is None:
        add("BR-DE-7", "account.contact.email", "the seller contact email address (BT-43) must be given "
            "(account.contact.email or account.email).")
    elif not _EMAIL.fullmatch(email.strip()):
        add("BR-DE-28", "account.contact.email", f"the seller contact email address (BT-43) {email!r} is not an "
            "email address as XRechnung reads one (one @, no dot at either end).")
    # BR-DE-3, BR-DE-4: the seller's city and post code; BR-DE-8, BR-DE-9: the buyer's.
    for address, party, (city_rule, code_rule), (city_bt, code_bt) in (
            (seller.address, "account", ("BR-DE-3", "BR-DE-4"), ("BT-37", "BT-38")),
            (customer.address, "customer", ("BR-DE-8", "BR-DE-9"), ("BT-52", "BT-53"))):
        who = "seller" if party == "account" else "buyer"
        if address is None or not address.city.strip():
            add(city_rule, f"{party}.address.city", f"the {who} city ({city_bt}) must be given.")
        if address is None or not (address.postal_code or "").strip():
            add(code_rule, f"{party}.address.postal_code", f"the {who} post code ({code_bt}) must be given.")
    # BR-DE-10, BR-DE-11: a deliver-to address (BG-15) has its city and post code.
    delivery = invoice.delivery or customer.delivery
    if delivery is not None and delivery.address is not None:
        field = "delivery.address" if invoice.delivery is not None else "customer.delivery.address"
        if not delivery.address.city.strip():
            add("BR-DE-10", f"{field}.city", "the deliver-to city (BT-77) must be given with a deliver-to address.")
        if not (delivery.address.postal_code or "").strip():
            add("BR-DE-11", f"{field}.postal_code", "the deliver-to post code (BT-78) must be given with a "
                "deliver-to address (BG-15).")
    categories = _categories(invoice)
    # BR-DE-14: every VAT breakdown states its rate; category O (not subject to VAT) has none (BR-O-05).
    if "O" in categories:
        add("BR-DE-14", "lines.tax_rate", "every VAT breakdown states its VAT category rate (BT-119), which an "
            "invoice not subject to VAT (category O) has none of: XRechnung cannot state it.")
    # BR-DE-15: the buyer reference (BT-10), the Leitweg-ID of a public buyer.
    if xrechnung_buyer_reference(invoice, customer) is None:
        add("BR-DE-15", "customer.leitweg_id", "the buyer reference (BT-10) must be given: set the customer's "
            "leitweg_id, or the invoice's buyer_reference.")
    # BR-DE-16: the seller's VAT id, tax number or tax representative where VAT applies.
    if categories & _TAXED_CATEGORIES and not seller.tax_ids and seller.tax_representative is None:
        add("BR-DE-16", "account.tax_ids", "with VAT categories S, Z, E, AE, K or G the seller's VAT identifier "
            "(BT-31), tax registration identifier (BT-32) or tax representative (BG-11) must be given.")
    # BR-DE-17: the type codes XRechnung admits (a prepayment invoice, 386, is not among them).
    type_code = "386" if invoice.prepayment else invoice.type_code
    if type_code not in XRECHNUNG_TYPE_CODES:
        add("BR-DE-17", "prepayment" if invoice.prepayment else "type_code",
            f"the invoice type code (BT-3) {type_code} is not one XRechnung admits "
            f"({', '.join(sorted(XRECHNUNG_TYPE_CODES))}).")
    # BR-DE-18: cash discount (Skonto) and late-payment lines of the payment terms (BT-20).
    terms = invoice.payment_terms if invoice.payment_terms else seller.text("payment_terms", customer.locale)
    bad = next((line for line in skonto_lines(terms or "") if not SKONTO_LINE.fullmatch(line)), None)
    if bad is not None:
        add("BR-DE-18", "payment_terms" if invoice.payment_terms else "account.payment_terms",
            f"the payment terms line {bad!r} starts with # but is not #SKONTO# or #VERZUG#TAGE=n#PROZENT=n.nn# "
            "(optionally #BASISBETRAG=n.nn#), in capitals, without spaces.")
    # BR-DE-22: each attached file's name once.
    names = [d.attachment.filename for d in invoice.supporting_documents if d.attachment is not None]
    if len(set(names)) != len(names):
        add("BR-DE-22", "supporting_documents.attachment.filename", "each attached file (BT-125) needs a "
            "filename of its own.")
    # BR-DE-26: a corrective invoice names the invoice it corrects (BG-3).
    if invoice.type_code == "384" and invoice.preceding_invoice is None:
        add("BR-DE-26", "preceding_invoice", "a corrected invoice (384) names the invoice it corrects (BG-3): "
            "give preceding_invoice.")
    # XRechnung 3.0 makes both electronic addresses mandatory (PEPPOL-EN16931-R020, R010 in its rules).
    if seller.electronic_address is None and not seller.email and not seller.tax_ids:
        add("PEPPOL-EN16931-R020", "account.electronic_address", "the seller electronic address (BT-34) must "
            "be given.")
    if customer.electronic_address is None and not customer.email:
        add("PEPPOL-EN16931-R010", "customer.electronic_address", "the buyer electronic address (BT-49) must be "
            "given: set the customer's electronic_address or email.")
    return found


def _direct_debit_violations(mandate: DirectDebitMandate, seller: Account) -> list[RuleViolation]:
    """A SEPA direct debit (code 59, BG-19): the mandate reference (PEPPOL-EN16931-R061, which XRechnung
    3.0 took over from BR-DE-29), the seller's creditor identifier (BR-DE-30), the debited account
    (BR-DE-31), a valid IBAN (BR-DE-20)."""
    found: list[RuleViolation] = []
    for rule, field, broken, message in (
            ("PEPPOL-EN16931-R061", "customer.direct_debit.mandate_reference", not mandate.mandate_reference.strip(),
             "a direct debit states its mandate reference (BT-89)."),
            ("BR-DE-30", "account.sepa_creditor_id", not (seller.sepa_creditor_id or "").strip(),
             "a direct debit (BG-19) states the bank assigned creditor identifier (BT-90): set the account's "
             "sepa_creditor_id."),
            ("BR-DE-31", "customer.direct_debit.iban", not mandate.iban.strip(),
             "a direct debit (BG-19) states the debited account identifier (BT-91)."),
            ("BR-DE-20", "customer.direct_debit.iban", bool(mandate.iban.strip()) and not _valid_iban(mandate.iban),
             f"{mandate.iban} is not a valid IBAN (BT-91 of a SEPA direct debit, code 59).")):
        if broken:
            found.append(RuleViolation(rule, field, f"XRechnung {rule}: {message}"))
    return found


def skonto_lines(terms: str) -> list[str]:
    """The lines of payment terms that BR-DE-18 reads as Skonto / Verzug lines: those starting with #."""
    return [line.strip() for line in terms.splitlines() if line.strip().startswith("#")]


def _categories(invoice: Invoice) -> set[str]:
    codes: set[str] = {line.tax.category for line in invoice.lines if line.tax is not None}
    if invoice.totals is not None:
        codes |= {group.category for group in invoice.totals.tax_groups}
    return codes


def _valid_iban(iban: str) -> bool:
    from stdnum import iban as stdnum_iban

    return bool(stdnum_iban.is_valid(iban))
