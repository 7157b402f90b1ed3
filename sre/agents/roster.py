"""The SRE specialists, declared once.

Adding an agent is one edit: write its class (a `SpecialistAgent` with `name`, `model` and
`brief`) and list it here. The engine registers these in this order (which is also the order
of the display's panels), the LLM settings read `ALPHA_MODEL_<NAME>` for each, and prompts
take each agent's brief from its class.
"""

from __future__ import annotations

from sre.agents.base import SpecialistAgent
from sre.agents.commit_agent import CommitAgent
from sre.agents.config_agent import ConfigAgent
from sre.agents.log_agent import LogAgent
from sre.agents.metrics_agent import MetricsAgent
from sre.agents.platform_agent import PlatformAgent
from sre.agents.topology_agent import TopologyAgent

__all__ = ["AGENT_NAMES", "SPECIALISTS"]

SPECIALISTS: tuple[type[SpecialistAgent], ...] = (
    LogAgent,
    MetricsAgent,
    CommitAgent,
    ConfigAgent,
    PlatformAgent,
    TopologyAgent,
)

AGENT_NAMES: tuple[str, ...] = tuple(agent.name for agent in SPECIALISTS)
