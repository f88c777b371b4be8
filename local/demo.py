"""`make demo`: the whole flow a new user would try, through the HTTP API of the local stack.

Starts moto's server and the API emulator from template.yaml, sets up a branded seller,
bills customers in four situations (Swedish VAT, German reverse charge, US business services outside
the scope of EU VAT, goods exported to Japan in JPY), finalizes through the API, waits for the PDFs,
copies them to ./out/ and prints what happened; then gets paid (local/demo_payments.py): card
webhooks, a bank statement, dunning over 60 days of a test clock.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import urllib.request
import warnings
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from local.client import ApiClient, bootstrap_account
from local.demo_billing import live_three_months
from local.demo_payments import run_payments
from local.samples import DEMO_ACCOUNT, DEMO_CUSTOMERS
from local.stack import LocalRuntime

ROOT = Path(__file__).resolve().parent.parent


def _money(amount: int, currency: str, locale: str) -> str:
    from invoicing.documents.formatting import format_money

    return format_money(amount, currency, locale).replace("\u00a0", " ")


def download(api: ApiClient, stack: LocalRuntime, path: str, target: Path) -> Path:
    link = api.get(path)
    if not link.get("url"):
        stack.drain(timeout=60)
        link = api.get(path)
    with urllib.request.urlopen(link["url"], timeout=30) as response, target.open("wb") as f:  # noqa: S310 (local)
        shutil.copyfileobj(response, f)
    return target


def einvoice_verdict(ubl: Path, pdf: Path) -> str:
    """Both e-invoices checked with the XSDs and the official CEN EN 16931 rules."""
    from invoicing.documents.einvoice.validation import validate, xml_from_pdf

    def mark(xml: bytes) -> str:
        report = validate(xml)
        return "valid" if report.ok else f"{len(report.fatal) + len(report.xsd_errors)} errors"

    return f"UBL {mark(ubl.read_bytes())}\nCII {mark(xml_from_pdf(pdf.read_bytes()))}"


def run(out_dir: Path) -> int:
    # The demo shows its own progress: the functions' CloudWatch metric lines would only interleave.
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    console = Console(width=max(Console().width, 150))
    out_dir.mkdir(parents=True, exist_ok=True)
    steps = 2 + 3 * len(DEMO_CUSTOMERS) + 2
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                        TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(), console=console)
    rows = []
    with progress:
        task = progress.add_task("Starting the local stack (moto server, API emulator)", total=steps)
        # Every invoice email is also written to out/mail/ as an .eml file (the template's MailCopyDir).
        parameters = {"LogLevel": "WARNING", "MailCopyDir": str((out_dir / "mail").resolve())}
        with LocalRuntime(template=ROOT / "template.yaml", api_port=0, parameters=parameters) as stack:
            progress.advance(task)
            progress.update(task, description="Creating the seller account and an API key")
            api_key = bootstrap_account(stack, DEMO_ACCOUNT["name"])
            api = ApiClient(stack.api_url, api_key)
            api.post("/account", DEMO_ACCOUNT)
            progress.advance(task)
            invoices = []
            for sample in DEMO_CUSTOMERS:
                progress.update(task, description=f"Customer {sample['customer']['name']}")
                customer = api.post("/customers", sample["customer"])
                progress.advance(task)
                draft = api.post("/invoices", {"customer": customer["id"], **sample["invoice"]})
                progress.advance(task)
                progress.update(task, description=f"Finalizing the invoice for {customer['name']}")
                invoice = api.post(f"/invoices/{draft['id']}/finalize", {})
                invoices.append((sample, customer, invoice))
                progress.advance(task)
            progress.update(task, description="Rendering PDFs (document function via SQS) and emailing them")
            stack.drain(timeout=120)
            progress.advance(task)
            progress.update(task, description="Downloading PDFs and e-invoices, checking them by the CEN rules")
            for sample, customer, invoice in invoices:
                stem = out_dir / f"{invoice['number']}-{sample['slug']}"
                target = download(api, stack, f"/invoices/{invoice['id']}/pdf", stem.with_suffix(".pdf"))
                ubl = download(api, stack, f"/invoices/{invoice['id']}/einvoice?format=ubl",
                               stem.with_name(stem.name + "-ubl.xml"))
                rows.append((sample, customer, invoice, target, einvoice_verdict(ubl, target)))
            progress.advance(task)
            live_three_months(api, stack, out_dir / "billing", progress)
            run_payments(stack, api, progress)

    table = Table(title="What happened", show_lines=False)
    for column in ("Customer", "Situation", "Invoice", "Tax", "Total", "Files in the output folder", "EN 16931"):
        table.add_column(column, overflow="fold")
    for sample, customer, invoice, target, verdict in rows:
        tax = ", ".join(f"{g['category']} {g['percent']} %" for g in invoice["tax_breakdown"])
        table.add_row(customer["name"], sample["situation"], invoice["number"], tax,
                      _money(invoice["total"], invoice["currency"], customer["locale"]),
                      f"{target.name}\n{target.stem}-ubl.xml", verdict)
    console.print(table)
    mails = sorted((out_dir / "mail").glob("*.eml"))
    console.print(f"[green]Done.[/green] {len(rows)} invoices in {out_dir}: PDFs (Factur-X, CII inside) and UBL XML; "
                  f"{len(mails)} emails in {out_dir / 'mail'} (.eml files, each with its hosted page's link).  "
                  "Try `make dev` for the API with Swagger UI.")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path.cwd() / "out")
    args = parser.parse_args()
    sys.exit(run(args.out))


if __name__ == "__main__":
    main()
