"""An independent reference: DESIGN.md's formula evaluated exactly, with fractions and decimals.

It shares no code with `clr_core`: it follows the paper's lines literally (floor, abs, max) on exact
rationals, so a rounding or overflow problem in the library cannot hide in it.
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext
from fractions import Fraction

#: Past this many halvings the triangular2 term, at most 2**1024 * 2**-2200 = 2**-1176 for any float amplitude,
#: lies below half the smallest subnormal (2**-1075) and so below half an ulp of any base_lr: the float of the
#: exact sum is float(base_lr), as with the factor 0. (The exact 2**-(s-1) at s = 10**9 takes 12 s per value.)
NEGLIGIBLE_HALVINGS = 2200


def exact_scale(mode: str, s: Fraction, gamma: float) -> Fraction | Decimal:
    if mode == "triangular":
        return Fraction(1)
    if mode == "triangular2":
        if int(s) - 1 > NEGLIGIBLE_HALVINGS:
            return Fraction(0)
        return Fraction(1, 2 ** (int(s) - 1))
    with localcontext() as context:
        context.prec = 60
        return Decimal(gamma) ** Decimal(int(s)) if s.denominator == 1 else Decimal(
            math.exp(float(s) * math.log(gamma)))


def reference_lr(i: float, base_lr: float, max_lr: float, step_size: float, mode: str = "triangular",
                 gamma: float = 1.0, scale_fn=None, scale_mode: str = "cycle") -> float:
    """The paper's formula, exact: cycle = floor(1 + i/(2s)), x = |i/s - 2 cycle + 1|, max(0, 1 - x)."""
    i_, s_ = Fraction(i), Fraction(step_size)
    cycle = math.floor(1 + i_ / (2 * s_))
    x = abs(i_ / s_ - 2 * cycle + 1)
    height = max(Fraction(0), 1 - x)
    if scale_fn is not None:
        factor = Fraction(scale_fn(float(cycle) if scale_mode == "cycle" else float(i)))
    else:
        s = Fraction(cycle) if mode in ("triangular", "triangular2") else i_
        factor = exact_scale(mode, s, gamma)
    if isinstance(factor, Decimal):
        with localcontext() as context:
            context.prec = 60
            amplitude = (Decimal(max_lr) - Decimal(base_lr)) * Decimal(height.numerator) / Decimal(
                height.denominator)
            return float(Decimal(base_lr) + amplitude * factor)
    return float(Fraction(base_lr) + (Fraction(max_lr) - Fraction(base_lr)) * height * factor)
