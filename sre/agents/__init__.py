"""The SRE specialist agents (their roster: `sre.agents.roster`) and the synthesis step.

Each specialist computes deterministic candidates with a pure
`candidates(signals, incident)`; `run()` returns them, refined by an LLM when it has one.
"""

from __future__ import annotations

from sre.agents.commit_agent import CommitAgent
from sre.agents.config_agent import ConfigAgent
from sre.agents.log_agent import LogAgent
from sre.agents.metrics_agent import MetricsAgent
from sre.agents.roster import AGENT_NAMES, SPECIALISTS
from sre.agents.synthesis_agent import SynthesisAgent, synthesize

__all__ = [
    "AGENT_NAMES",
    "SPECIALISTS",
    "CommitAgent",
    "ConfigAgent",
    "LogAgent",
    "MetricsAgent",
    "SynthesisAgent",
    "synthesize",
]
