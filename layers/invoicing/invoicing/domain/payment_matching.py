"""Which open invoices an incoming payment pays: decided without a person where the evidence is
unambiguous, otherwise ranked suggestions for one.

The rules, in order (the first that decides wins):

1. **The invoice named by the provider** (`IncomingPayment.invoice_id`, e.g. a checkout for that
   invoice).
2. **A structured reference**: the payment's structured reference (camt `CdtrRefInf/Ref`, MT940
   `/REMI/STRD/`), else an RF reference or OCR number written in its remittance text or end-to-end
   id (valid check digits only), equal to one open invoice's `payment_reference` (RF) or
   `ocr_reference` (OCR). Any amount: less is a partial payment, more is credit for the customer.
3. **Invoice numbers in the remittance text**, with the amount: the payment equals what remains on
   the invoices named, or on exactly one subset of them.
4. **The customer's open invoices**: when the payer is known (the IBAN it paid from before, or its
   name, exactly as the customer is called), a payment equal to the sum of that customer's open
   invoices in its currency settles them all; otherwise a payment equal to exactly one subset of
   its `SUBSET_LIMIT` oldest open invoices settles that subset.
5. **Otherwise nothing is applied**: the payment waits for a person with up to `SUGGESTIONS`
   ranked suggestions (amount, payer name, IBAN, currency, numbers in the text).

Nothing is applied across currencies, nor where a rule finds more than one answer (two open
invoices with the same reference, two subsets with the same sum): ambiguity goes to a person.
Money is spread by `domain.payment_allocation.allocate`, oldest due first: sum of applications
plus credit is the payment, and no invoice gets more than remains on it.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from stdnum import iso11649

from invoicing.domain.bank_statement import StatementEntry
from invoicing.domain.invoice import Invoice
from invoicing.domain.payment_allocation import Allocation, Application, allocate
from invoicing.domain.payment_reference import is_valid_ocr

# Subset-sum search: the customer's (or the text's) oldest open invoices considered, at most.
# 2^16 = 65 536 subsets, a few tens of milliseconds; more invoices than that are matched only as a
# whole (the sum of all) or by a person.
SUBSET_LIMIT = 16
SUGGESTIONS = 5
NAME_SIMILARITY = 0.6  # difflib ratio from which a payer's name is "like" a customer's

Rule = Literal["provider_invoice", "reference", "invoice_number", "customer_total", "customer_subset"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class IncomingPayment(_Model):
    """Money received, from a bank statement entry or a payment provider, in matching's terms."""

    key: str  # applied once on this: `bank:{account}:{entry_reference}` or the provider's event id
    amount: int = Field(gt=0)  # what the payer paid, in minor units
    currency: str
    received_on: date | None = None
    structured_reference: str | None = None
    remittance_text: str | None = None
    payer_name: str | None = None
    payer_iban: str | None = None
    end_to_end_id: str | None = None
    invoice_id: str | None = None  # the provider says which invoice it was for

    @classmethod
    def from_statement_entry(cls, entry: StatementEntry) -> IncomingPayment | None:
        """A booked credit that is not a reversal is a payment; anything else is not (outgoing
        money, pending entries; a reversal is matched to its payment by `find_reversed`)."""
        if entry.direction != "credit" or entry.reversal or not entry.booked or entry.paid_amount <= 0:
            return None
        return cls(key=entry.idempotency_key, amount=entry.paid_amount, currency=entry.currency,
                   received_on=entry.value_date or entry.booking_date,
                   structured_reference=entry.structured_reference, remittance_text=entry.remittance_text,
                   payer_name=entry.payer_name, payer_iban=entry.payer_iban, end_to_end_id=entry.end_to_end_id)


class OpenInvoice(_Model):
    """What matching knows of an open invoice."""

    id: str
    number: str
    customer_id: str
    customer_name: str
    currency: str
    amount_remaining: int = Field(gt=0)
    due_date: date | None = None
    payment_reference: str | None = None
    ocr_reference: str | None = None

    @classmethod
    def of(cls, invoice: Invoice) -> OpenInvoice:
        assert invoice.number is not None and invoice.status in ("open", "uncollectible")
        customer = invoice.customer_snapshot
        return cls(id=invoice.id, number=invoice.number, customer_id=invoice.customer_id,
                   customer_name=customer.name if customer else "", currency=invoice.currency,
                   amount_remaining=invoice.amount_remaining, due_date=invoice.due_date,
                   payment_reference=invoice.payment_reference, ocr_reference=invoice.ocr_reference)


class Suggestion(_Model):
    invoice_id: str
    number: str
    customer_id: str
    score: int  # higher is likelier
    reasons: tuple[str, ...]


class MatchDecision(_Model):
    payment_key: str
    status: Literal["matched", "unmatched"]
    rule: Rule | None = None
    customer_id: str | None = None  # whose invoices were paid, and whose credit the overpayment is
    applications: tuple[Application, ...] = ()
    credit: int = 0
    suggestions: tuple[Suggestion, ...] = ()

    @property
    def allocation(self) -> Allocation:
        return Allocation(applications=self.applications, credit=self.credit)


class OpenInvoices:
    """The account's open invoices, indexed once for matching many payments (a statement's
    entries): by reference, by the digits their numbers end in, by customer, by amount."""

    def __init__(self, invoices: Iterable[OpenInvoice]) -> None:
        self.all = sorted(invoices, key=_oldest_first)
        self.ids = {invoice.id for invoice in self.all}
        self.by_reference: dict[str, list[OpenInvoice]] = defaultdict(list)
        self.by_sequence: dict[str, list[OpenInvoice]] = defaultdict(list)
        self.by_customer: dict[str, list[OpenInvoice]] = defaultdict(list)
        self.by_amount: dict[tuple[str, int], list[OpenInvoice]] = defaultdict(list)
        self.customer_names: dict[str, set[str]] = defaultdict(set)  # normalized name -> customer ids
        self.name_tokens: dict[str, set[str]] = defaultdict(set)  # a word of 3+ letters -> normalized names
        for invoice in self.all:
            for reference in {invoice.payment_reference, invoice.ocr_reference} - {None}:
                self.by_reference[_compact(str(reference))].append(invoice)
            self.by_sequence[_sequence(invoice.number)].append(invoice)
            self.by_customer[invoice.customer_id].append(invoice)
            self.by_amount[(invoice.currency, invoice.amount_remaining)].append(invoice)
            name = normalized_name(invoice.customer_name)
            self.customer_names[name].add(invoice.customer_id)
            for token in _tokens(name):
                self.name_tokens[token].add(name)
        self.sequence_lengths = sorted({len(k) for k in self.by_sequence}, reverse=True)

    def including(self, extra: Iterable[OpenInvoice]) -> OpenInvoices:
        """These invoices and `extra` (invoices found by a payment's reference beyond the ones read):
        itself when it holds them all already."""
        missing = [invoice for invoice in extra if invoice.id not in self.ids]
        return OpenInvoices([*self.all, *missing]) if missing else self

    def knows(self, reference: str) -> bool:
        """Whether an invoice of these has `reference` (an RF reference or an OCR number)."""
        return bool(self.by_reference.get(_compact(reference)))

    def named_in(self, text: str | None) -> list[OpenInvoice]:
        """The invoices whose numbers `text` names (see `_names`), oldest first."""
        if not text:
            return []
        found: dict[str, OpenInvoice] = {}
        for run in re.findall(r"\d+", text):
            for length in self.sequence_lengths:
                for invoice in self.by_sequence.get(run[-length:], ()) if len(run) >= length else ():
                    if invoice.id not in found and _names(text, invoice.number):
                        found[invoice.id] = invoice
        return sorted(found.values(), key=_oldest_first)


def match_payment(payment: IncomingPayment, open_invoices: OpenInvoices | Sequence[OpenInvoice],
                  known_ibans: Mapping[str, str] | None = None) -> MatchDecision:
    """Decide what `payment` pays among the account's `open_invoices` (an `OpenInvoices` index
    when matching many payments). `known_ibans` maps an IBAN a customer paid from before to that
    customer's id."""
    index = open_invoices if isinstance(open_invoices, OpenInvoices) else OpenInvoices(open_invoices)
    ibans = known_ibans or {}
    currency = payment.currency

    if payment.invoice_id is not None:
        named = [i for i in index.all if i.id == payment.invoice_id and i.currency == currency]
        if named:
            return _matched(payment, "provider_invoice", named)

    referenced = _by_reference(payment, index)
    if len(referenced) == 1 and referenced[0].currency == currency:
        return _matched(payment, "reference", referenced)

    numbered = [i for i in index.named_in(payment.remittance_text) if i.currency == currency]
    if numbered:
        group = _exact_group(payment.amount, numbered)
        if group is not None:
            return _matched(payment, "invoice_number", group)

    customer_id = _payer(payment, index, ibans)
    if customer_id is not None:
        theirs = [i for i in index.by_customer.get(customer_id, ()) if i.currency == currency]
        group = _exact_group(payment.amount, theirs)
        if group is not None:
            rule: Rule = "customer_total" if len(group) == len(theirs) else "customer_subset"
            return _matched(payment, rule, group)

    return MatchDecision(payment_key=payment.key, status="unmatched",
                         suggestions=suggest(payment, index, ibans, customer_id))


def _matched(payment: IncomingPayment, rule: Rule, invoices: Sequence[OpenInvoice]) -> MatchDecision:
    ordered = sorted(invoices, key=_oldest_first)
    allocation = allocate(payment.amount, [(i.id, i.amount_remaining) for i in ordered])
    return MatchDecision(payment_key=payment.key, status="matched", rule=rule, customer_id=ordered[0].customer_id,
                         applications=allocation.applications, credit=allocation.credit)


def _oldest_first(invoice: OpenInvoice) -> tuple[date, str]:
    return invoice.due_date or date.max, invoice.number


# --- references --------------------------------------------------------------------------------

def _compact(value: str) -> str:
    return re.sub(r"[\s\-]", "", value).upper()


def references_in(payment: IncomingPayment) -> list[str]:
    """The structured reference, then every RF reference or OCR number (valid check digits) in the
    remittance text or the end-to-end id (where some payers' banks put it), compacted."""
    found = [_compact(payment.structured_reference)] if payment.structured_reference else []
    text = f"{payment.remittance_text or ''} {payment.end_to_end_id or ''}".upper()
    for token in re.findall(r"RF\d{2}(?:\s?[0-9A-Z]{1,4}){1,6}", text):
        compact = _compact(token)
        # Letters after a valid reference may belong to the next word: take the longest valid prefix.
        for end in range(len(compact), 4, -1):
            if iso11649.is_valid(compact[:end]):
                found.append(compact[:end])
                break
    found += [d for d in re.findall(r"(?<!\d)\d{2,25}(?!\d)", text) if is_valid_ocr(d)]
    return list(dict.fromkeys(found))


def _by_reference(payment: IncomingPayment, index: OpenInvoices) -> list[OpenInvoice]:
    for reference in references_in(payment):
        hits = index.by_reference.get(reference)
        if hits:
            return list(hits)
    return []


def _sequence(number: str) -> str:
    """The digits a number ends in (its sequence: numbers are `{prefix}-{seq}`)."""
    match = re.search(r"\d+$", number)
    return match.group(0) if match else number.upper()


def _names(text: str | None, number: str) -> bool:
    """Whether `text` names the invoice number, with or without its separators, as a whole word
    (`INV-000001` is in "inv 000001, thanks" but not in "INV-0000012")."""
    if not text:
        return False
    body = [ch for ch in number.upper() if ch.isalnum()]
    pattern = r"(?<![A-Z0-9])" + r"[\s\-_/.#]?".join(re.escape(ch) for ch in body) + r"(?![0-9])"
    return re.search(pattern, text.upper()) is not None


# --- groups ------------------------------------------------------------------------------------

def _exact_group(amount: int, invoices: Sequence[OpenInvoice]) -> list[OpenInvoice] | None:
    """All of `invoices` when they add up to `amount`, else the one subset of the
    `SUBSET_LIMIT` oldest that does; None when there is none or more than one."""
    if sum(i.amount_remaining for i in invoices) == amount:
        return list(invoices)
    candidates = sorted(invoices, key=_oldest_first)[:SUBSET_LIMIT]
    # Every subset's sum, built from the subset without its lowest member: 2^n additions in all.
    sums = [0] * (1 << len(candidates))
    found = None
    for mask in range(1, len(sums)):
        low = mask & -mask
        sums[mask] = sums[mask ^ low] + candidates[low.bit_length() - 1].amount_remaining
        if sums[mask] == amount:
            if found is not None:
                return None  # two answers: a person decides
            found = mask
    if found is None:
        return None
    return [invoice for bit, invoice in enumerate(candidates) if found >> bit & 1]


# --- the payer ---------------------------------------------------------------------------------

def normalized_name(name: str | None) -> str:
    """`Lindqvist & Söner Bygg AB` -> `lindqvist soner bygg ab`: case, accents and punctuation go."""
    if not name:
        return ""
    folded = unicodedata.normalize("NFKD", name.casefold())
    letters = "".join(ch if ch.isalnum() else " " for ch in folded if not unicodedata.combining(ch))
    return " ".join(letters.split())


def _tokens(name: str) -> set[str]:
    return {word for word in name.split() if len(word) >= 3}


def _payer(payment: IncomingPayment, index: OpenInvoices, known_ibans: Mapping[str, str]) -> str | None:
    """The customer who paid: by an IBAN it paid from before, else by its exact (normalized) name
    when only one customer with open invoices has it."""
    if payment.payer_iban and payment.payer_iban in known_ibans:
        return known_ibans[payment.payer_iban]
    name = normalized_name(payment.payer_name)
    customers = index.customer_names.get(name, set()) if name else set()
    return next(iter(customers)) if len(customers) == 1 else None


def suggest(payment: IncomingPayment, open_invoices: OpenInvoices | Sequence[OpenInvoice],
            known_ibans: Mapping[str, str], customer_id: str | None = None) -> tuple[Suggestion, ...]:
    """Open invoices ranked for a person: why each might be what this payment pays. Candidates are
    the invoices with the payment's amount, its references, the numbers in its text, and those of
    customers it may be (known IBAN, similar name); each is scored on all the evidence."""
    index = open_invoices if isinstance(open_invoices, OpenInvoices) else OpenInvoices(open_invoices)
    name = normalized_name(payment.payer_name)
    iban_customer = known_ibans.get(payment.payer_iban or "")
    references = set(references_in(payment))
    similar = {}
    if name:
        # As difflib.get_close_matches does: the payer's name cached as the second sequence, and the
        # cheap upper bounds first.
        matcher = difflib.SequenceMatcher()
        matcher.set_seq2(name)
        # Only names that share a word with the payer's are compared.
        for other in sorted(set().union(*(index.name_tokens.get(t, set()) for t in _tokens(name)))):
            customers = index.customer_names[other]
            matcher.set_seq1(other)
            if (matcher.real_quick_ratio() >= NAME_SIMILARITY and matcher.quick_ratio() >= NAME_SIMILARITY
                    and (ratio := matcher.ratio()) >= NAME_SIMILARITY):
                similar.update(dict.fromkeys(customers, ratio))
    named = index.named_in(payment.remittance_text)
    numbered = {i.id for i in named}
    candidates: dict[str, OpenInvoice] = {}
    for group in (index.by_amount.get((payment.currency, payment.amount), ()),
                  *(index.by_reference.get(r, ()) for r in references),
                  named,
                  *(index.by_customer.get(c, ()) for c in {iban_customer, customer_id, *similar} if c)):
        candidates.update((i.id, i) for i in group)
    ranked = []
    for invoice in candidates.values():
        score, reasons = 0, []
        if invoice.currency != payment.currency:
            score -= 100
            reasons.append(f"other currency ({invoice.currency})")
        else:
            reasons.append("same currency")
        if invoice.amount_remaining == payment.amount:
            score += 50
            reasons.append("amount equals what remains")
        elif payment.amount < invoice.amount_remaining:
            score += 5
            reasons.append("could be a partial payment")
        if references & {_compact(invoice.payment_reference or "-"), _compact(invoice.ocr_reference or "-")}:
            score += 60
            reasons.append("reference")
        if invoice.id in numbered:
            score += 40
            reasons.append("invoice number in the text")
        if iban_customer == invoice.customer_id:
            score += 40
            reasons.append("payer's IBAN paid this customer's invoices before")
        if invoice.customer_id in similar:
            ratio = similar[invoice.customer_id]
            score += round(30 * ratio)
            reasons.append(f"payer name like the customer's ({ratio:.0%})")
        ranked.append((-score, invoice.number, invoice, reasons))
    ranked.sort(key=lambda row: (row[0], row[1]))
    return tuple(Suggestion(invoice_id=invoice.id, number=number, customer_id=invoice.customer_id, score=-score,
                            reasons=tuple(reasons)) for score, number, invoice, reasons in ranked[:SUGGESTIONS])


# --- reversals ---------------------------------------------------------------------------------

class AppliedPayment(_Model):
    """A payment as it was applied: what a reversal needs to find and undo it."""

    key: str
    amount: int
    currency: str
    customer_id: str | None = None
    structured_reference: str | None = None
    end_to_end_id: str | None = None
    payer_iban: str | None = None
    received_on: date | None = None
    allocation: Allocation = Field(default_factory=Allocation)
    reversed: bool = False


def find_reversed(reversal: StatementEntry, applied: Sequence[AppliedPayment]) -> AppliedPayment | None:
    """The payment a reversal entry sends back: same amount and currency, not reversed yet, and the
    same end-to-end id, else the same structured reference, else the same payer IBAN; the most
    recent when several fit. None when nothing fits (a person looks)."""
    if not reversal.reversal:
        return None
    candidates = [p for p in applied if not p.reversed and p.currency == reversal.currency
                  and p.amount in (reversal.amount, reversal.paid_amount)]
    reference = _compact(reversal.structured_reference) if reversal.structured_reference else None
    for fits in (
        lambda p: reversal.end_to_end_id is not None and p.end_to_end_id == reversal.end_to_end_id,
        lambda p: reference is not None and p.structured_reference is not None
        and _compact(p.structured_reference) == reference,
        lambda p: reversal.payer_iban is not None and p.payer_iban == reversal.payer_iban,
    ):
        found = [p for p in candidates if fits(p)]
        if found:
            return max(found, key=lambda p: (p.received_on or date.min, p.key))
    return None
