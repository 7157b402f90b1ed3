"""Typed SRE signals: the signal types, their value models and their typed classes.

The extractors (`sre.extractors`) build these values and the agents' rules (`sre.agents`)
read them as attributes, so a renamed field fails in mypy instead of silently in a rule.
`values` holds one Pydantic model per type's `value` (the contract, field by field);
`kinds` the `SignalType` enum, one `Signal` subclass per type and the conversion of generic
signals.
"""

from sre.signals.kinds import (
    SIGNAL_CLASSES,
    CommitSignal,
    ConfigChangeSignal,
    ConfigRiskSignal,
    DependencyErrorsSignal,
    EntityLogsSignal,
    ExceptionSignal,
    LogSignal,
    LogTemplateSignal,
    LogVolumeSignal,
    MetricAnomalySignal,
    MetricGrowthSignal,
    MetricSaturationSignal,
    MetricSignal,
    MetricValueSignal,
    SignalType,
    SignatureSignal,
    SreSignal,
    TroubleSignal,
    as_typed,
    signal_class,
    signal_type,
    typed_signals,
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
