"""Settings parsing, mode selection, and the manifest agreeing with the code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from bot.app import create_bot
from bot.services import default_services
from bot.settings import BotSettings
from sre.agents.roster import AGENT_NAMES
from sre.integrations.settings import IntegrationSettings
from sre.llm.mode import configured_mode
from tests.bot.harness import BOT_TOKEN, incident
from tests.fakes.llm_server import FakeLLMServer, Reply

ROOT = Path(__file__).resolve().parents[2]


def test_production_defaults() -> None:
    """With nothing configured: one edit per second per message, 30 s per agent, 4 runs at
    once, one run per alerting issue per hour, HTTP mode on port 3000 against Slack's API."""
    settings = BotSettings(_env_file=None)  # type: ignore[call-arg]
    assert settings.update_interval_s == 1.0
    assert settings.agent_timeout_s == 30.0
    assert settings.max_concurrent == 4
    assert settings.alert_dedup_window_s == 3600.0
    assert (settings.mode, settings.port) == ("http", 3000)
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.allowed_users == settings.allowed_channels == settings.alert_channels == ()


@pytest.mark.looptime
async def test_environment_reaches_the_objects_that_use_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Variables read as `python -m bot` reads them reach their users: the publisher's
    interval, the manager's limit, the Slack client, the allow-list, the LLM endpoint and
    (through the LLM deadline kept 1 s under it) the agent timeout."""
    async with FakeLLMServer(default=Reply.slow(600.0)) as llm:
        environment = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": "signing-secret",
            "SLACK_API_URL": "http://127.0.0.1:9/api/",
            "ALPHA_SLACK_UPDATE_INTERVAL": "2.5",
            "ALPHA_MAX_CONCURRENT": "3",
            "ALPHA_AGENT_TIMEOUT": "7",
            "ALPHA_ALLOWED_USERS": "U_OK",
            "ALPHA_LLM_BASE_URL": llm.base_url,
            "ALPHA_LLM_RETRIES": "0",
        }
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        settings = BotSettings()
        settings.check()
        llm_mode = configured_mode(required=False)
        services = default_services(settings, IntegrationSettings(), llm=llm_mode)
        bot = create_bot(settings, services)
        assert bot.runner.services.update_interval == 2.5
        assert bot.manager.max_concurrent == 3
        assert (bot.client.base_url, bot.client.token) == (environment["SLACK_API_URL"], BOT_TOKEN)
        assert bot.settings.user_allowed("U_OK") and not bot.settings.user_allowed("U_OTHER")
        result = await services.engine(incident(), subscribers=[], gaps=[])
    assert llm.request_count == len(result.agent_outcomes) == len(AGENT_NAMES)
    for outcome in result.agent_outcomes:
        assert "gave no answer within 6 s" in (outcome.fallback_reason or ""), outcome


def test_comma_separated_lists_are_split_and_trimmed(monkeypatch: pytest.MonkeyPatch) -> None:
    """`ALPHA_ALERT_CHANNELS=" C1, C2 ,"` gives ("C1", "C2"); empty means no restriction."""
    monkeypatch.setenv("ALPHA_ALERT_CHANNELS", " C1, C2 ,")
    monkeypatch.setenv("ALPHA_ALLOWED_USERS", "")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    settings = BotSettings(_env_file=None)  # type: ignore[call-arg]
    assert settings.alert_channels == ("C1", "C2")
    assert settings.allowed_users == ()
    assert settings.user_allowed("Uanyone") and settings.channel_allowed("Canything")


def test_mode_follows_app_token_unless_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    """SLACK_APP_TOKEN selects Socket Mode; ALPHA_SLACK_MODE=http overrides it."""
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-A1-1-abc")
    assert BotSettings(_env_file=None).mode == "socket"  # type: ignore[call-arg]
    monkeypatch.setenv("ALPHA_SLACK_MODE", "http")
    assert BotSettings(_env_file=None).mode == "http"  # type: ignore[call-arg]


def test_bad_values_name_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    """A non-numeric ALPHA_MAX_CONCURRENT fails validation naming the variable."""
    monkeypatch.setenv("ALPHA_MAX_CONCURRENT", "lots")
    with pytest.raises(ValidationError, match="ALPHA_MAX_CONCURRENT"):
        BotSettings(_env_file=None)  # type: ignore[call-arg]


def test_secrets_do_not_appear_in_the_settings_repr() -> None:
    """Tokens are SecretStr: printing the settings never shows them."""
    settings = BotSettings(_env_file=None, slack_bot_token="xoxb-very-secret-1234567890")  # type: ignore[call-arg]
    assert "very-secret" not in repr(settings) and "very-secret" not in str(settings)


def test_python_m_bot_refuses_http_mode_without_signing_secret(tmp_path: Path) -> None:
    """`python -m bot` exits with status 2 and a clear message, no traceback."""
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "ALPHA_SLACK_MODE": "http", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "SLACK_SIGNING_SECRET" in done.stderr and "Traceback" not in done.stderr


def test_manifest_declares_what_the_code_listens_to() -> None:
    """The manifest has /alpha, message events, interactivity and the scopes they need."""
    manifest = yaml.safe_load((ROOT / "slack-manifest.yaml").read_text())
    commands = [c["command"] for c in manifest["features"]["slash_commands"]]
    assert commands == ["/alpha"]
    settings = manifest["settings"]
    assert {"message.channels", "message.groups"} <= set(
        settings["event_subscriptions"]["bot_events"]
    )
    assert settings["interactivity"]["is_enabled"] is True
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "channels:history", "groups:history"} <= scopes
    assert (ROOT / "Procfile").read_text().strip() == "web: python -m bot"


def test_error_reports_are_scrubbed_of_secrets() -> None:
    """The Sentry `before_send` hook redacts tokens anywhere in an event, keeping the rest."""
    from bot.observability import scrub_event

    event = {
        "message": "auth failed for xoxb-1234567890-abcdefghijkl",
        "exception": {"values": [{"value": "password=hunter2 at https://u:pw123@db/x"}]},
        "extra": {"n": 3, "items": ["ghp_" + "a" * 36]},
    }
    scrubbed = scrub_event(event, {})
    text = str(scrubbed)
    assert "xoxb-1234567890" not in text and "hunter2" not in text and "pw123" not in text
    assert "ghp_aaaa" not in text
    assert scrubbed["extra"]["n"] == 3 and "auth failed for" in scrubbed["message"]
