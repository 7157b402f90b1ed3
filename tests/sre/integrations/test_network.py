"""One network policy for every client: the live sources (and the LLM and Slack clients)
go through the proxy the standard variables name, against a loopback proxy started here."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from alpha.core.errors import ConfigurationError
from alpha.core.http import NetworkPolicy, proxy_for
from alpha.llm.openrouter import OpenRouterClient
from bot.app import make_clients
from sre.integrations.assembler import Tuning, assemble
from tests.bot.harness import settings as bot_settings
from tests.fakes.github_server import FakeGitHub, checkout_repo, integration_settings
from tests.fakes.llm_server import FakeLLMServer, Reply
from tests.fakes.proxy import FakeProxy
from tests.fakes.sentry_server import FakeSentry, checkout_sentry
from tests.fakes.slack_server import FakeSlack


async def _no_sleep(_: float) -> None:
    return None


def _hosts(seen: list[str], root: str) -> list[str]:
    return [url for url in seen if url.startswith(root)]


async def test_both_live_clients_go_through_the_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """With HTTP_PROXY set, every Sentry (aiohttp) and GitHub (PyGithub) request of an
    assembly passes the proxy, and the payload is the same as without it."""
    async with (
        FakeProxy() as proxy,
        FakeGitHub(checkout_repo()) as github,
        FakeSentry(checkout_sentry()) as sentry,
    ):
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        result = await assemble(
            "102",
            integration_settings(github, sentry),
            tuning=Tuning(sleep=_no_sleep),
            network=NetworkPolicy.from_environment(),
        )
    assert result.error is None and result.gaps == []
    via_github = _hosts(proxy.seen, github.url)
    via_sentry = _hosts(proxy.seen, sentry.url)
    assert len(via_github) == len(github.requests) > 0
    assert via_sentry and all("/api/0/" in url for url in via_sentry)
    assert len(proxy.seen) == len(via_github) + len(via_sentry)


async def test_no_proxy_keeps_both_clients_direct(monkeypatch: pytest.MonkeyPatch) -> None:
    """NO_PROXY naming the host: neither client uses the proxy."""
    async with (
        FakeProxy() as proxy,
        FakeGitHub(checkout_repo()) as github,
        FakeSentry(checkout_sentry()) as sentry,
    ):
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        result = await assemble(
            "102",
            integration_settings(github, sentry),
            tuning=Tuning(sleep=_no_sleep),
            network=NetworkPolicy.from_environment(),
        )
    assert result.error is None
    assert proxy.seen == []


async def test_the_llm_client_goes_through_the_same_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The OpenAI-compatible client uses the policy's proxy (not httpx's own reading)."""
    async with FakeProxy() as proxy, FakeLLMServer(default=Reply.text("ok")) as llm:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        network = NetworkPolicy.from_environment()
        async with OpenRouterClient(
            "m/x", api_key="k", base_url=llm.base_url, network=network
        ) as client:
            assert await client.complete("s", "u") == "ok"
    assert _hosts(proxy.seen, llm.base_url) == [f"{llm.base_url}/chat/completions"]


async def test_the_slack_clients_go_through_the_same_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bot's Web API clients use the policy's proxy, and none when NO_PROXY says so."""
    async with FakeProxy() as proxy, FakeSlack() as slack:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        client, update_client = make_clients(bot_settings(slack), NetworkPolicy.from_environment())
        await client.auth_test()
        await update_client.chat_update(channel="C1", ts="1.1", text="x")
        assert [url.rsplit("/", 1)[-1] for url in proxy.seen] == ["auth.test", "chat.update"]
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        direct, _ = make_clients(bot_settings(slack), NetworkPolicy.from_environment())
        await direct.auth_test()
        assert len(proxy.seen) == 2


def test_proxy_rules_follow_the_standard_variables() -> None:
    """Scheme variables, ALL_PROXY as fallback, NO_PROXY by host suffix and `*`."""
    env = {"HTTPS_PROXY": "http://p:1", "ALL_PROXY": "http://all:2", "NO_PROXY": ".internal"}
    assert proxy_for("https://sentry.io/api/0/", env) == "http://p:1"
    assert proxy_for("http://example.com/", env) == "http://all:2"
    assert proxy_for("https://git.corp.internal/api/v3", env) is None
    assert proxy_for("https://sentry.io/", {**env, "no_proxy": "*"}) is None
    assert proxy_for("https://sentry.io/", {}) is None


def test_the_ca_bundle_setting_is_checked_and_used(tmp_path: Path) -> None:
    """ALPHA_CA_BUNDLE (else SSL_CERT_FILE, REQUESTS_CA_BUNDLE) names the trusted CAs; a
    missing file is a configuration error naming the variable."""
    with pytest.raises(ConfigurationError, match="SSL_CERT_FILE: no such CA bundle file"):
        NetworkPolicy.from_environment({"SSL_CERT_FILE": str(tmp_path / "nope.pem")})
    bundle = Path(ssl.get_default_verify_paths().cafile or "")
    if not bundle.is_file():
        pytest.skip("no system CA bundle file to point at")
    policy = NetworkPolicy.from_environment({"ALPHA_CA_BUNDLE": str(bundle), "SSL_CERT_FILE": "x"})
    assert policy.ca_bundle == str(bundle) and policy.verify == str(bundle)
    context = policy.ssl_context()
    assert context is not None and context.cert_store_stats()["x509_ca"] > 0
    assert NetworkPolicy().ssl_context() is None and NetworkPolicy().verify is True
