"""The log pipeline: raw lines in, `log_*` findings out.

parse.py         line-format primitives (timestamps, levels, JSON/logfmt, continuations)
shapes.py        shape-caching line parser and record grouping
owntext.py       a cached line's own message and fields
templates.py     masking and template mining
trace.py         exceptions and stack frames
deps.py          the hosts, statuses and error kinds errors point at
stats.py         streaming per-template, per-exception and per-host counts
significance.py  whether a template's change between the windows is significant
extract.py       `extract_logs`: the pipeline, from lines to findings
"""
