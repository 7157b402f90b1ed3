"""Masking and template mining: group log messages that differ only in their variables.

The miner is masking-first and Drain-like, simplified for speed:

1. `mask` replaces the obvious variables with `<*>` in two regex passes done in C:
   quoted values, e-mails and URLs' query strings first, then every run of characters
   containing a digit between separators (numbers, ids, hex, UUIDs, IPs, ports,
   durations such as `150ms`, `user123`). Separators (`= : , ; / ( ) [ ] { }` and
   whitespace) are kept, so `status=503` becomes `status=<*>` and keys stay readable.
2. An exact-match cache maps a masked message to its cluster: real logs repeat a small
   number of masked shapes, so most lines cost one dict lookup after masking.
3. Unseen shapes go to a bucket keyed by (token count, first token) and join the most
   similar cluster when at least `similarity` of token positions agree (Drain's rule);
   positions that differ become `<*>` in the cluster's template. Otherwise a new cluster.

Cluster ids are dense integers in order of first appearance, so results are deterministic
for a given input order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sre.extractors.logs.shapes import KEY_RE

WILDCARD = "<*>"

# Pass 1: multi-character variables whose text may contain no digit at all.
_PASS1_RE = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail
    r"|(?<=[\s=:(\[])'[^'\s]{1,64}'"  # 'quoted-single-token'
    r'|"[^"]{0,80}"'  # "quoted value"
    r"|\?[^\s\"']+"  # URL query string
    r"|\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
    r"|\b[a-f]{6,}\b(?=[^\s]*\d)"  # a letters-only hex chunk glued to digits later
)
_SPACES_RE = re.compile(r"\s+")

# Exact-match cache entries kept at most (bounds memory on adversarial, all-unique input).
_CACHE_LIMIT = 200_000
# Clusters compared per bucket at most before a new cluster is opened (bounds CPU).
_BUCKET_SCAN_LIMIT = 200


def mask(message: str) -> str:
    """Replace variable parts of a message with `<*>` (see module docstring). Pure."""
    if '"' in message or "@" in message or "'" in message or "?" in message:
        message = _PASS1_RE.sub(WILDCARD, message)
    # Pass 2: every separator-delimited run holding a digit, the runs a line's shape key
    # replaces (`shapes.KEY_RE`), so lines of one shape get one mask.
    return KEY_RE.sub(WILDCARD, message)


@dataclass(slots=True)
class Cluster:
    """A template: tokens (with `<*>` where lines differ) and how many messages matched."""

    id: int
    tokens: list[str]
    size: int = 0

    @property
    def template(self) -> str:
        """The template text (tokens joined with single spaces)."""
        return " ".join(self.tokens)


@dataclass
class TemplateMiner:
    """Streaming template miner; `add` returns the cluster of each message.

    Args:
        similarity: Share of token positions that must agree for a message to join an
            existing cluster of the same length and first token (Drain's `sim_th`).
        max_clusters: When set, messages that would open a cluster beyond this many all go
            to one overflow cluster (template `<*>`), bounding memory on junk input.
    """

    similarity: float = 0.5
    max_clusters: int | None = None
    clusters: list[Cluster] = field(default_factory=list)
    _exact: dict[str, Cluster] = field(default_factory=dict)
    _by_message: dict[str, Cluster] = field(default_factory=dict)
    _overflow_cluster: Cluster | None = None
    _buckets: dict[tuple[int, str], list[Cluster]] = field(default_factory=dict)

    def add(self, message: str) -> Cluster:
        """Mask `message`, find or create its cluster, count it, and return the cluster."""
        # Unmasked messages repeat too (and `LineParser` hands out the same representative
        # string for lines of one shape), so a lookup before masking saves most masks.
        cluster = self._by_message.get(message)
        if cluster is None:
            masked = mask(message)
            cluster = self._exact.get(masked)
            if cluster is None:
                cluster = self._place(masked)
                if len(self._exact) < _CACHE_LIMIT:
                    self._exact[masked] = cluster
            if len(self._by_message) < _CACHE_LIMIT:
                self._by_message[message] = cluster
        cluster.size += 1
        return cluster

    def settled(self, message: str) -> Cluster | None:
        """The cluster `add(message)` returns from now on, if that can no longer change.

        A remembered message always maps to its cluster; any other is placed afresh, and
        placement depends on the clusters seen so far.
        """
        return self._by_message.get(message)

    def _place(self, masked: str) -> Cluster:
        tokens = masked.split()
        if not tokens:
            tokens = [WILDCARD] if masked else []
        first = tokens[0] if tokens else ""
        key = (len(tokens), WILDCARD if WILDCARD in first else first)
        bucket = self._buckets.setdefault(key, [])
        best, best_score = self._best_match(bucket, tokens)
        if best is not None and best_score >= self.similarity:
            _generalise(best, tokens)
            return best
        if self.max_clusters is not None and len(self.clusters) >= self.max_clusters:
            return self._overflow()
        cluster = Cluster(len(self.clusters), tokens)
        self.clusters.append(cluster)
        bucket.append(cluster)
        return cluster

    def _overflow(self) -> Cluster:
        if self._overflow_cluster is None:
            self._overflow_cluster = Cluster(len(self.clusters), [WILDCARD])
            self.clusters.append(self._overflow_cluster)
        return self._overflow_cluster

    @staticmethod
    def _best_match(bucket: list[Cluster], tokens: list[str]) -> tuple[Cluster | None, float]:
        n = len(tokens)
        if n == 0:
            return (bucket[0] if bucket else None), 1.0
        best: Cluster | None = None
        best_score = -1.0
        # Newest first: recent templates are the likeliest, and the scan is bounded.
        for cluster in reversed(bucket[-_BUCKET_SCAN_LIMIT:]):
            same = compared = 0
            for a, b in zip(cluster.tokens, tokens, strict=True):
                if a == b:
                    if WILDCARD in a:
                        continue  # equal masked tokens (`[<*>]`) say nothing either way
                    same += 1
                compared += 1
            score = same / compared if compared else 1.0
            if score > best_score:
                best, best_score = cluster, score
        return best, best_score


def _generalise(cluster: Cluster, tokens: list[str]) -> None:
    for i, (a, b) in enumerate(zip(cluster.tokens, tokens, strict=True)):
        if a != b and a != WILDCARD:
            cluster.tokens[i] = WILDCARD


def mine_messages(messages: list[str], similarity: float = 0.5) -> list[int]:
    """Cluster ids (dense, in order of first appearance), one per message."""
    miner = TemplateMiner(similarity=similarity)
    return [miner.add(m).id for m in messages]


def normalise_spaces(text: str) -> str:
    """Collapse whitespace runs to one space (templates are shown this way)."""
    return _SPACES_RE.sub(" ", text).strip()
