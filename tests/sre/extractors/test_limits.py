"""Usage series paired with the limit series exported beside them."""

from __future__ import annotations

from sre.extractors.limits import paired_limits


def test_usage_pairs_with_the_limit_of_the_same_entity() -> None:
    """`redis_memory_used_bytes` pairs with `redis_memory_max_bytes` of the same labels;
    another instance's limit and a limit of zero (unlimited) pair with nothing."""
    used = 'redis_memory_used_bytes{instance="redis-0"}'
    found = paired_limits(
        [
            (used, [1.0, 2.0]),
            ('redis_memory_max_bytes{instance="redis-0"}', [4.0, 4.0]),
            ('redis_memory_used_bytes{instance="redis-1"}', [1.0]),
            ('redis_memory_max_bytes{instance="redis-2"}', [4.0]),
            ('redis_memory_used_bytes{instance="redis-3"}', [1.0]),
            ('redis_memory_max_bytes{instance="redis-3"}', [0.0]),
        ]
    )
    assert found == {used: ('redis_memory_max_bytes{instance="redis-0"}', 4.0)}


def test_two_word_usage_markers_and_other_limit_words_pair() -> None:
    """`hikaricp_connections_active`/`_max` and `..._working_set_bytes`/`..._limit_bytes`."""
    found = paired_limits(
        [
            ('hikaricp_connections_active{pool="orders"}', [10.0]),
            ('hikaricp_connections_max{pool="orders"}', [10.0]),
            ('container_memory_working_set_bytes{pod="cart-1"}', [9e8]),
            ('container_memory_limit_bytes{pod="cart-1"}', [1e9]),
        ]
    )
    assert found['hikaricp_connections_active{pool="orders"}'][1] == 10.0
    assert found['container_memory_working_set_bytes{pod="cart-1"}'][1] == 1e9


def test_counters_named_total_are_no_limit() -> None:
    """`..._total` ends every Prometheus counter: it is not a ceiling."""
    assert paired_limits([("http_requests_active", [5.0]), ("http_requests_total", [9.0])]) == {}
