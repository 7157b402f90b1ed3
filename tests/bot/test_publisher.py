"""The throttled publisher: coalescing, Retry-After, and the final state always landing."""

from __future__ import annotations

import asyncio

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import Message
from bot.publisher import ThrottledPublisher
from tests.bot.harness import VirtualTime
from tests.fakes.slack_server import FakeSlack, Scripted, server_error


def _state(i: int) -> Message:
    return Message(
        text=f"state {i}", blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": f"s{i}"}}]
    )


def _publisher(slack: FakeSlack, vt: VirtualTime, interval: float = 1.0) -> ThrottledPublisher:
    client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
    return ThrottledPublisher(
        client, "C1", "1.000001", interval=interval, clock=vt.clock, sleep=vt.sleep
    )


async def _burst(publisher: ThrottledPublisher, vt: VirtualTime, n: int, step: float) -> None:
    for i in range(n):
        publisher.submit(_state(i))
        await vt.sleep(step)
    publisher.finish(_state(-1))


async def test_a_burst_of_states_is_coalesced_to_one_update_per_interval() -> None:
    """500 states in ~5 virtual seconds give at most one update per second and end on the final."""
    vt = VirtualTime()
    async with FakeSlack() as slack:
        publisher = _publisher(slack, vt)
        async with asyncio.TaskGroup() as group:
            group.create_task(publisher.run())
            await _burst(publisher, vt, 500, 0.01)
        sent = publisher.stats.sent_at
        assert all(b - a >= 1.0 for a, b in zip(sent, sent[1:], strict=False))
        assert 2 <= len(sent) <= vt.now + 1
        updates = slack.of("chat.update")
        assert len(updates) == publisher.stats.updates_sent
        assert {(u.body["channel"], u.body["ts"]) for u in updates} == {("C1", "1.000001")}
        assert updates[-1].body["text"] == "state -1"
        assert publisher.stats.final_landed


async def test_429_waits_for_retry_after_then_sends_the_newest_state() -> None:
    """After a 429 with Retry-After: 5 nothing is sent for 5 s, then the newest state."""
    vt = VirtualTime()
    async with FakeSlack() as slack:
        # The 429 answer is slow (real 0.1 s) so newer states surely arrive while it is pending.
        slack.script(
            "chat.update",
            Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "5"}, delay=0.1),
        )
        publisher = _publisher(slack, vt)
        async with asyncio.TaskGroup() as group:
            group.create_task(publisher.run())
            publisher.submit(_state(1))
            while not slack.of("chat.update"):
                await asyncio.sleep(0.001)
            for i in range(2, 6):
                publisher.submit(_state(i))
            while publisher.stats.updates_sent == 0:
                await asyncio.sleep(0.001)
            publisher.finish(_state(-1))
        texts = [u.body["text"] for u in slack.of("chat.update")]
        assert texts == ["state 1", "state 5", "state -1"]
        assert publisher.stats.sent_at[0] >= 5.0
        assert publisher.stats.rate_limited == 1


async def test_429_with_nothing_newer_resends_the_refused_state() -> None:
    """If no newer state arrives, the refused one is sent again once Retry-After has passed."""
    vt = VirtualTime()
    async with FakeSlack() as slack:
        slack.rate_limit("chat.update", retry_after=3)
        publisher = _publisher(slack, vt)
        async with asyncio.TaskGroup() as group:
            group.create_task(publisher.run())
            publisher.submit(_state(1))
            while publisher.stats.updates_sent == 0:
                await asyncio.sleep(0.001)
            publisher.finish(_state(-1))
        texts = [u.body["text"] for u in slack.of("chat.update")]
        assert texts == ["state 1", "state 1", "state -1"]
        assert publisher.stats.sent_at[0] >= 3.0


async def test_the_final_state_lands_despite_429s_and_errors() -> None:
    """A final update refused by 429 twice and a server error once still lands."""
    vt = VirtualTime()
    async with FakeSlack() as slack:
        slack.rate_limit("chat.update", retry_after=2, times=2)
        slack.fail("chat.update", "internal_error")
        publisher = _publisher(slack, vt)
        publisher.finish(_state(-1))
        await asyncio.wait_for(publisher.run(), timeout=5)
        texts = [u.body["text"] for u in slack.of("chat.update")]
        assert texts == ["state -1"] * 4
        assert publisher.stats.final_landed


async def test_blocks_refused_by_slack_fall_back_to_the_text() -> None:
    """`invalid_blocks` on the final state is followed by a text-only update that lands."""
    vt = VirtualTime()
    async with FakeSlack() as slack:
        slack.fail("chat.update", "invalid_blocks")
        publisher = _publisher(slack, vt)
        publisher.finish(_state(-1))
        await asyncio.wait_for(publisher.run(), timeout=5)
        bodies = [u.body for u in slack.of("chat.update")]
        assert len(bodies) == 2
        assert bodies[1]["text"] == "state -1"
        assert [b["text"]["text"] for b in bodies[1]["blocks"]] == ["state -1"]
        assert publisher.stats.final_landed


async def test_a_final_that_never_lands_gives_up_at_its_deadline() -> None:
    """When Slack keeps failing, the final state is retried with backoff until the deadline."""
    vt = VirtualTime()
    async with FakeSlack(clock=vt.clock) as slack:
        slack.outage("chat.update", 10_000, server_error(502))
        publisher = _publisher(slack, vt)
        publisher.finish(_state(-1))
        await asyncio.wait_for(publisher.run(), timeout=5)
        tries = [call.at for call in slack.of("chat.update")]
        assert not publisher.stats.final_landed
        # Tried right up to the 600 s deadline (the last try on it), never past it.
        assert tries[-1] == 600.0 and vt.now == 600.0
        # Backoff: pauses grow, capped at 30 s, so ~25 tries in 10 minutes rather than 600.
        pauses = [b - a for a, b in zip(tries, tries[1:], strict=False)]
        assert pauses[:4] == [1.0, 2.0, 4.0, 8.0] and max(pauses) == 30.0
        assert 15 <= len(tries) <= 30


@pytest.mark.looptime
async def test_burst_on_the_loop_clock_is_spaced_at_the_fake_server() -> None:
    """On the loop's clock and sleep (virtual time: looptime), a 0.8 s burst with a 0.2 s
    interval reaches the fake server as one update per 0.2 s, ending on the final state."""
    loop = asyncio.get_running_loop()
    async with FakeSlack(clock=loop.time) as slack:
        client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
        publisher = ThrottledPublisher(client, "C1", "1.000001", interval=0.2, clock=loop.time)
        async with asyncio.TaskGroup() as group:
            group.create_task(publisher.run())
            for i in range(100):
                publisher.submit(_state(i))
                await asyncio.sleep(0.008)
            publisher.finish(_state(-1))
        times = [u.at for u in slack.of("chat.update")]
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        texts = [u.body["text"] for u in slack.of("chat.update")]
        # Requests take no loop time: sends at 0, 0.2, ... 0.8 s (the newest state each time),
        # then the final one interval after the last.
        assert gaps == [pytest.approx(0.2)] * 5
        assert (texts[0], texts[-2], texts[-1]) == ("state 0", "state 99", "state -1")


@pytest.mark.looptime
async def test_default_interval_is_one_edit_per_second() -> None:
    """Without an interval argument, a message is edited at most once a second: the
    production default that keeps a run within Slack's chat.update rate (Tier 3)."""
    loop = asyncio.get_running_loop()
    async with FakeSlack(clock=loop.time) as slack:
        client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
        publisher = ThrottledPublisher(client, "C1", "1.000001", clock=loop.time)
        async with asyncio.TaskGroup() as group:
            group.create_task(publisher.run())
            for i in range(250):
                publisher.submit(_state(i))
                await asyncio.sleep(0.01)
            publisher.finish(_state(-1))
        times = [u.at for u in slack.of("chat.update")]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert gaps == [pytest.approx(1.0)] * 3


async def test_unreachable_slack_neither_crashes_nor_loops_forever() -> None:
    """With nothing listening at the API URL, the publisher gives up at its deadline."""
    vt = VirtualTime()
    async with FakeSlack() as slack:
        dead_url = slack.api_url  # the fake closes when the block ends: the port goes dead
    client = AsyncWebClient(token="xoxb-test", base_url=dead_url, timeout=2)
    client.retry_handlers.clear()  # no transport retries: count the publisher's own attempts
    publisher = ThrottledPublisher(
        client, "C1", "1.000001", interval=1.0, clock=vt.clock, sleep=vt.sleep
    )
    publisher.submit(_state(1))
    publisher.finish(_state(-1))
    await asyncio.wait_for(publisher.run(), timeout=30)
    assert not publisher.stats.final_landed
    assert vt.now == 600.0 and 15 <= publisher.stats.errors <= 31


async def test_an_error_that_waiting_cannot_fix_ends_the_final_attempts_at_once() -> None:
    """`message_not_found` on the final state is not retried for minutes: one try, then done."""
    vt = VirtualTime()
    async with FakeSlack(clock=vt.clock) as slack:
        slack.fail("chat.update", "message_not_found", times=10)
        publisher = _publisher(slack, vt)
        publisher.finish(_state(-1))
        await asyncio.wait_for(publisher.run(), timeout=5)
        assert len(slack.of("chat.update")) == 1
        assert not publisher.stats.final_landed and vt.now < 2


async def test_a_bare_429_waits_one_second_and_every_429_is_counted() -> None:
    """Two 429s without Retry-After: each waits Slack's default second, both are counted,
    and the refused state then lands."""
    vt = VirtualTime()
    async with FakeSlack() as slack:
        bare = Scripted(429, {"ok": False, "error": "ratelimited"}, {})
        slack.script("chat.update", bare, bare)
        publisher = _publisher(slack, vt, interval=0.25)
        async with asyncio.TaskGroup() as group:
            group.create_task(publisher.run())
            publisher.finish(_state(-1))
        assert publisher.stats.rate_limited == 2
        assert publisher.stats.final_landed
        assert publisher.stats.sent_at == [pytest.approx(2.0)]
