"""What an investigation is about (a deployment or a Sentry issue) and how ids are validated.

Every way a target enters the bot goes through `target_problem`: the text typed after
`/alpha investigate`, the value of a Rerun button (which any client can forge: it comes
back from Slack in a signed request, but its content is whatever the sender put there),
and the Sentry alert parser. A rejected id never reaches a payload source.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Literal

from bot.blocks import code
from sre.redaction import one_line, redact

TargetKind = Literal["deployment", "sentry_issue", "demo"]
_KIND_NAMES: dict[TargetKind, str] = {
    "deployment": "deployment",
    "sentry_issue": "Sentry issue",
    "demo": "demo",
}
# The demo is one bundled payload (`/alpha demo`): no source is fetched for it.
DEMO_ID = "incident_b"

MAX_DEPLOYMENT_ID = 200
# Letters, digits and the punctuation of tags, refs and release names.
_DEPLOYMENT_ID = re.compile(rf"[\w.:/@+#=-]{{1,{MAX_DEPLOYMENT_ID}}}")
_SENTRY_ISSUE_ID = re.compile(r"[0-9]{1,20}")
# Slack's own limit on a button value; anything longer is not one of ours.
MAX_BUTTON_VALUE = 2000


def deployment_problem(deployment_id: str) -> str | None:
    """Why `deployment_id` is not acceptable (mrkdwn, escaped), or None when it is."""
    shown = code(deployment_id[:50])
    if not _DEPLOYMENT_ID.fullmatch(deployment_id):
        return (
            f"deployment_id {shown} is not a valid id "
            f"(letters, digits and ._-:/@+#=, at most {MAX_DEPLOYMENT_ID} characters)"
        )
    # Git refuses `..` in a ref name; here it could only walk up an API path.
    if ".." in deployment_id or deployment_id.startswith("/"):
        return f"deployment_id {shown} is not a valid id (no `..`, no leading `/`)"
    return None


def target_problem(kind: str, ident: str) -> str | None:
    """Why (`kind`, `ident`) is not an acceptable target, or None when it is."""
    if kind == "deployment":
        return deployment_problem(ident)
    if kind == "sentry_issue":
        if _SENTRY_ISSUE_ID.fullmatch(ident):
            return None
        return f"Sentry issue id {code(ident[:50])} is not a number"
    if kind == "demo":
        return None if ident == DEMO_ID else f"unknown demo {code(ident[:50])}"
    return f"unknown target kind {code(kind[:30])}"


@dataclass(frozen=True)
class Target:
    """What to investigate: a deployment id or a Sentry issue id (validated on creation)."""

    kind: TargetKind
    id: str

    def __post_init__(self) -> None:
        problem = target_problem(self.kind, self.id)
        if problem is not None:
            raise ValueError(problem)

    @functools.cached_property
    def shown_id(self) -> str:
        """The id as it may be shown: redacted, on one line (it was typed or sent to us)."""
        return one_line(redact(self.id))

    @property
    def title(self) -> str:
        """How the message names it (escaped, ready for mrkdwn)."""
        return f"{_KIND_NAMES[self.kind]} {code(self.shown_id)}"

    @property
    def plain_title(self) -> str:
        """The same for plain-text headers, where backticks would show literally."""
        return f"{_KIND_NAMES[self.kind]} {self.shown_id}"

    def to_value(self) -> str:
        """The Rerun button's value."""
        return json.dumps({"kind": self.kind, "id": self.id})

    @classmethod
    def from_value(cls, value: object) -> Target | None:
        """Parse a Rerun button's value, validated like typed input; None when it is not ours."""
        if not isinstance(value, str) or len(value) > MAX_BUTTON_VALUE:
            return None
        try:
            data = json.loads(value)
        except (ValueError, RecursionError):
            return None
        if not isinstance(data, dict) or set(data) != {"kind", "id"}:
            return None
        kind, ident = data["kind"], data["id"]
        if not isinstance(kind, str) or not isinstance(ident, str):
            return None
        if kind not in _KIND_NAMES or target_problem(kind, ident) is not None:
            return None
        return cls(kind=kind, id=ident)
