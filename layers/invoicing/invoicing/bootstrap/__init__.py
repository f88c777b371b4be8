"""Composition roots: one module per function builds that function's adapters once per container
and hands them to the use cases. A function imports only its own module, so its cold start pays
only for what it uses (the authorizer never imports the invoice domain)."""
