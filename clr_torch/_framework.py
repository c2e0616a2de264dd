"""Imported first by `clr_torch`: where PyTorch is missing, the error names the extra that brings it."""

from clr_core.extend import require_framework

require_framework("clr_torch", "PyTorch", "torch", extra="torch")
