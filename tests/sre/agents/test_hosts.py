"""Which workload stands behind a bare address: by its port's technology and the names."""

from __future__ import annotations

import pytest

from sre.agents.hosts import address_owner

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
