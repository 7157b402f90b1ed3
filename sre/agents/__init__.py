"""The SRE specialist agents and the synthesis step.

Each specialist computes deterministic candidates with a pure
`candidates(signals, incident)`; `run()` returns them.
"""

from __future__ import annotations

from sre.agents.commit_agent import CommitAgent
from sre.agents.config_agent import ConfigAgent
from sre.agents.log_agent import LogAgent
from sre.agents.metrics_agent import MetricsAgent
from sre.agents.synthesis import SynthesisAgent, synthesize

__all__ = ["CommitAgent", "ConfigAgent", "LogAgent", "MetricsAgent", "SynthesisAgent", "synthesize"]
