"""A face whose framework is missing says which extra to install (issue 27), in a fresh interpreter."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BLOCK = "import sys\nfor name in {names!r}:\n    sys.modules[name] = None\n"


@pytest.mark.parametrize(("face", "blocked", "message"), [
    ("clr_torch", ("torch",), 'clr_torch needs PyTorch (torch is not installed): pip install "clr-cyclical[torch]"'),
    ("clr_keras", ("keras",), 'clr_keras needs Keras 3 (keras is not installed): pip install "clr-cyclical[keras]"'),
    ("clr_optax", ("optax",),
     'clr_optax needs JAX and optax (optax is not installed): pip install "clr-cyclical[jax]"'),
    ("clr_optax", ("jax", "optax"),
     'clr_optax needs JAX and optax (jax is not installed): pip install "clr-cyclical[jax]"'),
])
def test_a_missing_framework_names_its_extra(face, blocked, message):
    code = BLOCK.format(names=blocked) + f"try:\n    import {face}\nexcept ImportError as error:\n    print(error)\n"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == message
