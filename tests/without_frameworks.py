"""A pytest plugin for ``make test-core``: the frameworks cannot be imported, as where only clr_core is installed.

Loaded with ``-p tests.without_frameworks`` before any test module, it marks each framework missing in
`sys.modules`: a test that needs one skips (``pytest.importorskip``), and any other import of one fails.
So the core's loop stays fast and proves the core and its compositions run without them.
"""

import sys

FRAMEWORKS = ("torch", "tensorflow", "keras", "jax", "optax")

for name in FRAMEWORKS:
    sys.modules[name] = None  # then ``import name`` raises ImportError
