"""The original design's smoke test, unchanged in substance."""

from alpha import AgentContext, AgentResult, AlphaRuntime, BaseAgent, Hypothesis, IncidentInput


class StubAgent(BaseAgent):
    name = "stub"

    async def run(self, context: AgentContext) -> AgentResult:
        return AgentResult(
            agent_name=self.name,
            hypotheses=[
                Hypothesis(
                    label="Stub hypothesis",
                    description="...",
                    confidence=0.8,
                    severity="high",
                    supporting_signals=[context.signals[0].id],
                )
            ],
        )


async def test_smoke():
    """A registered stub agent's hypothesis comes back ranked first."""
    runtime = AlphaRuntime()
    runtime.register(StubAgent())
    result = await runtime.execute(
        IncidentInput(
            deployment_id="test-001",
            logs=["ERROR something failed"],
            metrics={},
            recent_commits=[],
            config_snapshot={},
        )
    )
    assert result.ranked_hypotheses and result.ranked_hypotheses[0].label == "Stub hypothesis"
