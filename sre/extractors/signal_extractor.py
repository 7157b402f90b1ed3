"""The extraction pipeline: every extractor, in a fixed order, numbered `sig_001`...

Order: logs, metrics, config, commits. Commits come last because they read the stack-frame
files found in the logs and the config diff. Pure and deterministic: the same payload gives
the same signals with the same ids, whatever the order of keys in its objects.
"""

from __future__ import annotations

from dataclasses import dataclass

from alpha.schemas import IncidentInput, Signal
from sre.extractors.commits import extract_commits
from sre.extractors.config import ConfigChange, extract_config
from sre.extractors.finding import number_findings
from sre.extractors.logs.extract import LogExtraction, extract_logs
from sre.extractors.metrics import extract_metrics
from sre.extractors.window import investigation_window
from sre.signals import SreSignal


@dataclass(frozen=True)
class Evidence:
    """The numbered signals plus the intermediate data agents may want.

    Attributes:
        signals: every signal, ids `sig_001`... in pipeline order.
        logs: the log extractor's output (stack-frame files and dependency hosts).
        config_changes: the diff against the previous config snapshot (sorted by key).
        commit_shas_by_key: changed config keys mapped to the commits that change them.
    """

    signals: list[SreSignal]
    logs: LogExtraction
    config_changes: list[ConfigChange]
    commit_shas_by_key: dict[str, list[str]]


def extract_evidence(incident: IncidentInput) -> Evidence:
    """Run every extractor over the incident and number the findings."""
    window = investigation_window(incident)
    logs = extract_logs(incident, window)
    metrics = extract_metrics(incident, window)
    config = extract_config(incident)
    commits = extract_commits(incident, logs.frame_files, config.commit_shas)
    signals = number_findings([*logs.findings, *metrics, *config.findings, *commits])
    return Evidence(
        signals=signals,
        logs=logs,
        config_changes=config.changes,
        commit_shas_by_key=config.commit_shas,
    )


def extract_signals(incident: IncidentInput) -> list[Signal]:
    """The incident's signals, ids `sig_001`... in a stable order."""
    signals: list[Signal] = list(extract_evidence(incident).signals)
    return signals
