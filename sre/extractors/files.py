"""What a changed file is, what a patch changed, and whether a stack frame names a file.

Rules are by file name and path shape only, so they hold for any repository:

- dependency: manifests and lock files (`requirements*.txt`, anything under a
  `requirements/` folder, `pyproject.toml`, `package.json`, `go.mod`, `pom.xml`,
  `Gemfile.lock`, `Cargo.toml`, Gradle/Maven wrapper versions, ...);
- migration: files under a `migrations`/`migrate`/`alembic`/`flyway`/`liquibase` folder,
  Flyway-style `V12__name.sql`, and `.sql` files;
- docs_tests: documentation (`.md`, `.rst`, `docs/`, README, CHANGELOG) and tests
  (`tests/`, `test_x.py`, `x_test.go`, `x.spec.ts`, `XTest.java`, ...);
- config: `.yaml`, `.toml`, `.ini`, `.properties`, `.env`, ... files, `.json` or code files
  named `settings`/`config` or living in a `config`/`conf`/`settings` folder;
- code: source files by extension; other: everything else (templates, images, CI files,
  and developer tooling configured in code, such as `.eslintrc.cjs` or `jest.config.js`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from sre.signals.values import FileKind

_DEPENDENCY_NAMES = frozenset(
    {
        "requirements.txt",
        "pyproject.toml",
        "setup.py",
        "setup.cfg",
        "pipfile",
        "pipfile.lock",
        "poetry.lock",
        "uv.lock",
        "package.json",
        "package-lock.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "npm-shrinkwrap.json",
        "go.mod",
        "go.sum",
        "pom.xml",
        "build.gradle",
        "build.gradle.kts",
        "gradle.lockfile",
        # The build tool's own pinned version: bumped like a library.
        "gradle-wrapper.properties",
        "maven-wrapper.properties",
        "libs.versions.toml",
        "gemfile",
        "gemfile.lock",
        "cargo.toml",
        "cargo.lock",
        "composer.json",
        "composer.lock",
        "mix.exs",
        "mix.lock",
        "packages.config",
        "directory.packages.props",
    }
)
_DEPENDENCY_SUFFIXES = (".csproj", ".fsproj", ".gemspec")
_MIGRATION_DIRS = frozenset(
    {"migrations", "migration", "migrate", "alembic", "flyway", "liquibase"}
)
_FLYWAY = re.compile(r"^[vV]\d+(_\d+)*__.+\.sql$")
_DOC_SUFFIXES = (".md", ".rst", ".adoc", ".txt")
_DOC_DIRS = frozenset({"docs", "doc", "documentation"})
_DOC_NAMES = ("readme", "changelog", "license", "contributing", "authors", "codeowners")
_TEST_DIRS = frozenset({"tests", "test", "__tests__", "spec", "specs", "testing", "e2e"})
_TEST_NAME = re.compile(
    r"(^test_.+|.+_test\.\w+$|.+_tests\.\w+$|.+\.(test|spec)\.\w+$|.+Tests?\.(java|kt|cs)$"
    r"|.+_spec\.rb$)"
)
_CONFIG_SUFFIXES = (
    ".yaml",
    ".yml",
    ".toml",
    ".ini",
    ".cfg",
    ".conf",
    ".properties",
    ".env",
    ".hcl",
    ".tfvars",
)
_CONFIG_DIRS = frozenset({"config", "configs", "conf", "settings", "configuration"})
_CONFIG_STEMS = frozenset({"settings", "config", "configuration", "conf", "application"})
# Lint, format, build and test tooling: code-looking files that never run in production.
_TOOLING = re.compile(
    r"^\.[\w-]*rc(\.\w+)?$|^(eslint|prettier|babel|jest|vitest|webpack|vite|rollup|karma|"
    r"stylelint|commitlint|postcss|tailwind|tsconfig|lint-staged)([.-][\w.-]*)?$",
    re.IGNORECASE,
)
_CODE_SUFFIXES = frozenset(
    {
        ".py",
        ".js",
        ".mjs",
        ".cjs",
        ".ts",
        ".tsx",
        ".jsx",
        ".go",
        ".java",
        ".kt",
        ".kts",
        ".scala",
        ".rb",
        ".rs",
        ".c",
        ".h",
        ".cc",
        ".cpp",
        ".hpp",
        ".cs",
        ".php",
        ".swift",
        ".m",
        ".ex",
        ".exs",
        ".erl",
        ".clj",
        ".sh",
        ".lua",
        ".pl",
        ".vue",
        ".svelte",
        ".dart",
    }
)


def classify_file(filename: str) -> FileKind:
    """The kind of a changed file: one of `FileKind` (rules in the module docstring)."""
    path = PurePosixPath(filename.replace("\\", "/"))
    name = path.name
    lower = name.lower()
    dirs = {part.lower() for part in path.parts[:-1]}
    suffix = path.suffix.lower()
    if (
        lower in _DEPENDENCY_NAMES
        or lower.endswith(_DEPENDENCY_SUFFIXES)
        or (lower.startswith("requirements") and suffix in {".txt", ".in"})
        or ("requirements" in dirs and suffix in {".txt", ".in"})
    ):
        return "dependency"
    if dirs & _MIGRATION_DIRS or _FLYWAY.match(name) or suffix == ".sql":
        return "migration"
    if dirs & _TEST_DIRS or _TEST_NAME.match(name):
        return "docs_tests"
    if dirs & _DOC_DIRS or suffix in _DOC_SUFFIXES or lower.startswith(_DOC_NAMES):
        return "docs_tests"
    stem = path.stem.lower()
    if suffix in _CONFIG_SUFFIXES or lower.startswith(".env"):
        # Workflow and compose files are build/infra plumbing, not service configuration.
        return "other" if ".github" in dirs or stem.startswith("docker-compose") else "config"
    if _TOOLING.match(name):
        return "other"
    named_config = stem in _CONFIG_STEMS or bool(dirs & _CONFIG_DIRS)
    if suffix == ".json":
        return "config" if named_config or "config" in stem else "other"
    if suffix in _CODE_SUFFIXES:
        return "config" if named_config else "code"
    return "other"


def changed_lines(patch: str | None) -> tuple[list[str], list[str]]:
    """The removed and added lines of a unified-diff patch, without their `-`/`+` marker.

    File headers (`--- a/x`, `+++ b/x`) and hunk headers are skipped.
    """
    removed: list[str] = []
    added: list[str] = []
    if not patch:
        return removed, added
    for line in patch.splitlines():
        if line.startswith(("+++", "---")):
            continue
        if line.startswith("+"):
            added.append(line[1:])
        elif line.startswith("-"):
            removed.append(line[1:])
    return removed, added


_JAVA_CLASS = re.compile(r"^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)+$")
_KNOWN_SUFFIX = re.compile(r"\.(\w{1,6})$")


@dataclass(frozen=True)
class _PathForms:
    with_suffix: tuple[str, ...]
    without_suffix: tuple[str, ...]


def _components(path: str) -> _PathForms:
    """Path components (lowercase) with and without the last component's extension."""
    clean = path.strip().replace("\\", "/")
    parts = tuple(p.lower() for p in clean.split("/") if p not in ("", "."))
    if not parts:
        return _PathForms((), ())
    last = parts[-1]
    bare = _KNOWN_SUFFIX.sub("", last)
    return _PathForms(parts, (*parts[:-1], bare))


def _frame_forms(frame: str) -> list[tuple[str, ...]]:
    """Ways a stack-frame file may name a source file, as lowercase component tuples.

    A Java or Kotlin frame may give a class (`com.acme.inv.BundleService$Inner` or with a
    trailing method), which becomes `com/acme/inv/BundleService` without an extension.
    """
    text = frame.strip()
    forms: list[tuple[str, ...]] = []
    if "/" not in text and "\\" not in text and _JAVA_CLASS.match(text):
        ext = text.rsplit(".", 1)[1].lower()
        if ext not in _SOURCE_EXTENSIONS:
            parts = [p.split("$", 1)[0].lower() for p in text.split(".")]
            forms.append(tuple(parts))
            if len(parts) > 2:
                forms.append(tuple(parts[:-1]))  # the last part may be a method name
            return forms
    forms.append(_components(text).with_suffix)
    return forms


_SOURCE_EXTENSIONS = frozenset(s.lstrip(".") for s in _CODE_SUFFIXES) | {
    "yaml",
    "yml",
    "json",
    "sql",
    "toml",
    "html",
    "xml",
}


def _is_suffix(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    return bool(short) and len(short) <= len(long) and long[len(long) - len(short) :] == short


def frame_matches(frame: str, filename: str) -> bool:
    """Whether a stack-frame file and a repository file name the same source file.

    The shorter path must be a suffix of the longer one on whole components
    (`/app/app/db/pool.py` matches `app/db/pool.py`; `lib/requests/models.py` does not match
    `app/models.py`). A Java class path matches the file without its extension.
    """
    file_forms = _components(filename)
    for form in _frame_forms(frame):
        if not form:
            continue
        has_suffix = bool(_KNOWN_SUFFIX.search(form[-1]))
        target = file_forms.with_suffix if has_suffix else file_forms.without_suffix
        if _is_suffix(form, target) or _is_suffix(target, form):
            return True
    return False
