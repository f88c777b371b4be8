"""What an invoice line says of its item and where it belongs, beyond price and tax: EN 16931's item
information (BG-31) and attributes (BG-32), and the line's own references. All optional, all
written to the e-invoice and printed under the line's description as given.

Item: a description (BT-154), the seller's and the buyer's item ids (BT-155, BT-156), a standard id
under its ISO 6523 scheme (BT-157; a GTIN's check digit is verified), classification codes under
their UNTDID 7143 list (BT-158), the country of origin (BT-159) and name/value attributes (BG-32).
Line: a note (BT-127), the buyer's purchase-order line (BT-132), an invoiced object id under its
UNTDID 1153 scheme (BT-128) and the buyer's accounting reference (BT-133).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from stdnum import ean
from stdnum.exceptions import ValidationError as StdnumError

from invoicing.domain.code_lists import check_code

GTIN_SCHEME = "0160"  # ISO 6523 ICD 0160: GS1 Global Trade Item Number (GTIN-8, -12, -13, -14)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StandardItemId(_Model):
    """BT-157 with its scheme (BT-157-1, ISO 6523 ICD: 0160 for a GTIN)."""

    value: str
    scheme: str


class ItemClassification(_Model):
    """BT-158 with its list (BT-158-1, UNTDID 7143: STI, HS, CV…) and the list's version (BT-158-2)."""

    code: str
    list_id: str
    list_version: str | None = None


class ItemAttribute(_Model):
    """BG-32: BT-160 name, BT-161 value ("Colour", "Blue")."""

    name: str
    value: str


class ObjectId(_Model):
    """BT-128 with its scheme (BT-128-1, UNTDID 1153: AAG a serial number …), when it has one."""

    value: str
    scheme: str | None = None


class LineItem(_Model):
    description: str | None = None  # BT-154
    seller_item_id: str | None = None  # BT-155
    buyer_item_id: str | None = None  # BT-156
    standard_id: StandardItemId | None = None  # BT-157
    classifications: tuple[ItemClassification, ...] = ()  # BT-158
    origin_country: str | None = None  # BT-159, ISO 3166-1 alpha-2
    attributes: tuple[ItemAttribute, ...] = ()  # BG-32


class LineReferences(_Model):
    line_identifier: str | None = None  # BT-126 as the issuer numbers its lines; None: the line's position
    note: str | None = None  # BT-127
    order_line_reference: str | None = None  # BT-132: the line of the buyer's purchase order (BT-13)
    object_id: ObjectId | None = None  # BT-128
    accounting_reference: str | None = None  # BT-133: the buyer's accounting string for this line


def checked_standard_id(value: str, scheme: str) -> StandardItemId:
    """A standard item id whose scheme is in the ISO 6523 ICD list (BR-CL-21) and, under GTIN's
    (0160), a valid GTIN by python-stdnum (length and GS1 check digit); ValueError otherwise."""
    check_code("iso6523_icd", scheme, "scheme")
    if scheme == GTIN_SCHEME:
        try:
            value = ean.validate(value)
        except StdnumError as exc:
            raise ValueError(f"{value!r} is not a valid GTIN ({exc.message})") from None
    return StandardItemId(value=value, scheme=scheme)
