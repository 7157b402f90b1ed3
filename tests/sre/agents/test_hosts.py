"""Which workload stands behind a bare address: by its port's technology and the names."""

from __future__ import annotations

import pytest

from sre.agents.base import Evidence
from sre.agents.hosts import address_owner, address_owners, stem_named, workload_stems
from tests.sre.builders import Signals, incident

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


def _owners(s: Signals) -> dict[str, str]:
    return address_owners(Evidence.build(s.items, incident()))


_REFUSED = "[pod/{pod}/server] dial tcp {address}: connect: connection refused"


def test_the_one_workload_listening_on_the_port_owns_the_address() -> None:
    """`productcatalogservice` announced `:3550`; the frontend fails on 10.44.2.215:3550.
    A port two workloads announced (8080) is no one's."""
    s = Signals()
    s.volume(listeners={"3550": ["productcatalogservice"], "8080": ["cart", "orders"]})
    for address in ("10.44.2.215:3550", "10.44.2.9:8080"):
        s.dependency(
            address,
            ["connection_refused"],
            example=_REFUSED.format(pod="frontend-gkqzwg5hx-gnv5m", address=address),
        )
    assert _owners(s) == {"10.44.2.215:3550": "productcatalogservice"}


def test_the_port_a_failing_probe_called_is_its_pods() -> None:
    """A probe of `cartservice`'s pod fails on `:7070`: a Service IP on 7070 is cartservice."""
    s = Signals()
    s.signature(
        "probe_failed",
        None,
        'Readiness probe failed: timeout: failed to connect service ":7070" within 1s',
        obj="cartservice-78k75pd2v2-hmrpx",
    )
    s.dependency(
        "10.96.41.201:7070",
        ["connection_refused"],
        example=_REFUSED.format(pod="checkoutservice-xnqwtgp6g-zmw4w", address="10.96.41.201:7070"),
    )
    assert _owners(s) == {"10.96.41.201:7070": "cartservice"}


def test_a_proxys_authority_names_the_address_unless_it_is_the_proxys_own() -> None:
    """An egress gateway's line gives `"api.paygrid.io" "34.117.22.10:443"`: the address is
    the payment API's. At an edge gateway the authority is the gateway's own public name."""
    envoy = (
        '[{pod}/envoy] "POST /v1/payment_intents HTTP/1.1" 503 - 515 180 2348 2345 "-" '
        '"httpx" "bcac5022" "{authority}" "{address}"'
    )
    s = Signals()
    for pod, authority, address in (
        ("egress-gateway-vnfkdsz99j-v28fb", "api.paygrid.io", "34.117.22.10:443"),
        ("webshoppingapigw-w9wfbcv9fd-qpkz2", "webshoppingapigw", "10.244.1.161:80"),
    ):
        example = envoy.format(pod=pod, authority=authority, address=address)
        s.dependency(address, ["http_5xx"], example=example)
    assert _owners(s) == {"34.117.22.10:443": "api.paygrid.io"}


def test_failing_calls_that_name_a_workloads_word_own_the_address() -> None:
    """`could not retrieve cart: ... dial tcp 10.96.41.201:7070` names `cartservice`; the
    emitter's own word in its collector prefix (`frontend`) names no one."""
    s = Signals()
    for workload in ("cartservice", "frontend", "checkoutservice"):
        s.entity_logs(workload, 5.0)
    s.dependency(
        "10.96.41.201:7070",
        ["connection_refused"],
        example=(
            "[pod/frontend-nnpcb58dfp-m49jk/server] could not retrieve cart: rpc error: "
            "dial tcp 10.96.41.201:7070: connect: connection refused"
        ),
    )
    s.dependency(
        "10.96.41.9:5050",
        ["connection_refused"],
        example=("[pod/frontend-nnpcb58dfp-m49jk/server] request failed: dial tcp 10.96.41.9:5050"),
    )
    assert _owners(s) == {"10.96.41.201:7070": "cartservice"}


def test_a_pod_in_a_collectors_prefix_is_the_emitter_not_the_callee() -> None:
    stems = workload_stems(["frontend", "productcatalogservice", "cartservice"])
    line = "boutique/frontend-px8mgb674b-wdnbb/istio-proxy POST /hipstershop.X/GetY 503"
    assert stem_named(line, stems) is None
    assert stem_named(f"{line} could not retrieve cart", stems) == "cartservice"


def _refused_while(restarting: list[str]) -> dict[str, str]:
    s = Signals()
    s.dependency(
        "10.100.42.187:80",
        ["connection_refused"],
        example=_REFUSED.format(pod="front-end-jbwqv5r7c-4cspk", address="10.100.42.187:80"),
    )
    for pod in restarting:
        s.anomaly(
            f'kube_pod_container_status_restarts_total{{namespace="shop",pod="{pod}"}}', 0.0, 4.0
        )
    return _owners(s)


def test_the_one_workload_restarting_owns_the_address_its_callers_are_refused_at() -> None:
    """Refused at a bare Service IP while only `carts` restarts: the address is carts';
    with two workloads restarting, or none, it stays unnamed."""
    assert _refused_while(["carts-t7s8phscm-6n8mr"]) == {"10.100.42.187:80": "carts"}
    assert _refused_while(["carts-t7s8phscm-6n8mr", "orders-b8dthq7p6k-p8tfm"]) == {}
    assert _refused_while([]) == {}
