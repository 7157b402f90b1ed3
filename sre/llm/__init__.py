"""LLM reasoning mode for the SRE agents: bounded, redacted, fenced prompts and safe fallback."""
