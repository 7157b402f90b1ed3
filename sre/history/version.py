"""The engine version recorded with each run: the package version and a digest of the code.

`0.1.0+3f9a1c2e7b`: the digest covers the sources that decide a ranking (the runtime in
`alpha/`, the SRE extractors, agents, engine and taxonomy), so two runs with the same
version ran the same rules even between releases, and `alpha replay` can say whether the
engine changed since a run.
"""

from __future__ import annotations

import functools
import hashlib
from importlib import metadata
from pathlib import Path

_PACKAGE = "alpha-investigator"
_ROOT = Path(__file__).resolve().parents[2]
_ENGINE_SOURCES = ("alpha", "sre/extractors", "sre/agents", "sre/engine.py", "sre/taxonomy.py")


def _package_version() -> str:
    try:
        return metadata.version(_PACKAGE)
    except metadata.PackageNotFoundError:
        return "0+unknown"


@functools.cache
def engine_version() -> str:
    """`<package version>+<10 hex digits of the engine's sources>` (computed once)."""
    digest = hashlib.sha256()
    for source in _ENGINE_SOURCES:
        path = _ROOT / source
        files = [path] if path.is_file() else sorted(path.rglob("*.py"))
        for file in files:
            digest.update(str(file.relative_to(_ROOT)).encode())
            digest.update(file.read_bytes())
    return f"{_package_version()}+{digest.hexdigest()[:10]}"
