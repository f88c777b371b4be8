"""EN 16931 e-invoices: UBL 2.1 and UN/CEFACT CII (Factur-X) documents.

`validation` checks a document against the official rules (the XSD of its syntax, then the CEN /
Factur-X schematron). It is imported explicitly, never from here: it pulls lxml and, when it
runs, saxonche, which only the code paths that validate should pay for at cold start.
"""
