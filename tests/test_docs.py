"""The README and the docs point at files that exist in the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)|<img src=\"([^\"]+)\"")


def _relative_links(page: Path) -> list[str]:
    links = []
    for match in _LINK.finditer(page.read_text(encoding="utf-8")):
        target = match.group(1) or match.group(2)
        if not re.match(r"[a-z]+:", target):
            links.append(target)
    return links


def test_every_relative_link_of_the_readme_and_docs_resolves() -> None:
    """Links and images in README.md and docs/ name existing files (the specs included)."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    missing = [
        f"{page.relative_to(ROOT)}: {link}"
        for page in pages
        for link in _relative_links(page)
        if not (page.parent / link).exists()
    ]
    assert missing == []
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "shared/" not in readme  # the shared folder is not part of the repository
    assert "docs/demo-80x24.txt" in readme and "docs/slack-final-message.svg" in readme
