"""The boundary: signals redacted before clipping, results and events safe to show."""

from __future__ import annotations

import json

from alpha.schemas import AgentEvent, EventKind, IncidentInput, Signal
from sre.engine import investigate
from sre.redaction import Redactor, one_line, safe_text
from sre.redaction.boundary import (
    IncidentRedactors,
    count_redacted,
    learn_key_blocks,
    redact_event,
    redact_signals,
    redacted_line,
)
from sre.signals import LogTemplateSignal
from sre.signals.values import LogVolumeValue
from tests.canaries import canary_corpus, leaks
from tests.sre.builders import Signals

JWT = next(c for c in canary_corpus() if c.kind == "jwt").secret
KEY_BLOCK = next(c for c in canary_corpus() if c.variant == "pem rsa")


def _incident(**overrides: object) -> IncidentInput:
    values: dict[str, object] = {
        "deployment_id": "deploy-7",
        "deployed_at": "2026-11-20T14:00:00Z",
        "logs": [f"2026-11-20T13:5{i}:00Z INFO request ok status=200" for i in range(5)]
        + [f"2026-11-20T14:0{i}:00Z ERROR upstream refused" for i in range(5)],
        "metrics": {"error_rate": {"baseline": [0.01, 0.01], "current": [0.3, 0.4]}},
        "recent_commits": [],
        "config_snapshot": {"auth": {"service_jwt": JWT}, "db": {"password": "n3w-Passw0rd"}},
        "previous_config_snapshot": {"auth": {}, "db": {"password": "0ld-Passw0rd"}},
    }
    values.update(overrides)
    return IncidentInput.model_validate(values)


async def test_a_jwt_config_value_clipped_in_a_description_never_leaves() -> None:
    """The issue's leak: the JWT is clipped while the signal is described; the boundary
    learned it whole from the signal's value first, so no fragment reaches the result."""
    redactor = Redactor()
    result = await investigate(_incident(), redactor=redactor)
    shown = result.model_dump_json()
    assert all(JWT[i : i + 12] not in shown for i in range(len(JWT) - 11))
    raw = await investigate(_incident(), reveal=True)
    assert JWT[:40] in raw.model_dump_json()  # the evidence did carry it


async def test_secret_config_keys_are_described_as_changed_value_hidden() -> None:
    """A changed secret-like key shows as "changed (value hidden)", its values nowhere."""
    result = await investigate(_incident(), redactor=Redactor())
    descriptions = [s.description for s in result.signals_used]
    assert "db.password changed (value hidden)" in descriptions
    assert "Passw0rd" not in result.model_dump_json()


async def test_a_key_block_over_log_lines_never_reaches_the_result() -> None:
    """Each body line of a key logged line by line is hidden, though no rule sees BEGIN
    on the same line once the lines are templates."""
    block = [f"2026-11-20T14:03:00Z ERROR {line}" for line in KEY_BLOCK.lines()]
    incident = _incident(logs=_incident().logs + block * 3)
    revealed = (await investigate(incident, reveal=True)).model_dump_json()
    assert leaks(KEY_BLOCK, revealed)  # the engine did surface some of the key
    shown = (await investigate(incident, redactor=Redactor())).model_dump_json()
    assert leaks(KEY_BLOCK, shown) == []


def test_key_blocks_are_learned_wherever_they_sit_in_a_long_log() -> None:
    """A key block is learned as well across the end of one run of joined lines, and far
    into a long log, as on its own."""
    body = KEY_BLOCK.lines()
    alone = Redactor()
    learn_key_blocks(alone, body)
    assert alone.known > 0
    filler = [f"2026-11-20T14:03:00Z INFO request {i} ok" for i in range(10_000)]
    for start in (4_094, 9_000):
        redactor = Redactor()
        learn_key_blocks(redactor, filler[:start] + body + filler[start:])
        assert redactor.known == alone.known, start


def test_redacted_signals_keep_their_evidence() -> None:
    """Redaction replaces secrets only: ids, numbers and ordinary text stay as they were, and
    a typed signal stays typed."""
    token = "ghp_Zk3p9QvL2mX8rT4wA1b2C3d4E5f6G7h8I9j0"
    typed = Signals().template("auth failed", count_after=34, example=f"token {token} x")
    signal = typed.model_copy(
        update={"id": "sig_004", "description": f"New ERROR template: auth failed for {token}"}
    )
    (out,) = redact_signals([signal], Redactor())
    assert isinstance(out, LogTemplateSignal)
    assert out.id == "sig_004" and out.value.count_after == 34
    assert out.value.template == "auth failed" and out.value.example.startswith("token [REDACTED:")
    assert "ghp_Zk3p" not in out.model_dump_json()
    assert out.description.startswith("New ERROR template: auth failed for [REDACTED:")


def test_a_generic_signal_stays_generic() -> None:
    """A signal of another vertical keeps its class and its mapping value."""
    signal = Signal(
        id="sig_001", type="log_group", description="x", source="logs", value={"count": 3}
    )
    (out,) = redact_signals([signal], Redactor())
    assert type(out) is Signal and out.value == {"count": 3}


def test_control_and_bidirectional_characters_are_removed() -> None:
    """ESC sequences, bidi overrides/isolates and zero-width characters never print."""
    text = "ok\x1b[2J\u202eevil\u2066x\u2069\u200b\r\x07 end\nnext\tcol"
    assert safe_text(text) == "ok[2Jevilx end\nnext\tcol"
    assert one_line(text) == "ok[2Jevilx end next col"


def test_events_are_one_line_and_redacted() -> None:
    """A live event cannot print a line of its own nor carry a secret."""
    event = AgentEvent(
        kind=EventKind.AGENT_PROGRESS,
        execution_id="e1",
        agent_name="LogAgent",
        message="fallback\n#1 forged ghp_Zk3p9QvL2mX8rT4wA1b2C3d4E5f6G7h8I9j0\u202e",
    )
    shown = redact_event(event, Redactor())
    assert shown.message is not None and "\n" not in shown.message
    assert "ghp_" not in shown.message and "\u202e" not in shown.message


def test_one_redactor_per_incident_object() -> None:
    """The engine, the LLM sessions and the caller reach the same redactor per incident."""
    redactors = IncidentRedactors()
    first, second = _incident(), _incident()
    chosen = Redactor()
    assert redactors.register(first, chosen) is chosen
    assert redactors.for_incident(first) is chosen
    assert redactors.for_incident(second) is not chosen
    assert chosen.known >= 2  # it learned the incident's config secrets on registration


def test_the_footer_counts_distinct_placeholders() -> None:
    """ "N secrets redacted" counts each hidden secret once, and says nothing for none."""
    text = json.dumps(["[REDACTED:jwt#1]", "[REDACTED:jwt#1] [REDACTED:jwt#2]"])
    assert count_redacted(text) == 2
    assert redacted_line(2) == "2 secrets redacted" and redacted_line(1) == "1 secret redacted"
    assert redacted_line(0) == ""


async def test_bundled_scenarios_hold_no_secret_and_lose_no_evidence() -> None:
    """No false positive: the 22 bundled scenarios (file paths, object keys, SHAs, hosts,
    e-mail-free logs) come out of the boundary without a single placeholder."""
    from sre.redaction.boundary import redact_result
    from sre.scenarios import load_all

    for scenario in load_all():
        redactor = Redactor()
        result = await investigate(scenario.incident, redactor=redactor)
        shown = redact_result(result, redactor).model_dump_json()
        assert count_redacted(shown) == 0, scenario.name


def test_the_payloads_commit_shas_are_never_hidden() -> None:
    """A sha quoted where a generic rule sees a token (`"key": "<sha>"`) stays readable."""
    sha = "5ae6cd212ea3cdf683a68d100578828ee26d2a47"
    text = f'{{"key": "{sha}"}}'
    assert sha not in Redactor().redact(text)  # the generic rule alone takes it for a token
    incident = _incident(recent_commits=[{"sha": sha, "message": "Lower the pool size"}])
    redactor = IncidentRedactors().for_incident(incident)
    assert sha in redactor.redact(text)
    assert redactor.redact(f"revert commit {sha}") == f"revert commit {sha}"


def test_the_payloads_metric_names_are_not_cut_by_a_word_like_secrets_runs() -> None:
    """A secret reference under a strong key shares `-fleet-prod/` with a series name: the
    series name stays whole; the reference itself is still hidden."""
    reference = "kv-fleet-prod/sb-fleet-send-listen"
    incident = _incident(
        config_snapshot={"rotation": {"updates_secret": reference}},
        metrics={"sb-fleet-prod/ConnectionsClosed": {"baseline": 3.0, "current": 40.0}},
    )
    redactor = IncidentRedactors().for_incident(incident)
    assert redactor.redact("sb-fleet-prod/ConnectionsClosed up") == (
        "sb-fleet-prod/ConnectionsClosed up"
    )
    assert reference not in redactor.redact(f"rotated {reference}")


def test_a_secret_that_is_an_ordinary_word_never_breaks_the_schema() -> None:
    """`token from vault-issuer-token: error calling Vault` teaches the redactor `error` as a
    token's value. Every value holding it is hidden, but the signals' field names
    (`errors_before`) and their vocabulary (`reason`, `level`) are the schema's, not data:
    the signals stay valid."""
    line = "error reading token from vault-issuer-token: error calling Vault server"
    s = Signals()
    s.template("failed to sign certificate request", example=line, level="ERROR")
    s.volume(listeners={"8080": ["error-pages"]})
    template, volume = redact_signals(s.items, Redactor())
    assert isinstance(template, LogTemplateSignal) and template.value.level == "ERROR"
    assert "error calling" not in template.value.example
    assert "[REDACTED:" in template.value.example
    assert isinstance(volume.value, LogVolumeValue) and volume.value.errors_after == 5
    assert volume.value.listeners["8080"][0].startswith("[REDACTED:")
