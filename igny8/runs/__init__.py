"""Operation runs: the engine's parts (igny8.ai.engine names the entry points)."""
