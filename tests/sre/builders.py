"""Hand-built incidents and signals shared by the SRE tests.

The builders make typed signals (`sre.signals`) whose values are validated by their
models, so the agent tests do not depend on the extractors. They are
plain functions and classes (not fixtures) because `parametrize` arguments and Hypothesis
strategies need them when the tests are collected.
"""

from __future__ import annotations

from typing import Any

from alpha.schemas import IncidentInput, RankedHypothesis, Signal
from sre.signals import (
    CommitSignal,
    ConfigChangeSignal,
    ConfigRiskSignal,
    DependencyErrorsSignal,
    EntityLogsSignal,
    ExceptionSignal,
    LogTemplateSignal,
    LogVolumeSignal,
    MetricAnomalySignal,
    MetricGrowthSignal,
    MetricSaturationSignal,
    SignatureSignal,
    SreSignal,
    signal_class,
    signal_type,
)
from sre.signals.values import (
    CommitValue,
    ConfigChangeValue,
    ConfigRiskValue,
    DependencyErrorsValue,
    EntityLogsValue,
    ExceptionValue,
    FileKinds,
    LogTemplateValue,
    LogVolumeValue,
    MetricAnomalyValue,
    MetricGrowthValue,
    MetricSaturationValue,
    RiskyChangeValue,
    SignalValue,
    SignatureValue,
)

DEPLOYED = "2026-11-20T14:02:00Z"
SHA_BAD = "9f3c2ab71d0e4c55a8b1f0e2d3c4b5a697887766"
SHA_DOCS = "15acca9c0e7d1f2a3b4c5d6e7f8091a2b3c4d5e6"
SHA_DEP = "99568e82aa11bb22cc33dd44ee55ff6677889900"
SHA_OTHER = "4ed54da7aa11bb22cc33dd44ee55ff6677889911"
SHA_CONFIG = "4be1f0c9aa11bb22cc33dd44ee55ff6677889922"


# --------------------------------------------------------------------------- builders


def incident(**overrides: Any) -> IncidentInput:
    """A minimal valid incident (deployed at 14:02, trouble from 14:03)."""
    data: dict[str, Any] = {
        "deployment_id": "deploy-xyz",
        "logs": [],
        "metrics": {},
        "recent_commits": [],
        "config_snapshot": {},
        "service": "checkout-api",
        "deployed_at": DEPLOYED,
        "incident_started_at": "2026-11-20T14:03:00Z",
    }
    data.update(overrides)
    return IncidentInput.model_validate(data)


def ranked(
    label: str, category: str, suspects: list[str], score: float, **extra: Any
) -> RankedHypothesis:
    """A ranked hypothesis as the aggregator would return it."""
    data: dict[str, Any] = {
        "label": label,
        "confidence": score,
        "category": category,
        "suspects": suspects,
        "score": score,
        "rank": 1,
        "contributing_agents": ["LogAgent"],
        "supporting_signals": [],
    }
    data.update(extra)
    return RankedHypothesis(**data)


class Signals:
    """Numbers hand-built typed signals sig_001, sig_002, ... in the order they are added.

    Each builder takes the value's fields as keywords over sensible defaults; the value
    model (`sre.signals.values`) validates them, so a builder cannot make a signal that
    breaks the contract.
    """

    def __init__(self) -> None:
        self.items: list[Signal] = []

    def add(self, value: SignalValue) -> SreSignal:
        """Number a typed value as the next signal of its type."""
        cls = signal_class(value)
        signal = cls.model_validate(
            {
                "id": f"sig_{len(self.items) + 1:03d}",
                "description": f"{signal_type(value)} test signal",
                "value": value,
            }
        )
        self.items.append(signal)
        return signal

    def template(self, template: str, **value: Any) -> LogTemplateSignal:
        base: dict[str, Any] = {
            "template": template,
            "level": "ERROR",
            "count_before": 0,
            "count_after": 40,
            "rate_before": 0.0,
            "rate_after": 2.0,
            "rate_ratio": None,
            "is_new": True,
            "reason": "new",
            "score": 100.0,
            "example": template,
            "first_seen": "2026-11-20T14:03:11Z",
            "exception_types": [],
            "status_codes": [],
            "hosts": [],
            "files": [],
        }
        base.update(value)
        signal = self.add(LogTemplateValue.model_validate(base))
        assert isinstance(signal, LogTemplateSignal)
        return signal

    def exception(
        self, exception_type: str, message: str, files: list[str], **value: Any
    ) -> ExceptionSignal:
        base: dict[str, Any] = {
            "exception_type": exception_type,
            "message": message,
            "count_before": 0,
            "count_after": 40,
            "is_new": True,
            "frames": [{"file": f, "raw_file": f, "line": 10, "function": "f"} for f in files],
            "files": files,
        }
        base.update(value)
        signal = self.add(ExceptionValue.model_validate(base))
        assert isinstance(signal, ExceptionSignal)
        return signal

    def dependency(self, host: str, kinds: list[str], **value: Any) -> DependencyErrorsSignal:
        base: dict[str, Any] = {
            "host": host,
            "count_before": 0,
            "count_after": 35,
            "error_kinds": kinds,
            "status_codes": [],
            "example": f"call to {host} failed",
        }
        base.update(value)
        signal = self.add(DependencyErrorsValue.model_validate(base))
        assert isinstance(signal, DependencyErrorsSignal)
        return signal

    def anomaly(
        self, metric: str, baseline: float, current: float, **value: Any
    ) -> MetricAnomalySignal:
        base: dict[str, Any] = {
            "metric": metric,
            "unit": None,
            "baseline": baseline,
            "current": current,
            "ratio": current / baseline if baseline else None,
            "delta": current - baseline,
            "direction": "up" if current >= baseline else "down",
            "robust_z": 20.0,
            "change_index": 5,
            "change_at": "2026-11-20T14:04:00Z",
            "split_given": False,
            "entity": None,
            "measure": metric,
            "kind": "other",
            "bad": True,
            "noise_z": 20.0,
            "effect": 1.0,
            "score": 1.0,
            "onset_at": "2026-11-20T14:04:00Z",
        }
        base.update(value)
        signal = self.add(MetricAnomalyValue.model_validate(base))
        assert isinstance(signal, MetricAnomalySignal)
        return signal

    def signature(
        self, kind: str, category: str | None, example: str, **value: Any
    ) -> SignatureSignal:
        """A platform signature (`sre.extractors.signatures`): new, 12 lines after the split."""
        base: dict[str, Any] = {
            "kind": kind,
            "family": "kubernetes",
            "category": category,
            "strength": 1.0,
            "summary": kind.replace("_", " "),
            "obj": None,
            "emitter": None,
            "count_before": 0,
            "count_after": 12,
            "trend": "new",
            "first_seen": "2026-11-20T14:03:30Z",
            "example": example,
            "template": example,
            "hosts": [],
            "obj_active": None,
        }
        base.update(value)
        signal = self.add(SignatureValue.model_validate(base))
        assert isinstance(signal, SignatureSignal)
        return signal

    def entity_logs(self, workload: str, excess: float, **value: Any) -> EntityLogsSignal:
        """One entity's own log trouble: `excess` error records beyond its volume."""
        base: dict[str, Any] = {
            "entity": workload,
            "kind": "service",
            "workload": workload,
            "records_before": 500,
            "records_after": 500,
            "errors_before": 0,
            "errors_after": int(excess),
            "warnings_before": 0,
            "warnings_after": 0,
            "excess": excess,
            "pattern_shift": 0.0,
            "pattern_g": 0.0,
            "new_templates": 0,
            "templates": [],
            "first_seen": "2026-11-20T14:03:30Z",
            "names": [],
        }
        base.update(value)
        signal = self.add(EntityLogsValue.model_validate(base))
        assert isinstance(signal, EntityLogsSignal)
        return signal

    def saturation(
        self,
        metric: str,
        current: float,
        limit: float,
        limit_key: str | None,
        *,
        depleted: bool = False,
    ) -> MetricSaturationSignal:
        """A series at its limit, or (`depleted`) a free-space or credit series run down to
        `current` of its peak `limit`."""
        signal = self.add(
            MetricSaturationValue(
                metric=metric,
                current=current,
                limit=limit,
                limit_key=limit_key,
                utilization=1.0 - current / limit if depleted else current / limit,
                statistic="sustained low of the current window against the series' peak"
                if depleted
                else "sustained level of the current window",
                depleted=depleted,
            )
        )
        assert isinstance(signal, MetricSaturationSignal)
        return signal

    def volume(self, **value: Any) -> LogVolumeSignal:
        """The run's log volume: 10 records each side, 1 error before and 5 after."""
        base: dict[str, Any] = {
            "lines_before": 10,
            "lines_after": 10,
            "errors_before": 1,
            "errors_after": 5,
            "error_share_before": 0.1,
            "error_share_after": 0.5,
            "split_at": None,
            "split_by": None,
        }
        base.update(value)
        signal = self.add(LogVolumeValue.model_validate(base))
        assert isinstance(signal, LogVolumeSignal)
        return signal

    def depleted(self, metric: str, current: float, peak: float) -> MetricSaturationSignal:
        """A free-space or credit series run down to `current` of its `peak`."""
        return self.saturation(metric, current, peak, None, depleted=True)

    def growth(
        self, metric: str, first: float, last: float, share: float = 0.95
    ) -> MetricGrowthSignal:
        signal = self.add(
            MetricGrowthValue(
                metric=metric,
                unit="mb",
                first=first,
                last=last,
                peak=max(first, last),
                slope=(last - first) / 20,
                monotonic_share=share,
                spearman=0.99,
            )
        )
        assert isinstance(signal, MetricGrowthSignal)
        return signal

    def config_change(
        self, key: str, old: Any, new: Any, shas: list[str] | None = None
    ) -> ConfigChangeSignal:
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (old, new))
        signal = self.add(
            ConfigChangeValue(
                key=key,
                old=old,
                new=new,
                change="modified" if old is not None else "added",
                ratio=new / old if numeric and old else None,
                commit_shas=shas or [],
            )
        )
        assert isinstance(signal, ConfigChangeSignal)
        return signal

    def config_risk(self, key: str, value: Any, reason: str) -> ConfigRiskSignal:
        signal = self.add(
            ConfigRiskValue(key=key, value=value, reason=reason, reasons=[reason], changed=False)
        )
        assert isinstance(signal, ConfigRiskSignal)
        return signal

    def commit(
        self,
        sha: str,
        message: str,
        *,
        code: list[str] | None = None,
        config: list[str] | None = None,
        docs: list[str] | None = None,
        dependency: list[str] | None = None,
        migration: list[str] | None = None,
        config_keys: list[str] | None = None,
        files_in_stack_frames: list[str] | None = None,
        risky: list[dict[str, str]] | None = None,
        observability_only: bool = False,
        style_only: bool = False,
        timestamp: str = "2026-11-20T13:55:00Z",
    ) -> CommitSignal:
        signal = self.add(
            CommitValue(
                sha=sha,
                message=message,
                author="dana",
                timestamp=timestamp,
                minutes_before_deploy=7.0,
                minutes_before_incident=8.0,
                file_kinds=FileKinds(
                    code=code or [],
                    config=config or [],
                    migration=migration or [],
                    dependency=dependency or [],
                    docs_tests=docs or [],
                    other=[],
                ),
                additions=10,
                deletions=2,
                files_in_stack_frames=files_in_stack_frames or [],
                config_keys=config_keys or [],
                risky_changes=[RiskyChangeValue.model_validate(r) for r in risky or []],
                observability_only=observability_only,
                style_only=style_only,
            )
        )
        assert isinstance(signal, CommitSignal)
        return signal


def by_category(hypotheses: list[Any], category: str) -> list[Any]:
    """The hypotheses of one category."""
    return [h for h in hypotheses if h.category == category]


def blamed_shas(hypotheses: list[Any]) -> set[str]:
    """Every commit SHA named as a suspect."""
    return {s for h in hypotheses for s in h.suspects if len(s) == 40}
