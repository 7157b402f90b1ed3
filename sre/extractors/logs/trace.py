"""Exceptions and stack frames from log records (Python, Java/Kotlin, Go, Node).

`parse_trace(record)` reads a record's first line and continuation lines and returns the
exception types it names (in the order they appear) and its frames. Frames carry a
normalised relative path (`app/db/pool.py`, `src/main/java/com/x/Checkout.java`) so that
the commit extractor can match them to files a commit touched by path suffix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sre.extractors.logs.parse import EXC_HEADER_RE, LogRecord
from sre.signals.values import FrameValue

_PY_FRAME_RE = re.compile(r'\s*File "([^"]+)", line (\d+)(?:, in (\S+))?')
_JAVA_FRAME_RE = re.compile(
    r"\s*at ([\w$.]+)\.([\w$<>-]+)\(([\w$.-]+\.(java|kt|scala|groovy|clj)):(\d+)\)"
)
_GO_FILE_RE = re.compile(r"\s+(/?[\w./@~+-]+\.go):(\d+)(?: \+0x[0-9a-f]+)?\s*$")
# Atomic for the same reason as `parse.GO_FRAME_FUNC_RE`: one try per line, not one per `(`.
_GO_FUNC_RE = re.compile(r"(?>([\w./*()-]+?)\().*\)\s*$")
_NODE_FRAME_RE = re.compile(
    r"\s*at (?:(?:async )?([^\s(]+)(?: \[as [^\]]+\])? \()?"
    r"(?:file://)?([^()\s]+?\.(?:js|mjs|cjs|ts|tsx|jsx)):(\d+):\d+\)?\s*$"
)
# A type name inside a single-line message: `... raised psycopg2.OperationalError: ...`.
# At most 20 package segments: with `*`, every start inside a long dotted run rescanned the
# rest of it (`a.a.a...`, 10,000 chars: 3.4 s); a longer package path is read from its last 20.
_INLINE_EXC_RE = re.compile(
    r"\b((?:[a-z_][\w]*\.){0,20}[A-Z][A-Za-z0-9]*(?:Error|Exception|Timeout|Fault))\b"
)
# Structured-log fields that may name an exception (`"exception": "ValueError: bad"`).
_EXC_FIELD_KEYS = (
    "exception",
    "exc_type",
    "exception_type",
    "error_type",
    "error.type",
    "err",
    "error",
    "exc_info",
)
# Go panics: `panic: x` and net/http's recovered `http: panic serving 10.0.0.1:5555: x`.
_PANIC_RE = re.compile(r"\bpanic(?: serving \S+?)?: (.{1,300})")
_DIGITS_RE = re.compile(r"\d+")

_JAVA_LIB_PREFIXES = (
    "java.",
    "javax.",
    "jdk.",
    "sun.",
    "com.sun.",
    "kotlin.",
    "scala.",
    "org.springframework.",
    "org.apache.",
    "org.hibernate.",
    "io.netty.",
    "com.zaxxer.",
    "org.eclipse.",
    "reactor.",
    "io.grpc.",
    "com.google.",
    "org.postgresql.",
    "com.mysql.",
    "okhttp3.",
    "feign.",
)
_LIB_PATH_MARKERS = (
    "site-packages/",
    "dist-packages/",
    "/lib/python",
    "node_modules/",
    "node:internal",
    "/usr/local/go/",
    "/usr/lib/go",
    "/go/pkg/mod/",
    "<frozen",
    "<string>",
    "/goroot/",
)
# Node's own modules appear as bare `internal/...` or `node:...` paths.
_LIB_PATH_STARTS = ("internal/", "node:", "<")
# Container / build roots stripped from absolute paths; the rest is the repo-relative guess.
_ROOT_PREFIXES = (
    "app/",
    "usr/src/app/",
    "opt/app/",
    "srv/app/",
    "var/task/",
    "workspace/",
    "code/",
    "build/",
    "home/app/",
    "go/src/",
)


@dataclass(frozen=True, slots=True)
class Frame:
    """One stack frame: normalised file path, raw path, line, function, application flag."""

    file: str
    raw_file: str
    line: int
    function: str
    in_app: bool

    def as_value(self) -> FrameValue:
        """The form used in signal values."""
        return FrameValue(
            file=self.file, raw_file=self.raw_file, line=self.line, function=self.function
        )


@dataclass(frozen=True, slots=True)
class Trace:
    """What a record says about an exception: its type names, a message and its frames."""

    exception_types: tuple[str, ...]
    message: str
    frames: tuple[Frame, ...]


EMPTY_TRACE = Trace((), "", ())


def normalise_path(path: str) -> str:
    """A repo-relative guess for a frame path: strip `file://`, leading `/`, container roots."""
    p = path.replace("\\", "/")
    if p.startswith("file://"):
        p = p[7:]
    p = p.lstrip("/")
    if p.startswith("home/"):
        parts = p.split("/", 2)
        p = parts[2] if len(parts) == 3 else p
    for prefix in _ROOT_PREFIXES:
        if p.startswith(prefix):
            return p[len(prefix) :]
    return p


def java_path(class_name: str, file_name: str, ext: str) -> str:
    """`com.x.Checkout$Inner` + `Checkout.java` -> `src/main/java/com/x/Checkout.java`."""
    package = class_name.rsplit(".", 1)[0] if "." in class_name else ""
    lang = {"kt": "kotlin"}.get(ext, ext)
    pkg_path = package.replace(".", "/")
    return f"src/main/{lang}/{pkg_path}/{file_name}" if pkg_path else f"src/main/{lang}/{file_name}"


def _in_app_path(raw: str) -> bool:
    return not any(marker in raw for marker in _LIB_PATH_MARKERS) and not raw.startswith(
        _LIB_PATH_STARTS
    )


def _frame(line: str, prev_line: str) -> Frame | None:
    m = _PY_FRAME_RE.match(line)
    if m:
        raw, ln, fn = m.group(1), int(m.group(2)), m.group(3) or "?"
        return Frame(normalise_path(raw), raw, ln, fn, _in_app_path(raw))
    if "at " in line:
        m = _JAVA_FRAME_RE.match(line)
        if m:
            cls, method, fname, ext, jline = m.groups()
            in_app = not cls.startswith(_JAVA_LIB_PREFIXES)
            path = java_path(cls, fname, ext)
            return Frame(path, fname, int(jline), f"{cls}.{method}", in_app)
        m = _NODE_FRAME_RE.match(line)
        if m:
            fn, raw, ln = m.group(1) or "<anonymous>", m.group(2), int(m.group(3))
            return Frame(normalise_path(raw), raw, ln, fn, _in_app_path(raw))
    if ".go:" in line:
        m = _GO_FILE_RE.match(line)
        if m:
            raw, ln = m.group(1), int(m.group(2))
            fm = _GO_FUNC_RE.match(prev_line.strip())
            fn = fm.group(1) if fm else "?"
            in_app = _in_app_path(raw) and not fn.startswith(("runtime.", "net/http.", "sync."))
            return Frame(normalise_path(raw), raw, ln, fn, in_app)
    return None


def _exception_in(line: str) -> tuple[str, str] | None:
    text = line.strip()
    if text.startswith("Caused by: "):
        text = text[11:]
    elif text.startswith("Suppressed: "):
        text = text[12:]
    m = EXC_HEADER_RE.match(text)
    if m:
        return m.group(1), (m.group(2) or "").strip()
    if "panic" in text:
        pm = _PANIC_RE.search(text)
        if pm is not None:
            detail = pm.group(1).strip()
            # The first clause names the kind of panic (`runtime error`); digits vary.
            kind = _DIGITS_RE.sub("N", detail.split(":", 1)[0].strip())[:60]
            return f"panic: {kind}", detail
    return None


def parse_trace(record: LogRecord) -> Trace:
    """Exception types, an example message and frames named by a record. Pure."""
    types: list[str] = []
    message = ""
    texts = [record.message]
    if record.fields:
        texts += [record.fields[k] for k in _EXC_FIELD_KEYS if record.fields.get(k)]
    for text in texts:
        head = _exception_in(text)
        if head is None:
            m = _INLINE_EXC_RE.search(text)
            head = (m.group(1), text) if m else None
        if head is not None and head[0] not in types:
            types.append(head[0])
            message = message or head[1]
    if not record.continuation:
        return Trace(tuple(types), message, ()) if types else EMPTY_TRACE
    frames: list[Frame] = []
    prev = record.message
    for line in record.continuation:
        frame = _frame(line, prev)
        if frame is not None:
            frames.append(frame)
        elif line[:1] not in (" ", "\t") or line.lstrip().startswith("Caused by"):
            found = _exception_in(line)
            if found is not None and found[0] not in types:
                types.append(found[0])
                message = message or found[1]
        prev = line
    return Trace(tuple(types), message, tuple(frames))


def primary_type(trace: Trace, record: LogRecord) -> str | None:
    """The exception a record is about: Python's last raised, otherwise the first named."""
    if not trace.exception_types:
        return None
    is_python = any(line.startswith("Traceback") for line in record.continuation[:1]) or any(
        f.raw_file.endswith(".py") for f in trace.frames
    )
    return trace.exception_types[-1] if is_python else trace.exception_types[0]
