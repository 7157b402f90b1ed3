"""The redaction boundary: what an investigation may show, and how it is made safe.

One `Redactor` serves one investigation, in this order:

1. `learn_incident` before the run: the config snapshots (secret-like keys and values with a
   secret's shape), commit messages, file names and patches, the ids, and every private key
   block in the logs (its body lines are hidden later one by one). Log lines are not
   scanned whole (a million lines would cost seconds); the lines that can reach an output
   are learned through the signals that quote them, in step 2.
2. `redact_signals` right after extraction, inside the engine: every string of every signal
   (descriptions and values, full length) is learned, then hidden. Agents, prompts, events
   and reports are built from these redacted signals, so no later clipping or formatting
   can cut a secret in two before it is recognised.
3. `redact_result` / `redact_event` / `redact_payload` on everything that leaves: JSON-like
   trees whose strings are learned again, redacted, and stripped of control and
   bidirectional characters (`single_line` folds newlines for terminals and Slack).

`count_redacted` counts the distinct placeholders in an output: the "N secrets redacted"
of the CLI and Slack footers.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Sequence
from enum import Enum
from types import UnionType
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel

from alpha.schemas import AgentEvent, ExecutionResult, IncidentInput, Signal
from sre.redaction.keys import is_secret_key
from sre.redaction.redactor import PLACEHOLDER, Redactor, map_strings
from sre.redaction.rules import MAX_BLOCK_LINES, find_blocks
from sre.redaction.text import one_line, safe_text
from sre.signals import ConfigChangeSignal, ConfigRiskSignal

Model = TypeVar("Model", bound=BaseModel)
_BEGIN_MARK = "-----BEGIN"
_MARK_RUN = 4_096


def learn_incident(redactor: Redactor, incident: IncidentInput) -> None:
    """Learn the secrets of the payload's sources that outputs are built from (step 1).

    The commit shas are allowed first: identifiers, never secrets (`Redactor.allow`); so are
    the metric names' runs, which no word-like secret's fragment hides (`allow_names`).
    """
    redactor.allow(commit.sha for commit in incident.recent_commits)
    redactor.allow_names(incident.metrics)
    redactor.learn_config(incident.config_snapshot)
    if incident.previous_config_snapshot is not None:
        redactor.learn_config(incident.previous_config_snapshot)
    texts = [incident.deployment_id, incident.service or "", incident.environment or ""]
    for commit in incident.recent_commits:
        texts.append(commit.message)
        texts.append(commit.author or "")
        for changed in commit.file_objects():
            texts.append(changed.filename)
            texts.append(changed.patch or "")
    redactor.learn(texts)
    learn_key_blocks(redactor, incident.logs)


class IncidentRedactors:
    """One `Redactor` per investigation, found from the incident object the engine receives.

    A runtime may serve many investigations at once (the bot); the engine's extractor, the
    LLM sessions and the caller's output boundary all reach the same redactor through the
    incident, so placeholders are numbered once per investigation. Entries go when their
    incident object does.
    """

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[weakref.ref[IncidentInput], Redactor]] = {}

    def register(self, incident: IncidentInput, redactor: Redactor) -> Redactor:
        """Use `redactor` for this incident (it learns the incident now if it had not)."""
        key = id(incident)

        def forget(_ref: object, key: int = key) -> None:
            self._by_id.pop(key, None)

        self._by_id[key] = (weakref.ref(incident, forget), redactor)
        if redactor.once(("incident", key)):
            learn_incident(redactor, incident)
        return redactor

    def for_incident(self, incident: IncidentInput) -> Redactor:
        """The incident's redactor, created (and taught the incident) on first use."""
        entry = self._by_id.get(id(incident))
        if entry is not None and entry[0]() is incident:
            return entry[1]
        return self.register(incident, Redactor())

    def __len__(self) -> int:
        return len(self._by_id)


def learn_key_blocks(redactor: Redactor, lines: Sequence[str]) -> None:
    """Learn the body lines of every private key block spread over consecutive log lines.

    Only lines holding `-----BEGIN` start a look. The mark is looked for in runs of
    `_MARK_RUN` lines joined (a newline between lines cannot be part of it), and line by
    line only in a run that has it: a test per line costs 0.06 s on a million lines.
    """
    for run in range(0, len(lines), _MARK_RUN):
        if _BEGIN_MARK not in "\n".join(lines[run : run + _MARK_RUN]):
            continue
        for index in range(run, min(run + _MARK_RUN, len(lines))):
            if _BEGIN_MARK in lines[index]:
                window = "\n".join(lines[index : index + MAX_BLOCK_LINES + 2])
                for found in find_blocks(window):
                    redactor.add_known(found.value, found.kind)


def redact_signals(signals: Sequence[Signal], redactor: Redactor) -> list[Signal]:
    """Signals with every secret hidden, learned from their full descriptions and values.

    Each keeps its class (a typed SRE signal stays typed, its value validated again by its
    model). A config signal about a secret-like key says so instead of quoting placeholders:
    `slack.bot_token changed (value hidden) in commit 5ae6cd2`.
    """
    trees = _redact_trees(signals, redactor)
    redacted = [type(s).model_validate(tree) for s, tree in zip(signals, trees, strict=True)]
    for index, signal in enumerate(redacted):
        hidden = _hidden_config_description(signal)
        if hidden is not None:
            redacted[index] = signal.model_copy(update={"description": hidden})
    return redacted


def _hidden_config_description(signal: Signal) -> str | None:
    """The description of a config signal whose (redacted) key names a secret, else None."""
    if not isinstance(signal, ConfigChangeSignal | ConfigRiskSignal):
        return None
    key = signal.value.key
    if not is_secret_key(key):
        return None
    if isinstance(signal, ConfigRiskSignal):
        return f"{key} = (value hidden): {signal.value.reason or 'risky value'}"
    verb = {"added": "added", "removed": "removed"}.get(signal.value.change, "changed")
    shas = [sha[:7] for sha in signal.value.commit_shas if sha]
    suffix = f" in commit {', '.join(shas)}" if shas else ""
    return f"{key} {verb} (value hidden){suffix}"


def _redact_trees(models: Iterable[BaseModel], redactor: Redactor) -> list[Any]:
    """Each model as a JSON-like tree with its data redacted (`_hidden`), every string of
    every model learned first, in one pass."""
    models = list(models)
    trees = [model.model_dump(mode="json") for model in models]
    redactor.learn_tree(trees)
    return [_hidden(model, tree, redactor.hide) for model, tree in zip(models, trees, strict=True)]


def _hidden(value: Any, tree: Any, hide: Callable[[str], str], vocabulary: bool = False) -> Any:
    """`tree` (`value` dumped) with `hide` applied to the strings of its data.

    A model's field names and the values of its Literal and enum fields are the schema's
    own words, never data: they stay as they are, so the tree always validates again as the
    same model. A secret learned as an ordinary word (`token: error` in a log line) must
    not turn `errors_before` into `[REDACTED:...]s_before` and crash the run. The keys of a
    data mapping (a config snapshot's, a port table's) are data, and are hidden.
    """
    if isinstance(value, BaseModel) and isinstance(tree, dict):
        fields = type(value).model_fields
        return {
            name: _hidden(getattr(value, name), item, hide, _vocabulary(fields[name].annotation))
            if name in fields
            else map_strings(item, hide)
            for name, item in tree.items()
        }
    if isinstance(value, dict) and isinstance(tree, dict):
        return {
            (hide(key) if isinstance(key, str) else key): _hidden(value.get(key), item, hide)
            for key, item in tree.items()
        }
    if isinstance(value, list | tuple) and isinstance(tree, list):
        return [
            _hidden(inner, item, hide, vocabulary) for inner, item in zip(value, tree, strict=True)
        ]
    if isinstance(tree, str):
        return tree if vocabulary or isinstance(value, Enum) else hide(tree)
    return map_strings(tree, hide)


def _vocabulary(annotation: Any) -> bool:
    """Whether a field's type holds only the schema's own words (a Literal or an enum,
    maybe optional or in a list)."""
    origin = get_origin(annotation)
    if origin is Literal:
        return True
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return True
    if origin in (Union, UnionType):
        kinds = [a for a in get_args(annotation) if a is not type(None)]
        return bool(kinds) and all(_vocabulary(a) for a in kinds)
    if origin is list:
        return _vocabulary(get_args(annotation)[0])
    return False


def redact_model(model: Model, redactor: Redactor | None, *, single_line: bool = False) -> Model:
    """Any output model with every string redacted and made safe to print or post.

    Args:
        model: The model to show.
        redactor: The investigation's redactor; None only for a local user's `--reveal`,
            which keeps the values but still removes control characters.
        single_line: Fold newlines in every string (terminal and Slack text), so no field
            can print a line of its own.
    """
    tree = model.model_dump(mode="json")
    if redactor is not None:
        tree = _redact_trees([model], redactor)[0]
    return type(model).model_validate(_safe_tree(tree, one_line if single_line else safe_text))


def redact_result(
    result: ExecutionResult, redactor: Redactor | None, *, single_line: bool = False
) -> ExecutionResult:
    """The result as it may leave the process (step 3); see `redact_model`."""
    return redact_model(result, redactor, single_line=single_line)


def redact_event(event: AgentEvent, redactor: Redactor | None) -> AgentEvent:
    """A live event as a display or Slack may show it: redacted, one line per field."""
    return redact_model(event, redactor, single_line=True)


def redact_payload(payload: dict[str, Any], redactor: Redactor | None) -> dict[str, Any]:
    """A payload (`alpha fetch`) with secrets hidden; still a valid payload to replay.

    With no redactor (`--reveal`) only control characters are removed.
    """
    tree: dict[str, Any] = payload if redactor is None else redactor.redact_tree(payload)
    safe: dict[str, Any] = _safe_tree(tree, safe_text)
    return safe


def _safe_tree(value: Any, clean: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {key: _safe_tree(item, clean) for key, item in value.items()}
    if isinstance(value, list):
        return [_safe_tree(item, clean) for item in value]
    return value


def count_redacted(text: str) -> int:
    """How many distinct secrets an output shows as placeholders."""
    return len(set(PLACEHOLDER.findall(text)))


def redacted_line(count: int) -> str:
    """The footer line: `3 secrets redacted` (empty when none was)."""
    if not count:
        return ""
    return f"{count} secret{'' if count == 1 else 's'} redacted"


class RedactingSubscriber:
    """An event subscriber that passes redacted events on to another one.

    Args:
        subscriber: The display or Slack progress callback.
        redactor: The investigation's redactor.
    """

    def __init__(self, subscriber: Callable[[AgentEvent], Any], redactor: Redactor | None) -> None:
        self._subscriber = subscriber
        self._redactor = redactor

    def __call__(self, event: AgentEvent) -> Any:
        return self._subscriber(redact_event(event, self._redactor))
