"""tools/plant_bugs.py: every planted bug still applies to today's code."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tools.conftest import ROOT, load_module

plant_bugs = load_module("tools/plant_bugs.py", "plant_bugs")


@pytest.mark.parametrize("bug", plant_bugs.BUGS, ids=lambda bug: bug.name)
def test_each_planted_bug_patches_its_file_once(bug) -> None:  # type: ignore[no-untyped-def]
    """The text a bug replaces is in its file exactly once, and its tests exist."""
    assert (ROOT / bug.path).read_text().count(bug.old) == 1
    assert bug.old != bug.new
    assert all(Path(ROOT / test).exists() for test in bug.tests)
