"""The SRE vertical: signals, specialist agents, integrations and the `alpha` command line."""
