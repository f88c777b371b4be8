"""What the customer reads outside the PDF: the invoice email and the hosted invoice page, in the
customer's language (English, Swedish, German; anything else reads English), with the seller's
branding. jinja2 templates with autoescape on for HTML (`.html.j2`); the text parts are plain text.
"""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from invoicing.documents.formatting import resolve_locale

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "invoice_subject": "Invoice {number} from {seller}",
        "greeting": "Hello {name},",
        "invoice_intro": "Here is invoice {number} of {amount}, due on {due}.",
        "paid_intro": "Here is invoice {number} of {amount}. It is paid: thank you.",
        "attached": "The invoice is attached ({files}).",
        "view_online": "View and pay it online",
        "reference_line": "When you pay by bank transfer, quote the reference {reference}.",
        "direct_debit_line": ("{amount} will be debited from your account {account} under SEPA direct debit mandate "
                              "{mandate} on or after {due}: you need not transfer anything."),
        "regards": "Kind regards,",
        "question_subject": "Question about invoice {number} from {customer}",
        "question_intro": "{customer} asked a question about invoice {number} on its invoice page:",
        "question_reply": "Reply to {email}.",
        "question_no_reply": "They left no email address; contact them as you usually do.",
        "page_title": "Invoice {number} from {seller}",
        "status_open": "Due {due}",
        "status_overdue": "Overdue since {due}",
        "status_paid": "Paid",
        "status_void": "Void",
        "status_uncollectible": "Open",
        "amount_to_pay": "Amount to pay",
        "download_pdf": "Download the PDF",
        "pdf_pending": "The PDF is being prepared; reload the page in a moment.",
        "how_to_pay": "How to pay",
        "pay_online_button": "Pay online",
        "bank_transfer": "Bank transfer",
        "scan_epc": "Scan with your banking app to fill in the transfer",
        "nothing_to_pay": "Nothing remains to pay on this invoice.",
        "question_heading": "A question about this invoice?",
        "question_hint": "Something wrong or unclear? Ask here and {seller} will get back to you.",
        "question_label": "Your question",
        "email_label": "Your email address (optional, for the answer)",
        "send_question": "Send question",
        "question_thanks": "Thank you: your question has been sent to {seller}.",
        "billed_to": "Billed to",
        "from": "From",
        "lines": "Invoice lines",
        "error_heading": "Please check the form",
    },
    "sv": {
        "invoice_subject": "Faktura {number} från {seller}",
        "greeting": "Hej {name},",
        "invoice_intro": "Här är faktura {number} på {amount}, förfallodag {due}.",
        "paid_intro": "Här är faktura {number} på {amount}. Den är betald: tack.",
        "attached": "Fakturan är bifogad ({files}).",
        "view_online": "Visa och betala den online",
        "reference_line": "Ange referensen {reference} när du betalar med banköverföring.",
        "direct_debit_line": ("{amount} dras från ert konto {account} enligt SEPA-medgivande {mandate} tidigast "
                              "{due}: ni behöver inte betala in något."),
        "regards": "Vänliga hälsningar,",
        "question_subject": "Fråga om faktura {number} från {customer}",
        "question_intro": "{customer} ställde en fråga om faktura {number} på fakturasidan:",
        "question_reply": "Svara till {email}.",
        "question_no_reply": "Ingen e-postadress angavs; kontakta kunden som vanligt.",
        "page_title": "Faktura {number} från {seller}",
        "status_open": "Förfaller {due}",
        "status_overdue": "Förfallen sedan {due}",
        "status_paid": "Betald",
        "status_void": "Makulerad",
        "status_uncollectible": "Obetald",
        "amount_to_pay": "Att betala",
        "download_pdf": "Ladda ner PDF",
        "pdf_pending": "PDF:en förbereds; ladda om sidan om en stund.",
        "how_to_pay": "Så betalar du",
        "pay_online_button": "Betala online",
        "bank_transfer": "Banköverföring",
        "scan_epc": "Skanna med din bankapp för att fylla i betalningen",
        "nothing_to_pay": "Inget återstår att betala på den här fakturan.",
        "question_heading": "En fråga om fakturan?",
        "question_hint": "Är något fel eller oklart? Fråga här så återkommer {seller}.",
        "question_label": "Din fråga",
        "email_label": "Din e-postadress (valfri, för svaret)",
        "send_question": "Skicka frågan",
        "question_thanks": "Tack: din fråga har skickats till {seller}.",
        "billed_to": "Faktureras",
        "from": "Från",
        "lines": "Fakturarader",
        "error_heading": "Kontrollera formuläret",
    },
    "de": {
        "invoice_subject": "Rechnung {number} von {seller}",
        "greeting": "Guten Tag {name},",
        "invoice_intro": "anbei die Rechnung {number} über {amount}, fällig am {due}.",
        "paid_intro": "anbei die Rechnung {number} über {amount}. Sie ist bezahlt: vielen Dank.",
        "attached": "Die Rechnung ist angehängt ({files}).",
        "view_online": "Online ansehen und bezahlen",
        "reference_line": "Geben Sie bei einer Überweisung den Verwendungszweck {reference} an.",
        "direct_debit_line": ("{amount} wird gemäß SEPA-Lastschriftmandat {mandate} frühestens am {due} von Ihrem "
                              "Konto {account} abgebucht: Sie müssen nichts überweisen."),
        "regards": "Mit freundlichen Grüßen",
        "question_subject": "Frage zu Rechnung {number} von {customer}",
        "question_intro": "{customer} hat auf der Rechnungsseite eine Frage zu Rechnung {number} gestellt:",
        "question_reply": "Antworten Sie an {email}.",
        "question_no_reply": "Es wurde keine E-Mail-Adresse angegeben; kontaktieren Sie den Kunden wie gewohnt.",
        "page_title": "Rechnung {number} von {seller}",
        "status_open": "Fällig am {due}",
        "status_overdue": "Überfällig seit {due}",
        "status_paid": "Bezahlt",
        "status_void": "Storniert",
        "status_uncollectible": "Offen",
        "amount_to_pay": "Zu zahlen",
        "download_pdf": "PDF herunterladen",
        "pdf_pending": "Das PDF wird vorbereitet; laden Sie die Seite gleich neu.",
        "how_to_pay": "So bezahlen Sie",
        "pay_online_button": "Online bezahlen",
        "bank_transfer": "Überweisung",
        "scan_epc": "Mit der Banking-App scannen, um die Überweisung auszufüllen",
        "nothing_to_pay": "Auf dieser Rechnung ist nichts mehr zu zahlen.",
        "question_heading": "Eine Frage zu dieser Rechnung?",
        "question_hint": "Ist etwas falsch oder unklar? Fragen Sie hier, {seller} meldet sich bei Ihnen.",
        "question_label": "Ihre Frage",
        "email_label": "Ihre E-Mail-Adresse (optional, für die Antwort)",
        "send_question": "Frage senden",
        "question_thanks": "Danke: Ihre Frage wurde an {seller} gesendet.",
        "billed_to": "Rechnungsempfänger",
        "from": "Von",
        "lines": "Rechnungspositionen",
        "error_heading": "Bitte prüfen Sie das Formular",
    },
}


def words_for(locale: str | None) -> tuple[str, dict[str, str]]:
    """(language, words) for a customer's locale."""
    language = resolve_locale(locale).language
    return (language, WORDS[language]) if language in WORDS else ("en", WORDS["en"])


ENV = Environment(
    loader=PackageLoader("invoicing.documents", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=True, default=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
