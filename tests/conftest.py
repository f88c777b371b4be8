"""Hypothesis profiles: CI explores a fixed set of examples (a red build always reproduces);
developers get fresh random examples on every run."""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
