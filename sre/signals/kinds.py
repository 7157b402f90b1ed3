"""The SRE signal types: an enum, one typed `Signal` class per type, and conversion.

`alpha.schemas.Signal` stays generic (`value: Any`); each SRE signal type is a subclass
whose `type` and `source` are fixed and whose `value` is its model from `sre.signals.values`,
so a rule reading `signal.value.count_after` is checked by mypy. The subclasses serialise
exactly like the generic class (same fields, same order), so the JSON of a run is unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Literal

from alpha.schemas import Signal
from sre.signals.values import (
    CommitValue,
    ConfigChangeValue,
    ConfigRiskValue,
    DependencyErrorsValue,
    EntityLogsValue,
    ExceptionValue,
    LogTemplateValue,
    LogVolumeValue,
    MetricAnomalyValue,
    MetricGrowthValue,
    MetricLoneValue,
    MetricSaturationValue,
    SignalValue,
    SignatureValue,
)

__all__ = [
    "SIGNAL_CLASSES",
    "CommitSignal",
    "ConfigChangeSignal",
    "ConfigRiskSignal",
    "DependencyErrorsSignal",
    "EntityLogsSignal",
    "ExceptionSignal",
    "LogSignal",
    "LogTemplateSignal",
    "LogVolumeSignal",
    "MetricAnomalySignal",
    "MetricGrowthSignal",
    "MetricSaturationSignal",
    "MetricSignal",
    "MetricValueSignal",
    "SignalType",
    "SignatureSignal",
    "SreSignal",
    "TroubleSignal",
    "as_typed",
    "signal_class",
    "signal_type",
    "typed_signals",
]


class SignalType(StrEnum):
    """Every SRE signal type (the `type` of a `Signal`)."""

    LOG_TEMPLATE = "log_template"
    EXCEPTION = "exception"
    DEPENDENCY_ERRORS = "dependency_errors"
    ENTITY_LOGS = "entity_logs"
    SIGNATURE = "signature"
    LOG_VOLUME = "log_volume"
    METRIC_ANOMALY = "metric_anomaly"
    METRIC_SATURATION = "metric_saturation"
    METRIC_GROWTH = "metric_growth"
    METRIC_VALUE = "metric_value"
    CONFIG_CHANGE = "config_change"
    CONFIG_RISK = "config_risk"
    COMMIT = "commit"


class LogTemplateSignal(Signal):
    """A significant log template."""

    type: Literal["log_template"] = "log_template"
    source: Literal["logs"] = "logs"
    value: LogTemplateValue


class ExceptionSignal(Signal):
    """An exception type seen after the split."""

    type: Literal["exception"] = "exception"
    source: Literal["logs"] = "logs"
    value: ExceptionValue


class DependencyErrorsSignal(Signal):
    """A downstream host that error lines point at."""

    type: Literal["dependency_errors"] = "dependency_errors"
    source: Literal["logs"] = "logs"
    value: DependencyErrorsValue


class EntityLogsSignal(Signal):
    """An emitting entity whose errors rose beyond its own volume."""

    type: Literal["entity_logs"] = "entity_logs"
    source: Literal["logs"] = "logs"
    value: EntityLogsValue


class SignatureSignal(Signal):
    """A known failure signature of a platform, per kind and object."""

    type: Literal["signature"] = "signature"
    source: Literal["logs"] = "logs"
    value: SignatureValue


class LogVolumeSignal(Signal):
    """Record and error counts per window."""

    type: Literal["log_volume"] = "log_volume"
    source: Literal["logs"] = "logs"
    value: LogVolumeValue


class MetricAnomalySignal(Signal):
    """A level shift of a metric series."""

    type: Literal["metric_anomaly"] = "metric_anomaly"
    source: Literal["metrics"] = "metrics"
    value: MetricAnomalyValue


class MetricSaturationSignal(Signal):
    """A metric at its limit."""

    type: Literal["metric_saturation"] = "metric_saturation"
    source: Literal["metrics"] = "metrics"
    value: MetricSaturationValue


class MetricGrowthSignal(Signal):
    """A metric growing steadily."""

    type: Literal["metric_growth"] = "metric_growth"
    source: Literal["metrics"] = "metrics"
    value: MetricGrowthValue


class MetricValueSignal(Signal):
    """A notable metric value with no baseline."""

    type: Literal["metric_value"] = "metric_value"
    source: Literal["metrics"] = "metrics"
    value: MetricLoneValue


class ConfigChangeSignal(Signal):
    """A config key changed since the previous snapshot."""

    type: Literal["config_change"] = "config_change"
    source: Literal["config"] = "config"
    value: ConfigChangeValue


class ConfigRiskSignal(Signal):
    """A risky config value."""

    type: Literal["config_risk"] = "config_risk"
    source: Literal["config"] = "config"
    value: ConfigRiskValue


class CommitSignal(Signal):
    """A recent commit."""

    type: Literal["commit"] = "commit"
    source: Literal["commits"] = "commits"
    value: CommitValue


# Log signals that can be "trouble" (new or rising).
TroubleSignal = LogTemplateSignal | ExceptionSignal
# Log signals about what failed: templates, exceptions and failing hosts.
LogSignal = LogTemplateSignal | ExceptionSignal | DependencyErrorsSignal
MetricSignal = MetricAnomalySignal | MetricSaturationSignal | MetricGrowthSignal | MetricValueSignal
SreSignal = (
    LogSignal
    | EntityLogsSignal
    | SignatureSignal
    | LogVolumeSignal
    | MetricSignal
    | ConfigChangeSignal
    | ConfigRiskSignal
    | CommitSignal
)

SIGNAL_CLASSES: dict[SignalType, type[SreSignal]] = {
    SignalType.LOG_TEMPLATE: LogTemplateSignal,
    SignalType.EXCEPTION: ExceptionSignal,
    SignalType.DEPENDENCY_ERRORS: DependencyErrorsSignal,
    SignalType.ENTITY_LOGS: EntityLogsSignal,
    SignalType.SIGNATURE: SignatureSignal,
    SignalType.LOG_VOLUME: LogVolumeSignal,
    SignalType.METRIC_ANOMALY: MetricAnomalySignal,
    SignalType.METRIC_SATURATION: MetricSaturationSignal,
    SignalType.METRIC_GROWTH: MetricGrowthSignal,
    SignalType.METRIC_VALUE: MetricValueSignal,
    SignalType.CONFIG_CHANGE: ConfigChangeSignal,
    SignalType.CONFIG_RISK: ConfigRiskSignal,
    SignalType.COMMIT: CommitSignal,
}
_TYPE_OF_VALUE: dict[type[SignalValue], SignalType] = {
    LogTemplateValue: SignalType.LOG_TEMPLATE,
    ExceptionValue: SignalType.EXCEPTION,
    DependencyErrorsValue: SignalType.DEPENDENCY_ERRORS,
    EntityLogsValue: SignalType.ENTITY_LOGS,
    SignatureValue: SignalType.SIGNATURE,
    LogVolumeValue: SignalType.LOG_VOLUME,
    MetricAnomalyValue: SignalType.METRIC_ANOMALY,
    MetricSaturationValue: SignalType.METRIC_SATURATION,
    MetricGrowthValue: SignalType.METRIC_GROWTH,
    MetricLoneValue: SignalType.METRIC_VALUE,
    ConfigChangeValue: SignalType.CONFIG_CHANGE,
    ConfigRiskValue: SignalType.CONFIG_RISK,
    CommitValue: SignalType.COMMIT,
}
_TYPED = tuple(SIGNAL_CLASSES.values())
_TYPE_NAMES = frozenset(t.value for t in SignalType)


def signal_type(value: SignalValue) -> SignalType:
    """The signal type whose `value` this model is."""
    return _TYPE_OF_VALUE[type(value)]


def signal_class(value: SignalValue) -> type[SreSignal]:
    """The typed signal class whose `value` this model is."""
    return SIGNAL_CLASSES[signal_type(value)]


def as_typed(signal: Signal) -> SreSignal | None:
    """The signal as its typed class, or None when it is no SRE signal.

    A typed signal is returned as is; a generic one of an SRE type with a mapping value (a
    signal built by hand, or read back from JSON) is validated into its class, so a value
    that breaks the contract raises `pydantic.ValidationError` naming the field. Other
    signals (another vertical's, or a non-mapping value) give None.
    """
    if isinstance(signal, _TYPED):
        return signal
    if signal.type not in _TYPE_NAMES or not isinstance(signal.value, dict):
        return None
    cls = SIGNAL_CLASSES[SignalType(signal.type)]
    return cls.model_validate(signal.model_dump())


def typed_signals(signals: Iterable[Signal]) -> list[SreSignal]:
    """The SRE signals among `signals`, typed (see `as_typed`), in order."""
    return [typed for s in signals if (typed := as_typed(s)) is not None]
