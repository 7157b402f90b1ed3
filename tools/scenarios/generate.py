"""Regenerate the bundled scenario files: `python tools/scenarios/generate.py`.

Each generator is seeded, so an unchanged generator rewrites its file byte for byte.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gen_code
import gen_config
import gen_demo
import gen_deps
import gen_extra
import gen_more
import gen_ops
from common import write

GENERATORS = [
    *gen_demo.SCENARIOS,
    *gen_code.SCENARIOS,
    *gen_config.SCENARIOS,
    *gen_deps.SCENARIOS,
    *gen_ops.SCENARIOS,
    *gen_more.SCENARIOS,
    *gen_extra.SCENARIOS,
]

if __name__ == "__main__":
    for generate in GENERATORS:
        print(write(generate()))
