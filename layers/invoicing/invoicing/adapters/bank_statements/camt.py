"""ISO 20022 camt.053 (statement) and camt.054 (debit/credit notification), versions .001.02 to
.001.08, read with lxml into `domain.bank_statement` values.

The parser is hardened: a size limit before anything is parsed, no network, no DTD loaded, no
entity resolved, no huge trees; a file with a DOCTYPE (internal subset or external) is refused,
which closes entity expansion ("billion laughs") and external entities (XXE) alike.

What the versions differ in, and how each is read here:
- `Sts` is a code (`BOOK`) up to .001.05 and `Sts/Cd` from .001.06 on;
- related parties are `Dbtr/Nm` up to .001.06 and `Dbtr/Pty/Nm` from .001.07 on;
- a transaction's own amount is `TxDtls/AmtDtls/TxAmt/Amt` in .001.02 and `TxDtls/Amt` after;
- charges are `Chrgs/Amt` (repeated) in .001.02-.001.03 and `Chrgs/Rcrd/Amt` (with
  `ChrgInclInd`) from .001.04 on, with `Chrgs/TtlChrgsAndTaxAmt` as their total.
"""

from __future__ import annotations

import functools
import re
from datetime import date

from lxml import etree

from invoicing.domain.bank_statement import (
    BankStatement,
    Direction,
    StatementEntry,
    StatementRejected,
    amount_minor,
    derived_entry_reference,
)

MAX_BYTES = 20 * 1024 * 1024  # a busy account's daily camt.053 is a few MB
SUPPORTED_VERSIONS = ("001.02", "001.03", "001.04", "001.05", "001.06", "001.07", "001.08")
_NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:camt\.(053|054)\.(\d{3}\.\d{2})")
# message -> (the message element, its statement element)
_DOCTYPE = re.compile(r"<!\s*DOCTYPE|<!\s*ENTITY", re.IGNORECASE)
_ROOT_START = re.compile(r"<[A-Za-z_]")
_CONTAINERS = {"053": ("BkToCstmrStmt", "Stmt"), "054": ("BkToCstmrDbtCdtNtfctn", "Ntfctn")}


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                           dtd_validation=False, remove_pis=True, collect_ids=False)


def parse_camt(data: bytes, *, max_bytes: int = MAX_BYTES) -> BankStatement:
    """One camt.053 or camt.054 message as a statement. With several statements in a message
    (one per account), their entries are all returned and `account` names the first one's."""
    statements = parse_camt_statements(data, max_bytes=max_bytes)
    first = statements[0]
    if len(statements) == 1:
        return first
    entries = tuple(entry for statement in statements for entry in statement.entries)
    return first.model_copy(update={"entries": entries})


def parse_camt_statements(data: bytes, *, max_bytes: int = MAX_BYTES) -> list[BankStatement]:
    """Every `Stmt` (camt.053) or `Ntfctn` (camt.054) of a message, in order."""
    document, message, version = _document(data, max_bytes)
    ns = {"c": document.nsmap[None] if None in document.nsmap else _namespace(document)}
    container, statement_tag = _CONTAINERS[message]
    found = document.findall(f"c:{container}/c:{statement_tag}", ns)
    if not found:
        raise StatementRejected(f"The camt.{message} message has no {statement_tag}.", param="file")
    return [_statement(node, message, version, ns, index) for index, node in enumerate(found)]


def _document(data: bytes, max_bytes: int) -> tuple[etree._Element, str, str]:
    if len(data) > max_bytes:
        raise StatementRejected(f"The file is {len(data)} bytes; at most {max_bytes} are read.", param="file")
    if not data.strip():
        raise StatementRejected("The file is empty.", param="file")
    if _DOCTYPE.search(_prolog(data)):
        raise StatementRejected("The file declares a DOCTYPE (entities are refused).", param="file")
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except etree.XMLSyntaxError as error:
        raise StatementRejected(f"The file is not well-formed XML: {error.msg}.", param="file") from error
    info = tree.docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise StatementRejected("The file declares a DOCTYPE (entities are refused).", param="file")
    root = tree.getroot()
    document = root if etree.QName(root).localname == "Document" else None
    if document is None:  # a business message envelope (AppHdr + Document)
        document = next((el for el in root.iter("{*}Document")), None)
    if document is None:
        raise StatementRejected("The file has no ISO 20022 Document element.", param="file")
    match = _NAMESPACE.fullmatch(_namespace(document))
    if match is None:
        raise StatementRejected(
            f"'{_namespace(document) or 'no namespace'}' is not a camt.053 or camt.054 message.", param="file"
        )
    message, version = match.group(1), match.group(2)
    if version not in SUPPORTED_VERSIONS:
        raise StatementRejected(
            f"camt.{message}.{version} is not supported (versions {SUPPORTED_VERSIONS[0]} to "
            f"{SUPPORTED_VERSIONS[-1]} are).", param="file"
        )
    if any(isinstance(node, etree._Entity) for node in document.iter()):
        raise StatementRejected("The file uses entities, which are refused.", param="file")
    return document, message, version


def _prolog(data: bytes) -> str:
    """What comes before the root element, as text: where a DOCTYPE would be (UTF-16 files too)."""
    head = data[:65536]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:2] in (b"<\x00", b"\x00<"):
        text = head.decode("utf-16" if head[:2] in (b"\xff\xfe", b"\xfe\xff") else
                           ("utf-16-le" if head[:1] == b"<" else "utf-16-be"), errors="ignore")
    else:
        text = head.decode("latin-1")
    root = _ROOT_START.search(text)
    return text[: root.start()] if root else text


def _namespace(element: etree._Element) -> str:
    return etree.QName(element).namespace or ""


def _statement(node: etree._Element, message: str, version: str, ns: dict[str, str], index: int) -> BankStatement:
    statement_id = _text(node, "c:Id", ns) or f"#{index}"
    account = _text(node, "c:Acct/c:Id/c:IBAN", ns) or _text(node, "c:Acct/c:Id/c:Othr/c:Id", ns)
    currency = _text(node, "c:Acct/c:Ccy", ns)
    entries: list[StatementEntry] = []
    for position, entry in enumerate(node.findall("c:Ntry", ns)):
        where = (message, account, statement_id, position)
        entries.extend(_entries(entry, ns, where))
    return BankStatement(format=f"camt.{message}", version=version, statement_id=statement_id,
                         account=account, currency=currency, entries=tuple(entries))


def _entries(entry: etree._Element, ns: dict[str, str], where: tuple[object, ...]) -> list[StatementEntry]:
    """One `Ntry`. A batch (several `TxDtls`) becomes one entry per transaction when their
    amounts, in the entry's currency, add up to the entry's; a batch that does not add up stays
    one entry, its remittance texts joined and no structured reference, for a person to apply."""
    amount_el = entry.find("c:Amt", ns)
    if amount_el is None:
        raise StatementRejected(f"Entry {int(str(where[-1])) + 1} of statement {where[2]} has no amount.",
                                param="Ntry")
    currency = (amount_el.get("Ccy") or "").upper()
    amount = _amount(amount_el, where)
    direction = _direction(_text(entry, "c:CdtDbtInd", ns), where)
    status = _text(entry, "c:Sts/c:Cd", ns) or _text(entry, "c:Sts", ns) or "BOOK"
    charges, included = _charges(entry, ns, currency, where)
    reversal = (_text(entry, "c:RvslInd", ns) or "false").lower() in ("true", "1")
    common = {
        "booking_date": _date(entry, "c:BookgDt", ns),
        "value_date": _date(entry, "c:ValDt", ns),
        "reversal": reversal,
        "booked": status.upper() == "BOOK",
        "bank_transaction_code": _bank_transaction_code(entry, ns),
    }
    # AcctSvcrRef is the bank's unique reference of the entry (the same in the camt.054 notice and
    # the camt.053 statement); NtryRef is unique only within its statement, so it goes into the digest.
    key = _text(entry, "c:AcctSvcrRef", ns) or derived_entry_reference(
        *where, _text(entry, "c:NtryRef", ns), amount, currency, direction, common["booking_date"])
    details = entry.findall("c:NtryDtls/c:TxDtls", ns)
    if len(details) <= 1:
        return [StatementEntry(entry_reference=key, account=where[1], amount=amount, currency=currency,
                               direction=direction, charges=charges, charges_included=included, **common,
                               **(_details(details[0], ns, direction, reversal) if details else {}))]
    parts = [(tx, _transaction_amount(tx, ns, where), _direction(_text(tx, "c:CdtDbtInd", ns), where, direction))
             for tx in details]
    signed = sum(found[0] if d == direction else -found[0] for _, found, d in parts
                 if found is not None and found[1] == currency)
    if any(found is None or found[1] != currency for _, found, _ in parts) or signed not in (
            amount, amount + charges):
        texts = [_details(tx, ns, direction, reversal) for tx in details]
        joined = " ".join(t["remittance_text"] or t["structured_reference"] or "" for t in texts).strip()
        return [StatementEntry(entry_reference=key, account=where[1], amount=amount, currency=currency,
                               direction=direction, charges=charges, charges_included=included, **common,
                               remittance_text=joined or None)]
    out = []
    for number, (tx, found, tx_direction) in enumerate(parts, start=1):
        assert found is not None
        tx_charges, tx_included = _charges(tx, ns, currency, where)
        out.append(StatementEntry(
            entry_reference=_text(tx, "c:Refs/c:AcctSvcrRef", ns) or f"{key}/{number}", account=where[1],
            amount=found[0], currency=currency, direction=tx_direction, charges=tx_charges,
            charges_included=tx_included, **common, **_details(tx, ns, tx_direction, reversal),
        ))
    return out


def _details(tx: etree._Element, ns: dict[str, str], direction: Direction, reversal: bool) -> dict[str, str | None]:
    """Remittance, payer and references of one `TxDtls`. The other party of a credit (and of the
    reversal of one) is the debtor (`Dbtr`, or the ultimate debtor when only that is given); of a
    debit, the creditor."""
    party = "Dbtr" if (direction == "credit") != reversal else "Cdtr"
    name = (_text(tx, f"c:RltdPties/c:{party}/c:Pty/c:Nm", ns) or _text(tx, f"c:RltdPties/c:{party}/c:Nm", ns)
            or _text(tx, f"c:RltdPties/c:Ultmt{party}/c:Pty/c:Nm", ns)
            or _text(tx, f"c:RltdPties/c:Ultmt{party}/c:Nm", ns))
    iban = _text(tx, f"c:RltdPties/c:{party}Acct/c:Id/c:IBAN", ns)
    structured = [ref.text.strip() for ref in tx.findall("c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref", ns)
                  if ref.text and ref.text.strip()]
    unstructured = [u.text.strip() for u in tx.findall("c:RmtInf/c:Ustrd", ns) if u.text and u.text.strip()]
    unstructured += [u.text.strip() for u in tx.findall("c:RmtInf/c:Strd/c:AddtlRmtInf", ns)
                     if u.text and u.text.strip()]
    end_to_end = _text(tx, "c:Refs/c:EndToEndId", ns)
    return {
        "structured_reference": structured[0] if structured else None,
        "remittance_text": " ".join(unstructured) or None,
        "payer_name": name,
        "payer_iban": iban.replace(" ", "").upper() if iban else None,
        "end_to_end_id": None if end_to_end in (None, "NOTPROVIDED") else end_to_end,
    }


def _transaction_amount(tx: etree._Element, ns: dict[str, str], where: tuple[object, ...]) -> tuple[int, str] | None:
    el = tx.find("c:Amt", ns)
    if el is None:
        el = tx.find("c:AmtDtls/c:TxAmt/c:Amt", ns)
    if el is None:
        return None
    return _amount(el, where), (el.get("Ccy") or "").upper()


def _charges(node: etree._Element, ns: dict[str, str], currency: str | None,
             where: tuple[object, ...]) -> tuple[int, bool]:
    """The charges on an entry (or a transaction) in its currency, and whether the booked amount
    already has them taken out (`ChrgInclInd`, .001.04 on; earlier versions do not say: not included)."""
    charges = node.find("c:Chrgs", ns)
    if charges is None:
        return 0, False
    total_el = charges.find("c:TtlChrgsAndTaxAmt", ns)
    records = charges.findall("c:Rcrd", ns) or node.findall("c:Chrgs", ns)
    included = any((_text(r, "c:ChrgInclInd", ns) or "").lower() == "true" for r in records)
    if total_el is not None:
        total = _amount(total_el, where) if (total_el.get("Ccy") or "").upper() == (currency or "").upper() else 0
        return total, included and total > 0
    total = 0
    for record in records:
        el = record.find("c:Amt", ns)
        if el is not None and (el.get("Ccy") or "").upper() == (currency or "").upper():
            sign = -1 if _text(record, "c:CdtDbtInd", ns) == "CRDT" else 1  # a refunded charge
            total += sign * _amount(el, where)
    return max(total, 0), included and total > 0


def _amount(el: etree._Element, where: tuple[object, ...]) -> int:
    try:
        return amount_minor(el.text, el.get("Ccy"))
    except StatementRejected as error:
        raise StatementRejected(f"Entry {int(str(where[-1])) + 1} of statement {where[2]}: {error.message}",
                                param="Amt") from error


def _direction(code: str | None, where: tuple[object, ...], default: Direction | None = None) -> Direction:
    if code == "CRDT":
        return "credit"
    if code == "DBIT":
        return "debit"
    if code is None and default is not None:
        return default
    raise StatementRejected(f"Entry {int(str(where[-1])) + 1} of statement {where[2]}: CdtDbtInd is "
                            f"'{code}', not CRDT or DBIT.", param="CdtDbtInd")


def _bank_transaction_code(entry: etree._Element, ns: dict[str, str]) -> str | None:
    domain = _text(entry, "c:BkTxCd/c:Domn/c:Cd", ns)
    if domain:
        family = _text(entry, "c:BkTxCd/c:Domn/c:Fmly/c:Cd", ns)
        sub = _text(entry, "c:BkTxCd/c:Domn/c:Fmly/c:SubFmlyCd", ns)
        return "-".join(p for p in (domain, family, sub) if p)
    return _text(entry, "c:BkTxCd/c:Prtry/c:Cd", ns)


def _date(node: etree._Element, path: str, ns: dict[str, str]) -> date | None:
    value = _text(node, f"{path}/c:Dt", ns) or _text(node, f"{path}/c:DtTm", ns)
    if value is None:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError as error:
        raise StatementRejected(f"'{value}' is not a date.", param=path.removeprefix("c:")) from error


def _text(node: etree._Element, path: str, ns: dict[str, str]) -> str | None:
    found = _xpath(path + "/text()", ns["c"])(node)
    if not found:
        return None
    return str(found[0]).strip() or None


@functools.cache
def _xpath(path: str, namespace: str) -> etree.XPath:
    """A path compiled once per message version (lxml's `find` parses its path on every call)."""
    return etree.XPath(path, namespaces={"c": namespace}, smart_strings=False)
