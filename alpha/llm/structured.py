"""Structured output: JSON from a model, validated against a Pydantic model.

Models wrap JSON in code fences, add prose around it, stop half-way or invent keys. The
parser here tolerates the harmless habits (fences, prose before or after) and rejects the
rest with `LLMOutputError`, which carries the raw text. `complete_structured` makes at most
`repair_attempts` further calls quoting the validation error before giving up.
"""

from __future__ import annotations

import json
import re
from typing import TypeVar

from pydantic import BaseModel, RootModel, ValidationError

from alpha.core.errors import LLMOutputError
from alpha.llm.base import LLMClient

T = TypeVar("T", bound=BaseModel)

_FENCE = re.compile(r"```[A-Za-z0-9_-]*[ \t]*\r?\n(.*?)(?:```|\Z)", re.DOTALL)
# Bounds the work on adversarial text full of braces: each start costs one decode attempt.
_MAX_STARTS = 64
_ERRORS_SHOWN = 8
_PREVIOUS_SHOWN = 2_000


def extract_json(text: str, *, objects_only: bool = True) -> object:
    """The first JSON object (or array) in `text`, ignoring code fences and surrounding prose.

    Args:
        text: the model's answer.
        objects_only: look for `{...}` only (Pydantic models are objects), not `[...]`.

    Raises:
        LLMOutputError: no complete JSON value could be decoded (the raw text is attached);
            the message says "truncated" when a value runs to the end of the text.
    """
    openers = "{" if objects_only else "{["
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    decoder = json.JSONDecoder()
    truncated = False
    for candidate in candidates:
        end_of_text = len(candidate.rstrip())
        starts = 0
        for index, char in enumerate(candidate):
            if char not in openers:
                continue
            starts += 1
            if starts > _MAX_STARTS:
                break
            try:
                value, _end = decoder.raw_decode(candidate, index)
            except json.JSONDecodeError as exc:
                # A value that runs off the end is cut, and so is everything nested in it:
                # decoding an inner object would pass off a fragment as the answer.
                if exc.pos >= end_of_text or exc.msg.startswith("Unterminated string"):
                    truncated = True
                    break
                continue
            return value
    if not text.strip():
        raise LLMOutputError("the answer is empty, expected a JSON object", raw=text)
    if truncated:
        raise LLMOutputError(f"the JSON in the answer is truncated: {_tail(text)!r}", raw=text)
    raise LLMOutputError(f"no JSON object in the answer: {_head(text)!r}", raw=text)


def parse_structured(text: str, model: type[T]) -> T:
    """Parse and validate `text` as `model`.

    Raises:
        LLMOutputError: not JSON, or JSON that fails validation (the message lists the
            failing fields; `raw` holds the text).
    """
    value = extract_json(text, objects_only=not issubclass(model, RootModel))
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise LLMOutputError(
            f"the answer does not match {model.__name__}: {describe_errors(exc)}", raw=text
        ) from None


def describe_errors(exc: ValidationError) -> str:
    """A short, model-readable list of validation errors (`field.path: message`)."""
    lines = []
    for error in exc.errors(include_url=False)[:_ERRORS_SHOWN]:
        where = ".".join(str(part) for part in error["loc"]) or "(root)"
        lines.append(f"{where}: {error['msg']}")
    extra = exc.error_count() - len(lines)
    if extra > 0:
        lines.append(f"... and {extra} more")
    return "; ".join(lines)


def repair_prompt(user: str, previous: str, problem: str) -> str:
    """The user prompt of a repair call: the original request, the answer and what was wrong."""
    shown = previous if len(previous) <= _PREVIOUS_SHOWN else previous[:_PREVIOUS_SHOWN] + "..."
    return (
        f"{user}\n\n"
        "Your previous answer could not be used.\n"
        f"Problem: {problem}\n"
        f"Previous answer (possibly cut):\n{shown}\n\n"
        "Answer again with only one complete JSON object matching the schema, no prose and "
        "no code fence. Keep it short enough to finish."
    )


async def complete_structured(
    client: LLMClient, system: str, user: str, model: type[T], *, repair_attempts: int = 1
) -> T:
    """Ask `client` for JSON matching `model`, repairing invalid answers a bounded number of times.

    The schema goes to the provider as a `json_schema` response format (`complete_json`);
    the prompt itself should still describe the expected answer, as not every endpoint
    enforces schemas. A truncated answer (`LLMOutputError` from the client) counts as invalid
    and is repaired like one. Other `LLMError`s (timeouts, provider errors) propagate.

    Args:
        client: the LLM client.
        system: the system prompt.
        user: the user prompt.
        model: the Pydantic model the answer must validate against.
        repair_attempts: how many extra calls may be made after an invalid answer.

    Raises:
        LLMOutputError: still invalid after the repair calls; `raw` is the last answer.
    """
    if repair_attempts < 0:
        raise ValueError(f"repair_attempts must be >= 0, got {repair_attempts!r}")
    schema = model.model_json_schema()
    prompt = user
    attempt = 0
    while True:
        try:
            text = await client.complete_json(system, prompt, schema)
            return parse_structured(text, model)
        except LLMOutputError as exc:
            attempt += 1
            if attempt > repair_attempts:
                raise LLMOutputError(
                    f"{exc} (after {attempt} answers, {repair_attempts} repair calls)",
                    raw=exc.raw,
                ) from None
            prompt = repair_prompt(user, exc.raw, str(exc))


def _head(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _tail(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else "..." + text[-limit:]
