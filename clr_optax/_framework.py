"""Imported first by `clr_optax`: where JAX or optax is missing, the error names the extra that brings them."""

from clr_core.extend import require_framework

require_framework("clr_optax", "JAX and optax", "jax", "optax", extra="jax")
