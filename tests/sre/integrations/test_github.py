"""GitHub source through the real PyGithub client against a loopback fake GitHub."""

from __future__ import annotations

import json

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from alpha.core.errors import InputError
from sre.integrations.configfiles import merge_snapshots, parse_config
from sre.integrations.github import GitHubCaps, GitHubSource, truncate_patch
from sre.integrations.http import UpstreamError, UpstreamNotFound
from tests.fakes.github_server import (
    SHA_CULPRIT,
    SHA_DEPLOY,
    SHA_DOCS,
    SHA_PREV,
    FakeGitHub,
    checkout_repo,
    integration_settings,
)
from tests.fakes.sentry_server import DEPLOYED_AT, Fault


async def _gather(fake: FakeGitHub, deployment_id: str, **kwargs: object):  # type: ignore[no-untyped-def]
    caps = kwargs.pop("caps", None)
    source = GitHubSource(integration_settings(fake, **kwargs), caps=caps)  # type: ignore[arg-type]
    try:
        resolved = await source.resolve(deployment_id)
        return resolved, await source.gather(resolved)
    finally:
        source.close()


async def test_numeric_id_resolves_a_github_deployment() -> None:
    """A numeric id is a GitHub deployment: its sha, environment and time come back."""
    async with FakeGitHub(checkout_repo()) as fake:
        source = GitHubSource(integration_settings(fake))
        resolved = await source.resolve("102")
        source.close()
    assert resolved.sha == SHA_DEPLOY
    assert resolved.environment == "production"
    assert resolved.created_at == DEPLOYED_AT
    assert resolved.github_deployment_id == 102
    assert ("/repos/acme/checkout-api/deployments/102", {}) in fake.requests


async def test_previous_deployment_in_same_environment_is_found_across_pages() -> None:
    """The previous production deployment is found through paginated lists, skipping staging."""
    async with FakeGitHub(checkout_repo(), page_size=1) as fake:
        _, evidence = await _gather(fake, "102")
    assert evidence.previous is not None
    assert evidence.previous.sha == SHA_PREV
    assert "deployment 101" in evidence.previous.label
    pages = [q.get("page") for path, q in fake.requests if path.endswith("/deployments")]
    assert "2" in pages  # the staging deployment sat on page 2 and was skipped


async def test_commits_between_deployments_carry_files_and_patches() -> None:
    """Compare yields each commit with message, author, time and its files with patches."""
    async with FakeGitHub(checkout_repo()) as fake:
        _, evidence = await _gather(fake, "102")
    assert [c["sha"] for c in evidence.commits] == [SHA_DOCS, SHA_CULPRIT, SHA_DEPLOY]
    culprit = evidence.commits[1]
    assert culprit["message"] == "Apply discounts per line item"
    assert culprit["author"] == "carla"
    assert culprit["timestamp"] == "2026-11-20T11:02:00Z"
    cart = culprit["files"][0]
    assert (cart["filename"], cart["status"], cart["additions"], cart["deletions"]) == (
        "checkout/cart.py",
        "modified",
        5,
        2,
    )
    assert 'DISCOUNTS[line["sku"]]' in cart["patch"]
    assert evidence.notes == []


async def test_config_files_are_parsed_at_both_revisions() -> None:
    """YAML and dotenv config files are read at both revisions and merged into snapshots."""
    repo = checkout_repo()
    repo.contents[("config/production.yaml", SHA_PREV)] = "database:\n  pool_size: 50\n"
    async with FakeGitHub(repo) as fake:
        _, evidence = await _gather(fake, "102")
    assert evidence.config_snapshot["database"] == {"pool_size": 20, "timeout_s": 5}
    assert evidence.config_snapshot["PAYMENTS_TIMEOUT_S"] == 5
    assert evidence.previous_config_snapshot is not None
    assert evidence.previous_config_snapshot["database"] == {"pool_size": 50}


async def test_config_file_that_fails_to_parse_becomes_a_note() -> None:
    """A config file that does not parse is left out and named in a note; the rest stays."""
    async with FakeGitHub(checkout_repo(env_file_at_prev="GOOD=1\n=broken\n")) as fake:
        repo = fake.data
        repo.contents[("config/production.yaml", SHA_PREV)] = "database: [unclosed\n"
        _, evidence = await _gather(fake, "102")
    assert any("config/production.yaml" in n and "not valid yaml" in n for n in evidence.notes)
    assert evidence.config_snapshot["database"]["pool_size"] == 20
    assert evidence.previous_config_snapshot is not None
    assert "database" not in evidence.previous_config_snapshot


async def test_missing_config_file_is_noted() -> None:
    """A configured path absent at a revision is reported, not fatal."""
    repo = checkout_repo()
    del repo.contents[(".env.production", SHA_PREV)]
    async with FakeGitHub(repo) as fake:
        _, evidence = await _gather(fake, "102")
    assert any("'.env.production' not found at aaaaaaa" in n for n in evidence.notes)


async def test_caps_truncate_and_say_so() -> None:
    """Commit, file and patch caps keep the newest commits, cut patches, and report it."""
    caps = GitHubCaps(max_commits=2, max_files_per_commit=1, max_patch_bytes=400)
    async with FakeGitHub(checkout_repo(big_patch_bytes=5000)) as fake:
        _, evidence = await _gather(fake, "102", caps=caps)
    assert [c["sha"] for c in evidence.commits] == [SHA_CULPRIT, SHA_DEPLOY]
    assert len(evidence.commits[0]["files"]) == 1
    bump = evidence.commits[1]["files"][0]["patch"]
    assert len(bump.split("\n[patch truncated")[0].encode()) <= 400
    assert "[patch truncated: kept" in bump
    assert any("3 commits" in n and "kept the newest 2" in n for n in evidence.notes)
    assert any("1 patch(es) truncated to 400 bytes" in n for n in evidence.notes)
    assert any("first 1 files" in n for n in evidence.notes)


async def test_release_name_resolves_through_its_tag() -> None:
    """A release name resolves to its tag's commit; the previous tag is the comparison base."""
    repo = checkout_repo()
    repo.deployments = []  # no deployments at all: tags and releases only
    async with FakeGitHub(repo) as fake:
        resolved, evidence = await _gather(fake, "Spring sale release")
    assert resolved.sha == SHA_DEPLOY
    assert resolved.ref == "v1.4.1"
    assert resolved.created_at == DEPLOYED_AT
    assert evidence.previous is not None
    assert evidence.previous.label == "tag v1.4.0"
    assert len(evidence.commits) == 3


async def test_short_sha_without_tag_compares_with_parent() -> None:
    """An untagged abbreviated SHA resolves to the full SHA and is compared with its parent."""
    repo = checkout_repo()
    repo.deployments = []
    async with FakeGitHub(repo) as fake:
        resolved, evidence = await _gather(fake, SHA_CULPRIT[:7])
    assert resolved.sha == SHA_CULPRIT
    assert evidence.previous is not None
    assert (evidence.previous.sha, evidence.previous.label) == (SHA_DOCS, "parent commit")
    assert [c["sha"] for c in evidence.commits] == [SHA_CULPRIT]


async def test_unknown_deployment_is_not_found_with_a_clear_message() -> None:
    """An id matching no deployment, ref or release raises NotFound naming the repository."""
    async with FakeGitHub(checkout_repo()) as fake:
        source = GitHubSource(integration_settings(fake))
        with pytest.raises(
            UpstreamNotFound, match="deployment '999' not found in acme/checkout-api"
        ):
            await source.resolve("999")
        source.close()


async def test_bad_token_is_an_auth_failure_naming_the_setting() -> None:
    """HTTP 401 becomes an auth failure whose sentence tells the user to check GITHUB_TOKEN."""
    async with FakeGitHub(checkout_repo()) as fake:
        source = GitHubSource(integration_settings(fake, github_token="ghp_wrong"))
        with pytest.raises(UpstreamError) as caught:
            await source.resolve("102")
        source.close()
    assert caught.value.describe("GitHub", "GITHUB_TOKEN") == (
        "GitHub: authentication failed (HTTP 401) — check GITHUB_TOKEN"
    )
    assert "ghp_wrong" not in str(caught.value)


async def test_persistent_5xx_is_retried_then_reported() -> None:
    """A 503 that persists is retried by the bounded urllib3 Retry, then reported with tries."""
    async with FakeGitHub(checkout_repo()) as fake:
        fake.faults.add(Fault(r"/deployments/102$", status=503, times=None))
        source = GitHubSource(integration_settings(fake, http_retries=2))
        with pytest.raises(UpstreamError) as caught:
            await source.resolve("102")
        source.close()
    assert caught.value.describe("GitHub", "GITHUB_TOKEN") == (
        "GitHub unreachable: HTTP 503 after 3 tries"
    )
    assert sum(path.endswith("/deployments/102") for path, _ in fake.requests) == 3


async def test_429_then_success_is_retried() -> None:
    """A 429 with Retry-After is retried and the resolution then succeeds."""
    async with FakeGitHub(checkout_repo()) as fake:
        fake.faults.add(Fault(r"/deployments/102$", status=429, headers={"Retry-After": "0"}))
        source = GitHubSource(integration_settings(fake, http_retries=2))
        resolved = await source.resolve("102")
        source.close()
    assert resolved.sha == SHA_DEPLOY
    assert sum(path.endswith("/deployments/102") for path, _ in fake.requests) == 2


async def test_429_without_rate_limit_headers_is_retried() -> None:
    """A bare 429 (no Retry-After, no rate-limit reset) is retried and the resolution
    then succeeds."""
    async with FakeGitHub(checkout_repo()) as fake:
        fake.faults.add(Fault(r"/deployments/102$", status=429, headers={}))
        source = GitHubSource(integration_settings(fake, http_retries=2))
        resolved = await source.resolve("102")
        source.close()
    assert resolved.sha == SHA_DEPLOY
    assert sum(path.endswith("/deployments/102") for path, _ in fake.requests) == 2


async def test_timeout_is_reported_as_unreachable() -> None:
    """A GitHub that does not answer within the timeout is reported as timed out."""
    async with FakeGitHub(checkout_repo()) as fake:
        fake.faults.add(Fault(r"/deployments/102$", status=200, delay_s=1.5))
        source = GitHubSource(integration_settings(fake, http_timeout=1.0))
        with pytest.raises(UpstreamError) as caught:
            await source.resolve("102")
        source.close()
    assert caught.value.kind == "timeout"
    assert caught.value.describe("GitHub", "GITHUB_TOKEN").startswith(
        "GitHub unreachable: timed out"
    )


@given(st.text(max_size=3000), st.integers(min_value=1, max_value=2000))
def test_truncate_patch_is_bounded_and_marked(patch: str, limit: int) -> None:
    """Truncation keeps at most `limit` bytes, marks any cut, and leaves short patches alone."""
    out, cut = truncate_patch(patch, limit)
    if len(patch.encode()) <= limit:
        assert (out, cut) == (patch, False)
    else:
        kept = out.rsplit("\n[patch truncated", 1)[0]
        assert cut
        assert len(kept.encode()) <= limit
        assert patch.startswith(kept)


# --------------------------------------------------------------------------- config parsing

_keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
_scalars = st.none() | st.booleans() | st.integers(-(10**9), 10**9) | st.text(max_size=20)
_trees = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_keys, children, max_size=3),
    max_leaves=12,
)
_configs = st.dictionaries(_keys, _trees, max_size=5)


@given(_configs)
def test_json_and_yaml_configs_round_trip(config: dict[str, object]) -> None:
    """Any JSON-shaped config parses back identically from JSON and from YAML."""
    assert parse_config("config/app.json", json.dumps(config)) == config
    assert parse_config("config/app.yaml", yaml.safe_dump(config)) == config


_env_values = (
    st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.text(alphabet="abcdefghijklmnopqrstuvwxyz-/:", min_size=1, max_size=12).filter(
        lambda s: s not in ("true", "false")
    )
)


@given(st.dictionaries(_keys.map(str.upper), _env_values, max_size=6))
def test_dotenv_values_are_typed_like_yaml(config: dict[str, object]) -> None:
    """dotenv `KEY=value` lines parse to the same typed values YAML would give."""
    text = "".join(
        f"{k}={str(v).lower() if isinstance(v, bool) else v}\n" for k, v in config.items()
    )
    assert parse_config(".env.production", text) == config


@given(st.text(max_size=300), st.sampled_from(["a.yaml", "a.json", "a.toml", ".env"]))
def test_any_text_parses_or_fails_with_input_error(text: str, path: str) -> None:
    """Arbitrary file text yields a dict or an InputError naming the file, never another error."""
    try:
        parsed = parse_config(path, text)
    except InputError as exc:
        assert repr(path) in str(exc)
    else:
        assert isinstance(parsed, dict)


def test_toml_and_unknown_formats() -> None:
    """TOML tables become nested dicts; an unknown extension is refused by name."""
    assert parse_config("pyproject.toml", '[db]\npool = 5\nname = "x"\n') == {
        "db": {"pool": 5, "name": "x"}
    }
    with pytest.raises(InputError, match="'config.ini': unknown format"):
        parse_config("config.ini", "[db]\n")
    with pytest.raises(InputError, match="top level is list"):
        parse_config("a.yaml", "- 1\n- 2\n")


def test_snapshots_merge_in_order() -> None:
    """Later files override earlier ones key by key, nested mappings merged."""
    merged = merge_snapshots([{"db": {"pool": 5, "host": "a"}, "x": 1}, {"db": {"pool": 9}}])
    assert merged == {"db": {"pool": 9, "host": "a"}, "x": 1}
