"""The local runtime: the template's functions, API, queues and schedules on one machine (see stack.py).

On Lambda the shared `invoicing` package arrives as a layer on the import path; locally that layer's
folder is put on `sys.path` here, so that `python -m local.dev` and the tests import it the same way.
"""

import sys
from pathlib import Path

_LAYER = Path(__file__).resolve().parent.parent / "layers" / "invoicing"
if str(_LAYER) not in sys.path:
    sys.path.insert(0, str(_LAYER))
