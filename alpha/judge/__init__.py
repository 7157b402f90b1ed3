"""The deterministic judge (`alpha.judge.judge`)."""
