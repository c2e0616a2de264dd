"""Imported first by `clr_keras`: where Keras is missing, the error names the extra that brings it."""

from clr_core.extend import require_framework

require_framework("clr_keras", "Keras 3", "keras", extra="keras")
