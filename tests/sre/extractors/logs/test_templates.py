"""Tests for masking and template mining (`sre.extractors.logs.templates`, `mine_templates`)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sre.extractors.logs.extract import mine_templates
from sre.extractors.logs.templates import TemplateMiner, mask, mine_messages


@pytest.mark.parametrize(
    ("message", "masked"),
    [
        ("took 153ms status=503", "took <*> status=<*>"),
        ("dial tcp 10.0.3.7:5432: refused", "dial tcp <*>:<*>: refused"),
        ("id 3f2a9c1e-0b4d-4e8f-9a7b-1c2d3e4f5a6b done", "id <*> done"),
        ("mail to bob.smith@example.com failed", "mail to <*> failed"),
        ('user "alice" not found', "user <*> not found"),
        ("GET /api/orders/42?page=2 ok", "GET /api/orders/<*><*> ok"),
        ("block blk_-1608999687919862906 served", "block <*> served"),
        ("ptr 0x7f3a2b at frame", "ptr <*> at frame"),
        ("no variables here", "no variables here"),
    ],
)
def test_mask_examples(message: str, masked: str) -> None:
    """Numbers, IPs, ports, UUIDs, e-mails, quoted values and ids are masked; words kept."""
    assert mask(message) == masked


def test_miner_merges_variable_words() -> None:
    """Lines differing in one word out of several share a template with `<*>` there."""
    miner = TemplateMiner()
    a = miner.add("user alice logged in from web")
    b = miner.add("user bob logged in from web")
    assert a.id == b.id
    assert a.template == "user <*> logged in from web"
    assert a.size == 2


def test_miner_keeps_different_events_apart() -> None:
    """Lines with mostly different constant words get different templates."""
    ids = mine_messages(
        [
            "connection pool exhausted for db",
            "cache warmed up in region",
            "connection pool exhausted for db",
        ]
    )
    assert ids == [0, 1, 0]


def test_mine_templates_strips_envelopes() -> None:
    """Plain, JSON and logfmt lines with the same message share a template id."""
    ids = mine_templates(
        [
            "2026-11-20T14:03:11Z ERROR payment 42 declined",
            '{"ts": "2026-11-20T14:03:12Z", "level": "error", "msg": "payment 43 declined"}',
            'time=2026-11-20T14:03:13Z level=error msg="payment 44 declined"',
            "2026-11-20T14:03:14Z INFO cart emptied by shopper",
        ]
    )
    assert ids[0] == ids[1] == ids[2]
    assert ids[3] != ids[0]


def test_mine_templates_names_ids_in_order_of_first_appearance() -> None:
    """Lines differing only in their numbers share T0; the next new message is T1."""
    lines = [f"job {i % 3} step {i} finished" for i in range(50)] + ["other thing happened"]
    assert mine_templates(lines) == ["T0"] * 50 + ["T1"]


_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=10)
_VAR = st.one_of(
    st.integers(min_value=0, max_value=10**12).map(str),
    st.uuids().map(str),
    st.ip_addresses(v=4).map(str),
    st.integers(min_value=0, max_value=2**32).map(lambda n: f"0x{n:x}1"),
    st.integers(min_value=1, max_value=9999).map(lambda n: f"{n}ms"),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_WORD, min_size=2, max_size=8), st.lists(_VAR, min_size=4, max_size=4))
def test_template_stable_under_variables(words: list[str], values: list[str]) -> None:
    """A message's template does not change when its numbers/ids/IPs change."""
    first = " ".join(words) + f" id={values[0]} at {values[1]}"
    second = " ".join(words) + f" id={values[2]} at {values[3]}"
    assert mask(first) == mask(second)
    ids = mine_messages([first, second])
    assert ids[0] == ids[1]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(_WORD, min_size=3, max_size=6, unique=True),
    st.lists(_WORD, min_size=3, max_size=6, unique=True),
)
def test_different_constant_words_different_templates(a: list[str], b: list[str]) -> None:
    """Messages of the same length whose words mostly differ get different templates."""
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    same = sum(x == y for x, y in zip(a, b, strict=True))
    if same * 2 >= n:  # half or more positions agree: Drain's rule may merge them
        return
    ids = mine_messages([" ".join(a), " ".join(b)])
    assert ids[0] != ids[1]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_mask_never_raises_and_is_idempotent(text: str) -> None:
    """Masking any text works and masking twice changes nothing more."""
    once = mask(text)
    assert mask(once) == once


def test_max_clusters_bounds_templates() -> None:
    """Past `max_clusters`, unseen shapes share one overflow cluster; known ones still match."""
    miner = TemplateMiner(max_clusters=3)
    firsts = [miner.add(f"{w} {w} {w} happened").id for w in ("aa", "bb", "cc")]
    overflow = {miner.add(f"{w} {w} {w} happened").id for w in ("dd", "ee", "ff")}
    assert firsts == [0, 1, 2]
    assert overflow == {3}
    assert miner.add("bb bb bb happened").id == 1
    assert len(miner.clusters) == 4
