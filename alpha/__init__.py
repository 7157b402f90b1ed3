"""Alpha: a small runtime for parallel, evidence-checked investigator agents."""
