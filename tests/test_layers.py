"""Dependencies point one way: bot -> sre -> alpha (alpha imports neither, sre never bot)."""

import ast
import importlib.util
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# package -> packages it must never import
FORBIDDEN = {"alpha": ("sre", "bot"), "sre": ("bot",), "bot": ()}


def imported_packages(source: str) -> set[str]:
    """Top-level packages named by absolute imports anywhere in the source (also lazy ones)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def layer_violations(root: Path) -> list[str]:
    """Every `file imports package` that breaks the layering, sorted."""
    problems = []
    for package, forbidden in FORBIDDEN.items():
        for path in sorted((root / package).rglob("*.py")):
            bad = imported_packages(path.read_text(encoding="utf-8")) & set(forbidden)
            problems.extend(f"{path.relative_to(root)} imports {name}" for name in sorted(bad))
    return problems


def test_repository_respects_the_layers():
    """No module of alpha/ imports sre or bot, and no module of sre/ imports bot."""
    assert layer_violations(ROOT) == []


@pytest.mark.parametrize(
    ("package", "line", "target"),
    [
        ("alpha", "from sre.extractors import finding", "sre"),
        ("alpha", "def f():\n    import bot.settings\n", "bot"),
        ("sre", "import bot", "bot"),
    ],
)
def test_checker_catches_violations(tmp_path, package, line, target):
    """The AST check reports an upward import, including one hidden inside a function."""
    for name in FORBIDDEN:
        (tmp_path / name).mkdir()
    (tmp_path / package / "leak.py").write_text(line + "\n", encoding="utf-8")
    assert layer_violations(tmp_path) == [f"{package}/leak.py imports {target}"]


def test_checker_allows_downward_imports(tmp_path):
    """bot importing sre and alpha, and sre importing alpha, are fine."""
    for name in FORBIDDEN:
        (tmp_path / name).mkdir()
    (tmp_path / "bot" / "ok.py").write_text("import sre\nfrom alpha import schemas\n")
    (tmp_path / "sre" / "ok.py").write_text("from alpha.core.runtime import AlphaRuntime\n")
    assert layer_violations(tmp_path) == []


def test_import_linter_contract_is_kept(lint_imports_script):
    """import-linter's layers contract from pyproject.toml is kept."""
    done = subprocess.run(
        [lint_imports_script, "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_layout_page_is_current():
    """docs/layout.md lists every module with its docstring, as tools/layout_doc.py renders it."""
    spec = importlib.util.spec_from_file_location("layout_doc", ROOT / "tools" / "layout_doc.py")
    assert spec is not None and spec.loader is not None
    layout_doc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(layout_doc)
    assert (ROOT / "docs" / "layout.md").read_text() == layout_doc.render(), (
        "docs/layout.md is stale: python tools/layout_doc.py > docs/layout.md"
    )
