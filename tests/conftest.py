"""Hypothesis profiles: CI explores a fixed set of examples (a red build always reproduces);
developers get fresh random examples on every run. Neither fails a test because generating its
examples was slow (`too_slow`) or one example took long (`deadline`): on a shared 2-core machine
that measures the machine's load, not the code; the properties are what is tested."""

import os

from hypothesis import HealthCheck, settings

_LOAD_TOLERANT = {"suppress_health_check": [HealthCheck.too_slow], "deadline": None}
settings.register_profile("ci", derandomize=True, print_blob=True, **_LOAD_TOLERANT)
settings.register_profile("dev", print_blob=True, **_LOAD_TOLERANT)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
