"""Signal extraction: deterministic facts from logs, metrics, commits and config.

`extract_signals(incident)` (in `sre.extractors.signal_extractor`) runs every extractor and numbers
the signals `sig_001`, `sig_002`, ... in a stable order (logs, metrics, config, commits).
Each extractor returns `Finding`s (a signal without its id). The `value` of each signal
type is a JSON-serialisable dict with the keys below; agents' rules read these keys, so
they are a contract inside the SRE vertical.

Logs (`source="logs"`)  (built by `sre.extractors.logs.extract_logs`; counts are of
records: a line plus its stack-trace continuation lines)
    log_template       one per significant template (new after the deploy, rate jumped or
                       dropped, or without a baseline a frequent error/warning), at most 15:
                       template, level, count_before, count_after, rate_before, rate_after
                       (lines per minute, None when the window length is unknown),
                       rate_ratio (None when not computable), is_new (seen only after
                       deployed_at), reason (new | rate_jump | rate_drop | frequent), score
                       (Poisson significance x level weight, for ranking), example (one raw
                       line), first_seen (ISO time or None), exception_types [str],
                       status_codes [int], hosts [str], files [str] (stack-frame files
                       seen with this template)
    exception          one per exception type seen after the deploy (at most 10):
                       exception_type, message (an example), count_before, count_after,
                       is_new, frames [{file, raw_file, line, function}] (application frames
                       first, at most 10; `file` is a repo-relative guess, match by suffix),
                       files [str]
    dependency_errors  one per downstream host that error/warning lines point at (at most
                       10): host (`name:port` when the line gives a port), count_before,
                       count_after, error_kinds [timeout | connection_refused | http_5xx |
                       tls | dns | auth | reset], status_codes [int], example
    log_volume         one overall: lines_before, lines_after, errors_before,
                       errors_after, error_share_before, error_share_after, split_at (ISO
                       time separating the windows, None without a baseline), split_by
                       (deployed_at | incident_started_at | None)
    The windows: "before"/"after" are split at deployed_at when the log begins before it,
    else at incident_started_at when the log begins before that; otherwise there is no
    baseline and everything counts as after.

Metrics (`source="metrics"`)
    metric_anomaly     metric, unit, baseline (median), current (median), ratio
                       (current/baseline, None if baseline is 0), delta, direction
                       (up | down), robust_z, change_index (index in the series where the
                       level shifted, or None), change_at (ISO time or None),
                       split_given (True when the split came from the payload's windows
                       or deployed_at, False for a detected change point)
    metric_saturation  metric, current (max of the current window), limit, limit_key
                       (dotted config key, or None for percentages), utilization (0..1+),
                       statistic; percentages near 100 % are saturation in every form,
                       current-only values included
    metric_growth      metric, unit, first, last, peak, slope (per point),
                       monotonic_share, spearman (rank correlation with time)
    metric_value       metric, unit, current: a value with no baseline that is still
                       notable (an error-like metric above zero)

Config (`source="config"`)
    config_change      key (dotted), old, new, change (modified | added | removed),
                       ratio (new/old for numbers, else None), commit_shas [str]
                       (recent commits whose patches touch this key; rule in
                       `sre.extractors.config`)
    config_risk        key, value, reason (tiny pool, tiny timeout, debug on, flag newly
                       on, ...; reasons joined by "; "), reasons [str], changed (True when
                       the key is in the diff; without a previous snapshot every key is
                       judged and changed is False)

Commits (`source="commits"`)
    commit             one per recent commit: sha, message, author, timestamp,
                       minutes_before_deploy, minutes_before_incident (None when unknown),
                       file_kinds {code, config, migration, dependency, docs_tests, other:
                       [filenames]}, additions, deletions, files_in_stack_frames
                       [filenames], config_keys [dotted keys from the config diff that its
                       patches touch], risky_changes [{file, kind, detail}] (kinds in
                       `sre.extractors.patterns`),
                       observability_only (True when every code patch only changes logging,
                       tracing or metrics lines; False when unknown),
                       style_only (True when the message announces a formatter/linter change,
                       its other files are only linter settings, docs or tests, and every
                       code patch given re-lays out the same text)
"""
