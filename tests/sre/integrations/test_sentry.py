"""Sentry source: pure conversions, and the aiohttp client against a loopback fake Sentry."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sre.integrations.http import (
    RetryPolicy,
    UpstreamError,
    UpstreamNotFound,
    next_page_url,
    parse_link_header,
    rate_limit_wait,
)
from sre.integrations.sentry import (
    TOTAL_SERIES,
    SentryCaps,
    SentryClient,
    error_series,
    event_log_lines,
    sentry_session,
)
from tests.fakes.github_server import integration_settings
from tests.fakes.sentry_server import DEPLOYED_AT, FakeSentry, Fault, checkout_sentry

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC).timestamp()


class Sleeps:
    """Records requested waits instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


async def _gather(fake: FakeSentry, *, caps: SentryCaps | None = None, sleep=None, **kw):  # type: ignore[no-untyped-def]
    settings = integration_settings(sentry=fake, **kw)
    async with sentry_session(settings) as session:
        client = SentryClient(
            settings, session, caps=caps, sleep=sleep or Sleeps(), clock=lambda: NOW
        )
        return await client.gather(DEPLOYED_AT, "production")


# --------------------------------------------------------------------------- pure


def test_event_becomes_timestamped_line_with_frames() -> None:
    """A Python exception event renders as one headline plus traceback continuation lines."""
    event = checkout_sentry().issues[0].event
    lines = event_log_lines(event, "error")
    assert lines[0] == (
        "2026-11-20T17:00:00Z ERROR KeyError: 'sku' (checkout/cart.py in apply_discount line 42)"
    )
    assert lines[-2] == '  File "checkout/cart.py", line 42, in apply_discount'
    assert lines[-1] == '    rate = DISCOUNTS[line["sku"]]'
    assert lines[1] == '  File "checkout/api.py", line 88, in post_checkout'


def test_headline_points_at_innermost_in_app_frame() -> None:
    """Library frames are skipped when choosing the frame named on the headline."""
    event = checkout_sentry().issues[1].event  # innermost frame is httpx, not in-app
    assert event_log_lines(event, "warning")[0].endswith("(checkout/payments.py in charge line 31)")


def test_frames_are_capped_keeping_the_innermost() -> None:
    """Past the frame cap, outer frames are dropped and the omission is stated."""
    lines = event_log_lines(checkout_sentry().issues[0].event, "error", max_frames=1)
    assert lines[1] == "  ... 2 outer frame(s) omitted"
    assert lines[2] == '  File "checkout/cart.py", line 42, in apply_discount'


def test_event_without_exception_uses_its_title_on_one_line() -> None:
    """A message-only event becomes a single line; embedded newlines are flattened."""
    event = {"dateCreated": "2026-11-20T14:05:00.123Z", "title": "disk\nfull"}
    assert event_log_lines(event, "fatal") == ["2026-11-20T14:05:00Z FATAL disk full"]


def test_error_series_sums_issues_per_bucket() -> None:
    """The total series adds every issue per bucket; top issues get their own series."""
    issues = [
        {"shortId": "A-1", "stats": {"auto": [[1_700_000_000, 2], [1_700_003_600, 5]]}},
        {"shortId": "B-2", "stats": {"24h": [[1_700_000_000, 1], [1_700_003_600, 0]]}},
    ]
    metrics = error_series(issues, per_issue=1)
    assert metrics[TOTAL_SERIES]["points"] == [
        ["2023-11-14T22:13:20Z", 3.0],
        ["2023-11-14T23:13:20Z", 5.0],
    ]
    assert f"{TOTAL_SERIES}[A-1]" in metrics
    assert f"{TOTAL_SERIES}[B-2]" not in metrics


def test_rate_limit_wait_reads_retry_after_and_sentry_reset() -> None:
    """Retry-After (seconds or HTTP date) wins; else Sentry's reset epoch minus now."""
    assert rate_limit_wait({"Retry-After": "7"}, 100.0) == 7.0
    assert rate_limit_wait({"X-Sentry-Rate-Limit-Reset": "130"}, 100.0) == 30.0
    assert rate_limit_wait({"retry-after": "Thu, 01 Jan 1970 00:02:00 GMT"}, 100.0) == 20.0
    assert rate_limit_wait({}, 100.0) is None


_cursor = st.from_regex(r"[0-9]{1,5}:[0-9]{1,5}:[01]", fullmatch=True)


@given(_cursor, _cursor, st.booleans(), st.booleans())
def test_link_header_round_trip(prev: str, nxt: str, has_prev: bool, has_next: bool) -> None:
    """Sentry-style Link headers parse back to their URLs, and `results` gates the next page."""
    header = (
        f'<https://s.example/api/0/x/?cursor={prev}>; rel="previous"; '
        f'results="{str(has_prev).lower()}"; cursor="{prev}", '
        f'<https://s.example/api/0/x/?cursor={nxt}>; rel="next"; '
        f'results="{str(has_next).lower()}"; cursor="{nxt}"'
    )
    links = parse_link_header(header)
    assert [params["rel"] for _, params in links] == ["previous", "next"]
    expected = f"https://s.example/api/0/x/?cursor={nxt}" if has_next else None
    assert next_page_url(header) == expected


@given(st.text(max_size=200))
def test_link_parser_never_raises(header: str) -> None:
    """Arbitrary header text never raises; it yields a URL or None."""
    result = next_page_url(header)
    assert result is None or isinstance(result, str)


def test_backoff_grows_and_is_capped() -> None:
    """Backoff doubles per attempt and never exceeds the maximum wait; jitter takes up to
    its share off each wait (with the random source at its extremes: none, all of it)."""
    exact = RetryPolicy(retries=5, backoff=0.5, max_wait=1.5, jitter=0.0)
    assert [exact.backoff_for(n) for n in (1, 2, 3, 4)] == [0.5, 1.0, 1.5, 1.5]
    top = RetryPolicy(backoff=0.5, max_wait=1.5, jitter=0.5, random=lambda: 0.0)
    bottom = RetryPolicy(backoff=0.5, max_wait=1.5, jitter=0.5, random=lambda: 1.0)
    assert [top.backoff_for(n) for n in (1, 2, 3)] == [0.5, 1.0, 1.5]
    assert [bottom.backoff_for(n) for n in (1, 2, 3)] == [0.25, 0.5, 0.75]


# --------------------------------------------------------------------------- client


async def test_gather_builds_logs_metrics_and_incident_start() -> None:
    """Issues of the window become summary lines, event tracebacks and error series."""
    async with FakeSentry(checkout_sentry()) as fake:
        evidence = await _gather(fake)
    assert evidence.incident_started_at == datetime(2026, 11, 20, 14, 3, 11, tzinfo=UTC)
    assert any(
        line.startswith("2026-11-20T14:03:11Z ERROR Sentry issue CHECKOUT-1F first seen after")
        for line in evidence.logs
    )
    assert (
        "2026-11-20T17:00:00Z ERROR KeyError: 'sku' (checkout/cart.py in apply_discount line 42)"
        in evidence.logs
    )
    total = evidence.metrics[TOTAL_SERIES]["points"]
    assert total[0] == ["2026-11-20T12:00:00Z", 3.0]  # before the deploy: the old timeout only
    assert total[2] == ["2026-11-20T14:00:00Z", 313.0]
    # The staging issue is filtered out by environment.
    assert not any("CHECKOUT-2Z" in line for line in evidence.logs)
    issues_query = next(q for p, q in fake.requests if p.endswith("/issues/"))
    assert issues_query["environment"] == "production"
    assert issues_query["project"] == "42"
    assert issues_query["start"] == "2026-11-20T12:02:00Z"
    assert all(h == "Bearer sntrys_test" for h in fake.auth_headers)


async def test_pagination_follows_link_until_results_false() -> None:
    """Issue listing follows `rel=next` pages and stops where `results="false"`."""
    async with FakeSentry(checkout_sentry(extra_issues=3), page_size=2) as fake:
        evidence = await _gather(fake, caps=SentryCaps(max_issues=50, max_events=1))
    listed = [q.get("cursor") for p, q in fake.requests if p.endswith("/issues/")]
    assert listed == [None, "0:2:0", "0:4:0"]  # 5 production issues in pages of 2
    assert sum("Sentry issue" in line for line in evidence.logs) == 5
    assert any("top 1 of 5 issues" in note for note in evidence.notes)


async def test_issue_cap_is_reported() -> None:
    """More issues than the cap: the most frequent are kept and a note says so."""
    async with FakeSentry(checkout_sentry(extra_issues=4)) as fake:
        evidence = await _gather(fake, caps=SentryCaps(max_issues=2, max_events=2))
    assert sum("Sentry issue" in line for line in evidence.logs) == 2
    assert any("more than 2 issues" in note for note in evidence.notes)


async def test_429_waits_for_sentry_reset_then_succeeds() -> None:
    """A 429 waits as long as X-Sentry-Rate-Limit-Reset says, then the request succeeds."""
    sleeps = Sleeps()
    async with FakeSentry(checkout_sentry()) as fake:
        fake.faults.add(
            Fault(r"/issues/$", status=429, headers={"X-Sentry-Rate-Limit-Reset": str(NOW + 3)})
        )
        evidence = await _gather(fake, sleep=sleeps, http_retries=2)
    assert sleeps.waits == [3.0]
    assert evidence.incident_started_at is not None


async def test_429_without_rate_limit_headers_is_retried_after_the_backoff() -> None:
    """A bare 429 (no Retry-After, no reset header) is retried after the backoff (with its
    jitter: 50-100 % of it), then the request succeeds."""
    sleeps = Sleeps()
    async with FakeSentry(checkout_sentry()) as fake:
        fake.faults.add(Fault(r"/issues/$", status=429, headers={}))
        evidence = await _gather(fake, sleep=sleeps, http_retries=2, retry_backoff=0.5)
    assert len(sleeps.waits) == 1 and 0.25 <= sleeps.waits[0] <= 0.5
    assert sum(path.endswith("/issues/") for path, _ in fake.requests) == 2
    assert evidence.incident_started_at is not None


async def test_429_asking_too_long_gives_up_at_once() -> None:
    """A rate-limit wait beyond the maximum is not slept; the failure is reported."""
    sleeps = Sleeps()
    async with FakeSentry(checkout_sentry()) as fake:
        fake.faults.add(Fault(r"/issues/$", status=429, headers={"Retry-After": "3600"}))
        with pytest.raises(UpstreamError) as caught:
            await _gather(fake, sleep=sleeps, http_retries=2, max_retry_wait=30)
    assert sleeps.waits == []
    assert caught.value.describe("Sentry", "SENTRY_AUTH_TOKEN") == (
        "Sentry rate-limited: HTTP 429 after 1 try"
    )


async def test_persistent_5xx_retries_with_backoff_then_fails() -> None:
    """A persistent 503 is tried 3 times with growing backoff, then reported."""
    sleeps = Sleeps()
    async with FakeSentry(checkout_sentry()) as fake:
        fake.faults.add(Fault(r"/issues/$", status=503, times=None))
        with pytest.raises(UpstreamError) as caught:
            await _gather(fake, sleep=sleeps, http_retries=2, retry_backoff=0.5, retry_jitter=0)
    assert sleeps.waits == [0.5, 1.0]
    assert caught.value.describe("Sentry", "SENTRY_AUTH_TOKEN") == (
        "Sentry unreachable: HTTP 503 after 3 tries"
    )


async def test_timeout_is_retried_then_reported() -> None:
    """A Sentry slower than the timeout is reported as timed out after its tries."""
    async with FakeSentry(checkout_sentry()) as fake:
        fake.faults.add(Fault(r"/issues/$", status=200, delay_s=0.6, times=2))
        with pytest.raises(UpstreamError) as caught:
            await _gather(fake, http_retries=1, http_timeout=0.2)
    assert caught.value.describe("Sentry", "SENTRY_AUTH_TOKEN") == (
        "Sentry unreachable: timed out after 2 tries"
    )


async def test_bad_token_is_an_auth_failure() -> None:
    """HTTP 401 is not retried and names SENTRY_AUTH_TOKEN."""
    async with FakeSentry(checkout_sentry()) as fake:
        with pytest.raises(UpstreamError) as caught:
            await _gather(fake, sentry_auth_token="wrong", http_retries=2)
    assert len(fake.requests) == 1
    assert caught.value.describe("Sentry", "SENTRY_AUTH_TOKEN") == (
        "Sentry: authentication failed (HTTP 401) — check SENTRY_AUTH_TOKEN"
    )


async def test_origin_of_issue_gives_release_and_environment() -> None:
    """An issue id leads to its release and environment via its latest event."""
    async with FakeSentry(checkout_sentry()) as fake:
        settings = integration_settings(sentry=fake)
        async with sentry_session(settings) as session:
            origin = await SentryClient(settings, session).origin("4512345678")
            with pytest.raises(UpstreamNotFound):
                await SentryClient(settings, session).origin("1")
    assert (origin.release, origin.environment, origin.project) == (
        "v1.4.1",
        "production",
        "checkout-api",
    )


async def test_pagination_never_leaves_the_sentry_host() -> None:
    """A Link header pointing at another host is not followed (the token stays home)."""
    async with FakeSentry(checkout_sentry(extra_issues=3), page_size=2) as fake:
        fake.link_base = "http://collector.invalid"
        evidence = await _gather(fake, caps=SentryCaps(max_issues=50, max_events=1))
    assert sum(p.endswith("/issues/") for p, _ in fake.requests) == 1
    assert sum("Sentry issue" in line for line in evidence.logs) == 2
    assert any("pagination left" in note for note in evidence.notes)
