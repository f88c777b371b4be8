"""How fast the invoice PDF renders: `python -m bench.pdf_render [--runs N] [--rows N]`.

Two documents, both built through the domain like production invoices (tests/unit/documents/samples):
a 1-page Swedish invoice and a 6-page one (a long list of metering lines). For each it measures

- steady state: the median (and min) wall time of N renders after warm-up, in one process, for
  "naive" WeasyPrint (`weasyprint.HTML(string=html).write_pdf(stylesheets=[CSS(string=css)])`, a
  fresh stylesheet, font configuration and default URL fetcher every time, the same HTML) and for
  our renderer (`invoicing.documents.pdf.html_to_pdf`: WeasyPrint's public API with one font
  configuration, the parsed stylesheet and the data:-only URL fetcher kept per process);
- the output quality the two give: same pages, same extracted text, same pixels (pdftoppm);
- a fresh process (a Lambda cold start): importing the renderer, `warm_up()`, the first render;
- memory: the Python heap's peak during one render (tracemalloc) and the process's peak RSS;
- the document function's import time (functions/documents/app.py, with dummy settings).

Prints a Markdown table (as recorded in bench/README.md). No network, no AWS: the app import uses
dummy environment variables and builds its clients without calling them.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT / "layers" / "invoicing", ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

ROWS_6P = 150  # metering lines that fill six A4 pages
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "invoicing"), str(ROOT)])}


def _sample(kind: str, rows: int) -> str:
    from invoicing.documents.pdf import render_invoice_html
    from tests.unit.documents import samples

    return render_invoice_html(samples.swedish_invoice() if kind == "1 page" else samples.long_invoice(rows))


def documents(rows: int) -> dict[str, str]:
    return {kind: _sample(kind, rows) for kind in ("1 page", "6 pages")}


_CUSTOMERS = [
    ("Lindqvist & Söner Bygg AB", "Kungsgatan", "411 19", "Göteborg"),
    ("Berg Fastigheter AB", "Storgatan", "252 21", "Helsingborg"),
    ("Åkesson Revision KB", "Drottninggatan", "111 51", "Stockholm"),
    ("Nyström Logistik AB", "Hamngatan", "211 22", "Malmö"),
    ("Ekberg Design & Kommunikation", "Västra Ågatan", "753 09", "Uppsala"),
    ("Sundqvist Elteknik AB", "Industrivägen", "901 30", "Umeå"),
    ("Holm Tandvård AB", "Östra Storgatan", "553 21", "Jönköping"),
]
_LINES = [
    "Analysplattform – Team", "Konsulttimmar, dataintegration", "Utbildning, halvdag", "Support Premium",
    "Extra lagring 500 GB", "Datamigrering, fast pris", "API-anrop (nutzungsbasiert)", "Workshop: rapportering",
]


def _some_discount(rng: random.Random) -> tuple[object, ...]:
    """A line discount on about a third of the lines."""
    from decimal import Decimal

    from invoicing.domain.totals import Discount

    if rng.random() < 0.3:
        return (Discount(description="Ramavtal", percent_off=Decimal(rng.choice([5, 10]))),)
    return ()


def distinct_documents(kind: str, count: int, rows: int) -> list[str]:
    """`count` different invoices of the same seller, as a container meets them one after the other:
    each has its own number, customer, lines, quantities and amounts (seeded, so runs compare). The
    first is the one `documents()` shows. Both renderers are timed on documents they have not seen."""
    from invoicing.documents.pdf import render_invoice_html
    from invoicing.domain.party import Address
    from tests.unit.documents import samples

    out = [_sample(kind, rows)]
    rng = random.Random(f"{kind}-{count}-{rows}")
    for i in range(1, count):
        name, street, postal_code, city = _CUSTOMERS[i % len(_CUSTOMERS)]
        customer = samples.swedish_customer(
            id=f"cus_{i}", name=name, email=f"faktura{i}@kund.example",
            address=Address(line1=f"{street} {rng.randint(1, 120)}", city=city, postal_code=postal_code, country="SE"))
        if kind == "1 page":
            lines = [samples.line(description, str(rng.choice([1, 2, 3, 5, 8, 12, 40])),
                                  str(rng.randint(500, 250000)), n,
                                  discounts=_some_discount(rng))
                     for n, description in enumerate(rng.sample(_LINES, rng.randint(2, 4)), start=1)]
        else:
            lines = [samples.line(f"Mätpunkt {n:02d} – datainsamling och lagring", str(rng.randint(1, 31)),
                                  str(rng.randint(900, 2500)), n) for n in range(1, rows + 1)]
        invoice = samples.finalized(lines, customer=customer, number=f"INV-{1000 + i:06d}",
                                    buyer_reference=f"Ref {rng.randint(100, 999)}",
                                    purchase_order=f"PO-2026-{rng.randint(100, 999)}")
        out.append(render_invoice_html(invoice))
    return out


def naive_render(html: str) -> bytes:
    """What a first implementation does: everything fresh, every time."""
    import weasyprint

    from invoicing.documents.pdf.engine import STYLESHEET

    return weasyprint.HTML(string=html).write_pdf(stylesheets=[weasyprint.CSS(string=STYLESHEET)])


def our_render(html: str) -> bytes:
    from invoicing.documents.pdf import html_to_pdf

    return html_to_pdf(html)


def timed(renderers: list[Callable[[str], bytes]], htmls: list[str], warmup: int = 2) -> list[list[float]]:
    """One render of each document by each renderer, after `warmup` documents, in order; the
    renderers take turns on each document, so both meet the same moments of a noisy machine, and
    each starts on a collected heap (the garbage collector still runs during the render).
    Milliseconds per render, a list per renderer."""
    for html in htmls[:warmup]:
        for render in renderers:
            render(html)
    samples: list[list[float]] = [[] for _ in renderers]
    for html in htmls[warmup:]:
        for render, times in zip(renderers, samples, strict=True):
            gc.collect()  # not timed: no render pays for collecting the other's garbage
            start = time.perf_counter()
            render(html)
            times.append((time.perf_counter() - start) * 1000)
    return samples


def heap_peak_mb(render: Callable[[str], bytes], html: str) -> float:
    render(html)
    tracemalloc.start()
    render(html)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def pdf_facts(pdf: bytes) -> tuple[int, str]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def same_pixels(a: bytes, b: bytes, dpi: int = 60) -> bool | None:
    """Whether two PDFs rasterise to identical pages (None without pdftoppm/Pillow)."""
    if shutil.which("pdftoppm") is None:
        return None
    try:
        from PIL import Image, ImageChops
    except ImportError:
        return None
    with tempfile.TemporaryDirectory() as folder:
        pages = []
        for name, pdf in (("a", a), ("b", b)):
            Path(folder, f"{name}.pdf").write_bytes(pdf)
            subprocess.run(["pdftoppm", "-r", str(dpi), "-png", f"{folder}/{name}.pdf", f"{folder}/{name}"],
                           check=True)
            pages.append(sorted(Path(folder).glob(f"{name}-*.png")))
        if len(pages[0]) != len(pages[1]):
            return False
        for page_a, page_b in zip(*pages, strict=True):
            with Image.open(page_a) as image_a, Image.open(page_b) as image_b:
                if ImageChops.difference(image_a.convert("RGB"), image_b.convert("RGB")).getbbox() is not None:
                    return False
    return True


_COLD = """
import json, resource, sys, time
t0 = time.perf_counter()
import invoicing.documents.pdf as pdf
t1 = time.perf_counter()
from bench.pdf_render import documents
html = documents({rows})[{document!r}]
warm = {warm}
t2 = time.perf_counter()
if warm:
    pdf.warm_up()
t3 = time.perf_counter()
pdf.html_to_pdf(html)
t4 = time.perf_counter()
pdf.html_to_pdf(html)
t5 = time.perf_counter()
print(json.dumps({{"import_ms": (t1 - t0) * 1000, "warm_up_ms": (t3 - t2) * 1000, "first_ms": (t4 - t3) * 1000,
                  "second_ms": (t5 - t4) * 1000,
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

_APP_IMPORT = """
import json, sys, time, importlib.util
t0 = time.perf_counter()
spec = importlib.util.spec_from_file_location("document_app", {path!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
t1 = time.perf_counter()
print(json.dumps({{"app_import_ms": (t1 - t0) * 1000, "weasyprint_loaded": "weasyprint" in sys.modules}}))
"""


def fresh_process(code: str, extra_env: dict[str, str] | None = None) -> dict[str, object]:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                            env={**ENV, **(extra_env or {})}, timeout=300)
    if result.returncode != 0:
        return {"error": (result.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(result.stdout.strip().splitlines()[-1])


def cold(document: str, rows: int, warm: bool, repeat: int = 3) -> dict[str, float]:
    """The median of a few fresh processes, each field separately."""
    results = [fresh_process(_COLD.format(rows=rows, document=document, warm=warm)) for _ in range(repeat)]
    if any("error" in r for r in results):
        raise RuntimeError(results)
    return {key: statistics.median(float(r[key]) for r in results) for key in results[0]}  # type: ignore[arg-type]


def app_import() -> dict[str, object]:
    app = ROOT / "functions" / "documents" / "app.py"
    env = {"AWS_DEFAULT_REGION": "eu-north-1", "TABLE_NAME": "bench", "DOCUMENTS_BUCKET": "bench",
           "POWERTOOLS_SERVICE_NAME": "bench", "POWERTOOLS_METRICS_NAMESPACE": "bench",
           "POWERTOOLS_TRACE_DISABLED": "true", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
    runs = [fresh_process(_APP_IMPORT.format(path=str(app)), env) for _ in range(3)]
    if any("error" in r for r in runs):
        return runs[0]
    return {"app_import_ms": statistics.median(float(r["app_import_ms"]) for r in runs),  # type: ignore[arg-type]
            "weasyprint_loaded": runs[0]["weasyprint_loaded"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed renders (distinct documents) per renderer")
    parser.add_argument("--rows", type=int, default=ROWS_6P, help="lines of the long invoice")
    parser.add_argument("--skip-cold", action="store_true", help="skip the fresh-process measurements")
    args = parser.parse_args(argv)

    docs = documents(args.rows)
    print(f"# PDF rendering, {date.today()}, {platform.node()}: {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, WeasyPrint {__import__('weasyprint').__version__}\n")
    print("| document | pages | naive median (min) ms | ours median (min) ms | speed-up | same text | same pixels "
          "| heap peak naive / ours MB |")
    print("|---|---|---|---|---|---|---|---|")
    for name, html in docs.items():
        naive_pdf, ours_pdf = naive_render(html), our_render(html)
        (naive_pages, naive_text), (our_pages, our_text) = pdf_facts(naive_pdf), pdf_facts(ours_pdf)
        # Documents neither renderer has seen yet (the first two warm up), the same ones for both.
        series = distinct_documents(name, args.runs + 3, args.rows)[1:]
        naive, ours = timed([naive_render, our_render], series)
        speedup = statistics.median(naive) / statistics.median(ours)
        print(f"| {name} | {our_pages} | {statistics.median(naive):.0f} ({min(naive):.0f}) "
              f"| {statistics.median(ours):.0f} ({min(ours):.0f}) | {speedup:.1f}x "
              f"| {'yes' if naive_text == our_text and naive_pages == our_pages else 'NO'} "
              f"| {same_pixels(naive_pdf, ours_pdf)} "
              f"| {heap_peak_mb(naive_render, html):.1f} / {heap_peak_mb(our_render, html):.1f} |", flush=True)

    if args.skip_cold:
        return 0
    print("\nFresh process (median of 3):\n")
    print("| document | import renderer ms | warm_up() ms | first render ms | second render ms | peak RSS MB |")
    print("|---|---|---|---|---|---|")
    for name in docs:
        for warm in (False, True):
            r = cold(name, args.rows, warm)
            label = f"{name}, {'after warm_up()' if warm else 'no warm-up'}"
            print(f"| {label} | {r['import_ms']:.0f} | {r['warm_up_ms']:.0f} | {r['first_ms']:.0f} "
                  f"| {r['second_ms']:.0f} | {r['maxrss_mb']:.0f} |", flush=True)
    print(f"\nDocument function import (functions/documents/app.py, median of 3): {app_import()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
