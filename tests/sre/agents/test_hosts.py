"""Which workload stands behind a bare address: by its port's technology and the names."""

from __future__ import annotations

import pytest

from sre.agents.hosts import address_owner, stem_named, workload_stems

WORKLOADS = ["rate", "profile", "memcached-rate", "memcached-profile", "mongodb-rate:9216"]


def test_the_only_workload_of_the_ports_technology_owns_the_address() -> None:
    assert address_owner("10.96.0.7:6379", ["cart", "redis-cart", "frontend"]) == "redis-cart"


def test_among_several_stores_the_one_named_after_the_caller_owns_it() -> None:
    owner = address_owner("10.96.44.193:11211", WORKLOADS, callers=["rate"])
    assert owner == "memcached-rate"
    assert address_owner("10.96.44.193:27017", WORKLOADS, callers=["rate"]) == "mongodb-rate"


@pytest.mark.parametrize(
    ("address", "callers"),
    [
        ("10.96.44.193:11211", []),  # two memcacheds and no caller to choose by
        ("10.96.44.193:11211", ["search"]),  # neither is named after this caller
        ("10.96.44.193:8080", ["rate"]),  # a port that says nothing of what listens
        ("memcached.svc:11211", ["rate"]),  # already a name
        ("10.96.44.193:5432", ["rate"]),  # no postgres among the workloads
    ],
)
def test_no_owner_when_the_names_do_not_decide(address: str, callers: list[str]) -> None:
    assert address_owner(address, WORKLOADS, callers=callers) is None


def test_a_workloads_distinctive_word_is_neither_a_kind_nor_the_systems_prefix() -> None:
    """`adservice` -> `ad`; among `ts-` services the shared prefix is no one's word, so
    `ts-contacts-service` -> `contacts`; a word two workloads share names neither."""
    stems = workload_stems(
        ["adservice", "ts-contacts-service", "ts-order-service", "ts-route-service"]
        + ["cart-api", "cart-service"]
    )
    assert stems["ad"] == "adservice"
    assert stems["contacts"] == "ts-contacts-service"
    assert "ts" not in stems and "cart" not in stems
    assert stem_named("could not retrieve contacts: 503", stems) == "ts-contacts-service"
