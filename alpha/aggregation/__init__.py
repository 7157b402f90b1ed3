"""Merging and ranking of judged hypotheses (`alpha.aggregation.aggregator`)."""
