"""Dependencies that errors point at: hosts, HTTP statuses and error kinds.

Everything here reads one error record's text (and its logfmt/JSON fields) and is pure.
A *host* is a hostname or IP as written in the line, lower-cased, with its port when the
line gives one (`payments.internal:443`, `10.0.3.7:5432`, `inventory-svc:8080`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sre.extractors.logs.shapes import ZERO_DIGITS

ERROR_KINDS = ("timeout", "connection_refused", "http_5xx", "tls", "dns", "auth", "reset")

# Substrings of the lower-cased line naming each kind: `in` checks are far cheaper than
# a case-insensitive regex alternation on every error line.
_KIND_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "timeout",
        (
            "timed out",
            "time out",
            "timeout",
            "deadline exceeded",
            "deadlineexceeded",  # gRPC `code = DeadlineExceeded`
            "deadline_exceeded",
            "took too long",
        ),
    ),
    ("connection_refused", ("connection refused", "econnrefused", "refused to connect")),
    ("reset", ("connection reset", "econnreset", "reset by peer", "broken pipe", "eof occurred")),
    ("tls", ("certificate", "x509", "handshake fail")),
    (
        "dns",
        (
            "no such host",
            "name or service not known",
            "enotfound",
            "getaddrinfo",
            "nxdomain",
            "name resolution",
            "could not resolve",
            "unknownhost",
            "unknown host",
            "resolve host",
        ),
    ),
    (
        "auth",
        (
            "unauthorized",
            "unauthorised",
            "forbidden",
            "authentication fail",
            "auth error",
            "authentication error",
            "permission denied",
            "access denied",
            "invalid credentials",
            "invalid token",
            "token expired",
            "not authorized",
        ),
    ),
)
# `tls`/`ssl` need word boundaries (`classloader` contains `ssl`).
_TLS_WORD_RE = re.compile(r"\b(?:tls|ssl)\b")

# The leading lookahead lists every first character a match can have (`s`tatus, `h`ttp,
# `c`ode, `r`esponse, `g`ot/`g`et, `p`ost, `d`elete, `o`ptions, a status digit): it changes
# no match, but lets most positions fail at once (the pattern runs on every error line).
# Reason phrases that make a bare three-digit number a status (`503 bad gateway`).
_STATUS_PHRASES = (
    r"internal server error|bad gateway|service unavailable|gateway timeout|"
    r"unauthorized|forbidden|not found|too many requests|bad request"
)
_STATUS_RE = re.compile(
    r"(?=[schrgpdo1-5])(?:"
    r"(?:status(?:[_ ]?code)?|http[_ ]?status|code|response|returned|responded(?: with)?|"
    r"got|received)[\"']?\s*[=:]?\s*[\"']?([1-5]\d\d)\b"
    r"|http/\d(?:\.\d)?\"?\s+([1-5]\d\d)\b"
    r"|\b(?:get|post|put|delete|patch|head|options) /\S* ([1-5]\d\d)\b"
    rf"|\b([1-5]\d\d) (?:{_STATUS_PHRASES}))"
)
_THREE_DIGITS_RE = re.compile(r"\d\d\d")
_URL_HOST_RE = re.compile(
    r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,15}://(?:[^@/\s]+@)?([A-Za-z0-9][A-Za-z0-9.-]*)(?::(\d{1,5}))?"
)
_HOST_PORT_RE = re.compile(
    r"(?<![\w./@-])((?:\d{1,3}\.){3}\d{1,3}|[A-Za-z][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)*)"
    r":(\d{2,5})\b(?![.:]\d)"
)
# Envoy's default access-log format ends `"%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"` (Istio's
# adds fields after): a host name, then the IP:port the request was sent to.
_ENVOY_UPSTREAM_RE = re.compile(
    r'"([A-Za-z][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)*)(?::(\d{1,5}))?" '
    r'"((?:\d{1,3}\.){3}\d{1,3}:\d{1,5})"'
)
# Istio names the Service called (`outbound|8080||ledger.prod.svc.cluster.local`) beside the
# pod address the request went to (`"upstream_host":"10.88.28.32:8080"`).
_ISTIO_CLUSTER_RE = re.compile(r"\boutbound\|(\d{1,5})\|[^|\s]*\|([a-z0-9][a-z0-9.-]*[a-z0-9])")
_UPSTREAM_HOST_RE = re.compile(r"upstream_host[\"']?\s*[:=]\s*[\"']?([\d.]+:\d{1,5})")
# Words right before an address that make it the client's, not a dependency's.
_CLIENT_BEFORE_RE = re.compile(
    r"(?:serving|client|remote|remote_addr|client_ip|client_addr|from client|accepted"
    r"|remote_address|local_address|client_address|handshake from|connection from)"
    r"[\s=:\"']{1,3}\[?$"
)
# Words right before a URL that make it a link to read (`Background on this error at:
# https://sqlalche.me/e/...`, `see https://docs...`), not a dependency being called.
_DOC_BEFORE_RE = re.compile(
    r"(?:\bsee|\bvisit|refer to|documentation|\bdocs?|more (?:info(?:rmation)?|details)|"
    r"learn more|background on this error at|help|faq|status at|status page)[\s:(\"'<]{0,4}$",
    re.I,
)
# Data written somewhere (`records to <topic>-<partition>`, `rows to <schema>.<table>`):
# what follows is where the data goes, not a host.
_DATA_BEFORE_RE = re.compile(r"\b(?:records|messages|events|rows|entries) to\s+$")
# nginx error-log fields that describe the request itself (see `hosts_in`).
_REQUEST_FIELD_BEFORE_RE = re.compile(r"\b(?:host|server|referrer|referer): \"?$")
_PROSE_HOST_RE = re.compile(
    r"\b(?:to|upstream|calling|call|host|server|backend|peer|lookup|from|reach|reaching)"
    r"\s+(?:host\s+)?([a-z][a-z0-9-]*(?:\.[a-z0-9-]+)+)\b(?![.(])"
)
_FIELD_HOST_KEYS = frozenset(
    {
        "host",
        "upstream",
        "upstream_addr",
        "upstream_host",
        "peer",
        "peer_addr",
        "peer.address",
        "remote_addr",
        "addr",
        "address",
        "target",
        "endpoint",
        "dependency",
        "backend",
        "destination",
        "dest",
        "db_host",
        "db.host",
        "server_address",
        "url",
        "net.peer.name",
        "server.address",
    }
)
_FILE_EXTS = (
    ".py",
    ".java",
    ".go",
    ".js",
    ".ts",
    ".rb",
    ".kt",
    ".scala",
    ".cs",
    ".php",
    ".c",
    ".cpp",
    ".h",
    ".rs",
    ".log",
    ".yaml",
    ".yml",
    ".json",
    ".txt",
    ".html",
    ".jsx",
    ".tsx",
    ".mjs",
    ".cjs",
    ".lua",
    ".pl",
    ".sh",
    ".ex",
    ".exs",
    ".erl",
    ".swift",
    ".dart",
    ".vue",
    ".cc",
    ".hpp",
    ".cxx",
    ".fs",
    ".groovy",
    ".clj",
    ".hs",
    ".ml",
    ".sql",
    ".tf",
    ".toml",
    ".ini",
    ".conf",
    ".cfg",
    ".xml",
    ".properties",
    ".gradle",
    ".jar",
    ".class",
    ".so",
    ".dll",
    ".parquet",
    ".csv",
    ".tmp",
    ".lock",
    ".pid",
    ".sock",
    ".pem",
    ".crt",
    ".key",
)
# Words that precede a colon and a number without being hosts (`line:42`, `timeout:5000`).
_NOT_HOSTS = frozenset(
    {
        "line",
        "port",
        "status",
        "code",
        "retry",
        "retries",
        "attempt",
        "attempts",
        "count",
        "size",
        "duration",
        "elapsed",
        "took",
        "latency",
        "id",
        "pid",
        "tid",
        "user",
        "limit",
        "offset",
        "len",
        "length",
        "http",
        "https",
        "error",
        "errno",
        "time",
        "ms",
        "timeout",
        "total",
        "max",
        "min",
        "version",
        "v",
        "step",
        "batch",
        "page",
        "index",
        "row",
        "col",
        "column",
        "value",
        "shard",
        "partition",
        "thread",
        "worker",
        "request",
        "order",
        "item",
    }
)


@dataclass(frozen=True, slots=True)
class DepFacts:
    """What one error record says about dependencies."""

    hosts: tuple[str, ...]
    kinds: tuple[str, ...]
    statuses: tuple[int, ...]


def status_codes(text: str) -> tuple[int, ...]:
    """HTTP status codes named in a line (`status=503`, `HTTP/1.1" 502`, `returned 500`)."""
    found: list[int] = []
    if _THREE_DIGITS_RE.search(text) is None:
        return ()
    for m in _STATUS_RE.finditer(text.lower()):
        code = int(next(g for g in m.groups() if g))
        if code not in found:
            found.append(code)
    return tuple(found)


# Runs of exactly three ASCII digits: in an ASCII line, the only places `_STATUS_RE` can
# take a status from (see `StatusReader`).
_THREE_RUN_RE = re.compile(r"(?<![0-9])[0-9]{3}(?![0-9])")
_READER_LIMIT = 50_000
# Remembered 1-5 patterns per line structure at most (a line may hold many runs).
_PATTERNS_PER_KEY = 64


class StatusReader:
    """`status_codes` for many lines, remembered per line structure (same results).

    In an ASCII line every `_STATUS_RE` alternative takes its status from a run of exactly
    three digits (no digit may come right before it, and a word boundary or a space must
    come right after), and the only digit whose value it tests is such a run's first
    (`[1-5]`); every other test sees only *whether* a character is a digit. So lines with
    the same digit-blind key (every ASCII digit read as `0`) whose runs start with a 1-5 at
    the same runs have their statuses in the same runs: which runs is remembered, and each
    line reads only its own digits there.
    """

    def __init__(self) -> None:
        self._keys: dict[bytes, tuple[tuple[int, ...], dict[int, tuple[int, ...]]]] = {}

    def read(self, raw: str) -> tuple[int, ...]:
        """`status_codes(raw)`."""
        if not raw.isascii():
            return status_codes(raw)
        blind = raw.encode().translate(ZERO_DIGITS)
        known = self._keys.get(blind)
        if known is None:
            if b"000" not in blind:
                return ()  # no three digits in a row: no status
            known = (tuple(m.start() for m in _THREE_RUN_RE.finditer(raw)), {})
            if len(self._keys) < _READER_LIMIT:
                self._keys[blind] = known
        runs, by_pattern = known
        pattern = 0
        for i, start in enumerate(runs):
            if "1" <= raw[start] <= "5":
                pattern |= 1 << i
        taken = by_pattern.get(pattern)
        if taken is None:
            taken = _status_runs(raw, runs)
            if taken is None:
                return status_codes(raw)
            if len(by_pattern) < _PATTERNS_PER_KEY:
                by_pattern[pattern] = taken
        found: list[int] = []
        for start in taken:
            code = int(raw[start : start + 3])
            if code not in found:
                found.append(code)
        return tuple(found)


def _status_runs(raw: str, runs: tuple[int, ...]) -> tuple[int, ...] | None:
    """Starts of the runs `status_codes` reads, in its order (None: not all in `runs`)."""
    taken: list[int] = []
    for m in _STATUS_RE.finditer(raw.lower()):
        start = m.start(next(i for i, g in enumerate(m.groups(), 1) if g))
        if start not in runs:
            return None
        taken.append(start)
    return tuple(taken)


def error_kinds(text: str, statuses: tuple[int, ...] = ()) -> tuple[str, ...]:
    """Error kinds named in a line, in `ERROR_KINDS` order."""
    low = text.lower()
    kinds = {kind for kind, words in _KIND_WORDS if any(w in low for w in words)}
    if ("tls" in low or "ssl" in low) and _TLS_WORD_RE.search(low):
        kinds.add("tls")
    if any(500 <= s <= 599 for s in statuses):
        kinds.add("http_5xx")
    if any(s in (401, 403) for s in statuses):
        kinds.add("auth")
    return tuple(k for k in ERROR_KINDS if k in kinds)


def _plausible(host: str, port: str | None) -> bool:
    if host.endswith(_FILE_EXTS) or host in _NOT_HOSTS:
        return False
    if port is not None and not (0 < int(port) < 65536):
        return False
    if "." in host or "-" in host:
        # Dotted words like `e.g` or a class name are not hosts; hosts are lower case.
        return host.islower() or host.replace(".", "").isdigit()
    # A single label (`redis`, `db`) is a host only with a port that is not a small count.
    return port is not None and (int(port) >= 1024 or int(port) in (80, 443, 53, 25, 22, 21))


def _add(found: list[str], host: str, port: str | None) -> None:
    host = host.lower().rstrip(".")
    if not _plausible(host, port):
        return
    key = f"{host}:{port}" if port else host
    if key not in found:
        found.append(key)


def named_upstream(text: str) -> tuple[str, str] | None:
    """The name and the address of the upstream a proxy's access-log line went to, when it
    gives both: Envoy's `"<authority>" "<upstream host>"` (`"api.paygrid.io"
    "34.117.22.10:443"`), or Istio's cluster beside its upstream host
    (`"upstream_host":"10.88.28.32:8080"`, `outbound|8080||ledger.prod.svc.cluster.local`).
    At an edge proxy the authority is the proxy's own public name: the caller checks."""
    if '" "' in text:
        envoy = _ENVOY_UPSTREAM_RE.search(text)
        if envoy is not None:
            return envoy.group(1).lower(), envoy.group(3)
    if "outbound|" in text:
        istio = _ISTIO_CLUSTER_RE.search(text)
        upstream = _UPSTREAM_HOST_RE.search(text)
        if istio is not None and upstream is not None:
            return istio.group(2).lower(), upstream.group(1)
    return None


def hosts_in(text: str, fields: dict[str, str] | None = None) -> tuple[str, ...]:
    """Hostnames/IPs (with port when given) that a line points at."""
    found: list[str] = []
    # nginx's error log describes the request beside the upstream it failed on (`client:
    # ..., server: ..., upstream: "http://10.96.41.7:12346/x", host: "ui:8080", referrer:
    # "http://ui:8080/"`): the host and referrer are the request's own, not dependencies.
    nginx = ', upstream: "' in text
    if "://" in text:
        for m in _URL_HOST_RE.finditer(text):
            if _DOC_BEFORE_RE.search(text, max(0, m.start() - 40), m.start()):
                continue  # a documentation link in the message, not a peer
            if nginx and _REQUEST_FIELD_BEFORE_RE.search(text, max(0, m.start() - 16), m.start()):
                continue
            _add(found, m.group(1), m.group(2))
    # The addresses after Envoy's upstream host (Istio's upstream-local, downstream-local and
    # downstream-remote) are the proxy's own and its client's, not dependencies.
    envoy = _ENVOY_UPSTREAM_RE.search(text) if '" "' in text else None
    for m in _HOST_PORT_RE.finditer(text) if ":" in text else ():
        start = m.start()
        if envoy is not None and start >= envoy.end():
            break
        if start >= 3 and text[start - 3 : start] == "://":
            continue  # already taken with its URL
        if _CLIENT_BEFORE_RE.search(text, max(0, start - 24), start):
            continue  # the peer that called us (`panic serving 10.2.8.2:35437`), not a dependency
        if nginx and _REQUEST_FIELD_BEFORE_RE.search(text, max(0, start - 16), start):
            continue
        if text.startswith("->", m.end()):
            continue  # the local end of a socket (`read udp 10.1.2.3:40206->10.96.0.10:53`)
        _add(found, m.group(1), m.group(2))
    for m in _PROSE_HOST_RE.finditer(text):
        host = m.group(1)
        if _DATA_BEFORE_RE.search(text, max(0, m.start() - 10), m.start(1)):
            continue  # `appending records to clickstream.raw-5`: a topic, not a host
        if not any(f == host or f.startswith(host + ":") for f in found):
            _add(found, host, None)
    if fields:
        for key, value in fields.items():
            if key.lower() in _FIELD_HOST_KEYS and value:
                sub = hosts_in(value) if (":" in value or "/" in value) else ()
                if sub:
                    for h in sub:
                        if h not in found:
                            found.append(h)
                else:
                    _add(found, value.strip(), None)
    # One host named with and without its port in the same line counts once, with it.
    ported = {h.rsplit(":", 1)[0] for h in found if h.count(":") == 1}
    return tuple(h for h in found if h.count(":") == 1 or h not in ported)


# Fields whose text describes the error itself (`err="dial tcp ...: refused"`).
ERROR_TEXT_KEYS = (
    "err",
    "error",
    "exception",
    "reason",
    "cause",
    "detail",
    "error.message",
    "error_message",
)


# Digit runs whose value `dep_facts` never reads (see `dep_key`): one that starts a word and
# runs into letters (`1500ms`); in ASCII text also one right after a single `/` (a URL path
# segment), unless it is three digits followed by a status phrase (`/503 bad gateway`).
_WORD_DIGITS = r"(?<!\S)[0-9]+(?=[A-Za-z])"
_WORD_DIGITS_RE = re.compile(_WORD_DIGITS)
_INERT_DIGITS_RE = re.compile(
    rf"{_WORD_DIGITS}|(?<=[^/]/)(?![0-9]{{3}} (?i:{_STATUS_PHRASES}))[0-9]+"
)


def _zeros(m: re.Match[str]) -> str:
    return "0" * (m.end() - m.start())


def dep_key(text: str) -> str:
    """`text` with the digits that cannot change `dep_facts(text)` read as `0`.

    Those are the ASCII digits of a run that starts a whitespace-separated word and is
    followed by a letter (`timed out after 1500ms`), and in ASCII text those of a run right
    after a `/` that does not end `://` (`/items/123`), unless the run is three digits
    followed by a status phrase. No status is read from either (the status alternatives
    want a space or a word boundary right after three digits, and a status keyword, a space
    or a word boundary right before, which only the phrase form gets after a `/`); no host
    or port holds them (a host starts with a letter or is a dotted IP, right after a
    non-word character other than `/`, or right after `://`; a port follows a colon); no
    error-kind word has a digit after a space or a `/`; and the other tests only see that
    they are digits. Read as zeros (same length: some rules look a fixed distance back),
    such texts get the same facts, so a cache keyed this way holds across values. (Only
    ASCII text for the `/` rule: there lower-casing, which the status pattern reads,
    matches the case-blind phrase test.)
    """
    return (_INERT_DIGITS_RE if text.isascii() else _WORD_DIGITS_RE).sub(_zeros, text)


class DepKeys:
    """`dep_key` for many texts, its zeroed runs remembered per digit-blind text.

    In ASCII text `_INERT_DIGITS_RE` sees only *whether* a character is a digit, so texts
    with one digit-blind key (every ASCII digit read as `0`) have their inert runs at the
    same places: they are found once per key and each text is rebuilt around them, which
    costs a fraction of the pattern's pass over the text.
    """

    def __init__(self) -> None:
        self._runs: dict[bytes, tuple[tuple[int, int], ...]] = {}

    def key(self, text: str) -> str:
        """`dep_key(text)`."""
        if not text.isascii():
            return dep_key(text)
        blind = text.encode().translate(ZERO_DIGITS)
        runs = self._runs.get(blind)
        if runs is None:
            runs = tuple(m.span() for m in _INERT_DIGITS_RE.finditer(text))
            if len(self._runs) < _READER_LIMIT:
                self._runs[blind] = runs
        if not runs:
            return text
        parts = []
        at = 0
        for start, end in runs:
            parts.append(text[at:start])
            parts.append("0" * (end - start))
            at = end
        parts.append(text[at:])
        return "".join(parts)


def dep_facts(text: str, fields: dict[str, str] | None = None) -> DepFacts:
    """Hosts, error kinds and status codes of one error line (message and fields)."""
    if fields:
        extra = [fields[k] for k in ERROR_TEXT_KEYS if fields.get(k)]
        if extra:
            text = " | ".join([text, *extra])
    statuses = status_codes(text)
    if fields:
        for key in ("status", "status_code", "http_status", "code", "http.status_code"):
            value = fields.get(key, "")
            if len(value) == 3 and value.isdigit() and "100" <= value <= "599":
                code = int(value)
                if code not in statuses:
                    statuses = (*statuses, code)
    return DepFacts(hosts_in(text, fields), error_kinds(text, statuses), statuses)
