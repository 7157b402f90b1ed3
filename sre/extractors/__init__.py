"""Signal extraction: deterministic facts from logs, metrics, commits and config.

`extract_signals(incident)` (in `sre.extractors.signal_extractor`) runs every extractor and numbers
the signals `sig_001`, `sig_002`, ... in a stable order (logs, metrics, config, commits).
Each extractor returns `Finding`s (a signal without its id) whose value is the Pydantic
model of its signal type; the models in `sre.signals.values` are the contract between the
extractors and the agents' rules, documented there field by field, and each numbered signal
is the typed class of `sre.signals.kinds` (`alpha investigate --json` prints the values as
plain JSON objects).

Logs (`source="logs"`, built by `sre.extractors.logs.extract_logs`; counts are of records:
a line plus its stack-trace continuation lines)
    log_template       one per significant template (new after the deploy, rate jumped or
                       dropped, or without a baseline a frequent error/warning), at most 15
    exception          one per exception type seen after the deploy, at most 10
    dependency_errors  one per downstream host that error/warning lines point at, at most 10
    log_volume         one overall: records and errors per window, and the split used
    The windows: "before"/"after" are split at deployed_at when the log begins before it,
    else at incident_started_at when the log begins before that; otherwise there is no
    baseline and everything counts as after.

Metrics (`source="metrics"`)
    metric_anomaly     a significant level shift (baseline and current medians, robust z)
    metric_saturation  a series at its limit (a config key's value, or 100 % for percentages)
    metric_growth      steady growth (a leak, a filling disk)
    metric_value       a notable value with no baseline (an error-like metric above zero)

Config (`source="config"`)
    config_change      a key that differs from the previous snapshot, with the recent commits
                       whose patches touch it (rule in `sre.extractors.config`)
    config_risk        a risky value (tiny pool, tiny timeout, debug on, flag newly on, ...)

Commits (`source="commits"`)
    commit             one per recent commit: files by kind, timing, stack-frame files,
                       config keys it touches, risky changes in its patches (kinds in
                       `sre.extractors.patterns`), logging-only and formatting-only flags
"""
