"""Read-only access to one commit of a bare git snapshot, and where converters may write.

Standard library only; shared by the dataset converters of this folder. A snapshot is read
through `git` itself (`ls-tree`, `show`), never checked out, so reading a path is all a
converter does with a repository.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


class SnapshotError(Exception):
    """The snapshot cannot be read (not a git directory, unknown commit, missing file)."""


class Snapshot:
    """One commit of a bare git directory."""

    def __init__(self, git_dir: str | Path, commit: str) -> None:
        self.git_dir = str(git_dir)
        self.commit = commit

    def _git(self, *args: str) -> bytes:
        done = subprocess.run(
            ["git", "--git-dir", self.git_dir, *args], capture_output=True, check=False
        )
        if done.returncode != 0:
            message = done.stderr.decode(errors="replace").strip() or f"git {args[0]} failed"
            raise SnapshotError(message)
        return done.stdout

    def check(self) -> None:
        """Fail early, with git's own message, when the directory or the commit is wrong."""
        self._git("cat-file", "-e", f"{self.commit}^{{commit}}")

    def names(self, folder: str) -> list[str]:
        """Names of the entries directly inside `folder`, in git's order."""
        out = self._git("ls-tree", "--name-only", self.commit, folder.rstrip("/") + "/")
        return [line.rsplit("/", 1)[-1] for line in out.decode().splitlines() if line]

    def files(self, folder: str) -> list[str]:
        """Paths of every file under `folder` (recursively), in git's order."""
        out = self._git("ls-tree", "-r", "--name-only", self.commit, folder.rstrip("/") + "/")
        return [line for line in out.decode().splitlines() if line]

    def text(self, path: str) -> str:
        """A file's content as UTF-8 text (undecodable bytes replaced)."""
        return self._git("show", f"{self.commit}:{path}").decode("utf-8", errors="replace")


def outside(path: Path, project: Path) -> bool:
    """Whether `path` lies outside the `project` folder (data is never written into it)."""
    resolved, root = path.resolve(), project.resolve()
    return resolved != root and root not in resolved.parents
