"""The redactor: learns secret values, then hides them (and their fragments) everywhere.

    redactor = Redactor()
    redactor.learn([*log_examples, *patches])     # full values, before any clipping
    redactor.learn_config(incident.config_snapshot)
    redactor.redact("GITHUB_TOKEN changed unset -> ghp_abc…")   # the clipped form too

A secret is replaced by a stable placeholder, `[REDACTED:github_pat#1]`: the same value
always gets the same number within one redactor, so a reader (or a model) can still tell
two secrets apart without seeing either.

Why learn first: outputs are built from clipped and reformatted text (a config value cut to
40 characters, one line of a multi-line key). A rule needs the whole token to recognise it;
a value learned from its source is recognised in any later form. `redact` therefore hides

1. every value learned so far, and every value its rules find in the text itself;
2. every run of `FRAGMENT` or more characters that is part of a learned value, so a value
   cut by a formatter (`ghp_AbCdEf0123…`) is hidden too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sre.redaction.keys import (
    MIN_SECRET,
    holds_secret_name,
    looks_random,
    secret_key_strength,
    secret_value,
)
from sre.redaction.rules import Found, find_blocks
from sre.redaction.scanner import find_secrets

# An object's name (`ledger-db-credentials`) or a variable's (`DB_PASSWORD`): words joined.
_IDENTIFIER = re.compile(r"[a-z0-9]+(?:[-.][a-z0-9]+)+|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")
PLACEHOLDER = re.compile(r"\[REDACTED:[a-z0-9_]+#\d+\]")
# A run this long taken from a learned secret is hidden wherever it appears.
FRAGMENT = 12
CONFIG_KIND = "config_secret"
# Joins texts learned together: a line no key block can run through, so a block that
# starts in one text never takes the next text's lines for its body.
_SEPARATOR = "\n<<>>\n"


@dataclass
class Redactor:
    """Replaces secrets with stable, numbered placeholders.

    One instance per investigation (or per output): the numbering is shared by every string
    it redacts, so the same token in a log line and in a patch gets the same placeholder.
    """

    _known: dict[str, str] = field(default_factory=dict, init=False)
    _numbers: dict[str, int] = field(default_factory=dict, init=False)
    _next: dict[str, int] = field(default_factory=dict, init=False)
    _pattern: re.Pattern[str] | None = field(default=None, init=False)
    _grams: dict[str, str] = field(default_factory=dict, init=False)
    _done: set[object] = field(default_factory=set, init=False)
    # Strings this redactor returned: already scanned, so learning them again finds
    # nothing (a placeholder has no secret's shape); hiding known values still applies.
    _outputs: set[str] = field(default_factory=set, init=False)
    _public: set[str] = field(default_factory=set, init=False)
    _public_grams: set[str] = field(default_factory=set, init=False)

    def once(self, tag: object) -> bool:
        """True the first time `tag` is given (learn an incident once per redactor)."""
        if tag in self._done:
            return False
        self._done.add(tag)
        return True

    # ----------------------------------------------------------------- learning

    def allow(self, values: Iterable[str]) -> None:
        """Values that are identifiers, never secrets: the payload's own commit shas.

        A generic rule may take a 40-hex sha quoted near a word like `key` for a token; the
        sha would then be hidden everywhere (`revert commit [REDACTED:...]`), and a stored
        payload whose commit id is a placeholder no longer validates.
        """
        self._public.update(v.strip() for v in values if v.strip())

    def allow_names(self, names: Iterable[str]) -> None:
        """Names the payload publishes as identifiers (its metric names): a run of a
        word-like secret (`kv-fleet-prod/sb-fleet-send-listen`, a vault path, a passphrase)
        that also occurs in one of them is part of a public name, not a fragment to hide
        (`sb-fleet-prod/ConnectionsClosed` stays whole). The secret itself is still hidden
        wherever it appears whole, and a random-looking secret's runs always are. Call
        before learning."""
        for name in names:
            for start in range(len(name) - FRAGMENT + 1):
                self._public_grams.add(name[start : start + FRAGMENT])

    def add_known(self, value: str, kind: str = CONFIG_KIND, *, fragments: bool = True) -> None:
        """Hide this exact value wherever it appears (shorter than 4 characters: ignored).

        With `fragments` (secrets), every `FRAGMENT`-character run of it is hidden too;
        without (an email address: personal data, whose domain part is a host name and no
        secret), only the whole value.
        """
        value = value.strip()
        if len(value) < MIN_SECRET or value in self._known or "[REDACTED:" in value:
            return
        if value in self._public:
            return
        self._known[value] = kind
        self._pattern = None
        if fragments and len(value) >= FRAGMENT:
            public = set() if looks_random(value) else self._public_grams
            for start in range(len(value) - FRAGMENT + 1):
                gram = value[start : start + FRAGMENT]
                if gram not in public:
                    self._grams.setdefault(gram, value)

    def _add_found(self, found: Iterable[Found]) -> None:
        for secret in found:
            if "\n" in secret.value or "\\n" in secret.value or "-----BEGIN" in secret.value:
                self._add_lines(secret)
            else:
                self.add_known(secret.value, secret.kind, fragments=secret.kind != "email")

    def _add_lines(self, secret: Found) -> None:
        """A value over several lines (a key block): each body line, never the whole.

        The whole block may hold a log collector's prefix or a patch's `+` on every line;
        learning it whole would hide those prefixes (and their fragments) everywhere.
        """
        if "-----BEGIN" in secret.value:
            for block in find_blocks(secret.value):
                self.add_known(block.value, secret.kind)
            return
        for line in secret.value.replace("\\n", "\n").splitlines():
            token = line.strip()
            if looks_random(token) and not any(c.isspace() for c in token):
                self.add_known(token, secret.kind)

    def learn(self, texts: Iterable[str]) -> None:
        """Scan these texts (whole, unclipped) and remember every secret found in them.

        The texts are scanned together, in one pass of each rule set, so learning a few
        thousand strings costs about one scan of their joined length.
        """
        joined = _SEPARATOR.join(t for t in texts if t and t not in self._outputs)
        if joined:
            self._add_found(find_secrets(joined))

    def learn_tree(self, value: Any) -> None:
        """Learn every string (mapping keys included) of a JSON-like structure."""
        strings: list[str] = []
        _strings(value, strings)
        self.learn(strings)

    def learn_config(self, config: object) -> None:
        """Remember the values of secret-like keys of a nested config, and scan the rest.

        `database.password: hunter2` is a secret by its key; `database.url:
        postgres://app:pw@db` holds one by its shape. Lists keep their parent's key.
        """
        strings: list[str] = []
        leaves = _leaves(config, "")
        # A value shaped like an object's or a variable's name that is also a key of the
        # same config names that object (`secret: ledger-db-credentials` beside
        # `externalsecrets.ledger-db-credentials.store`; `DB_PASSWORD: DB_PASSWORD` mapping a
        # variable): an identifier, not a secret.
        names = {segment for key, _ in leaves for segment in key.split(".")}
        # A Secret object's name under a key that says it is one (`secretName`,
        # `secretRef`, `secret_name`: cert-manager, Helm charts) is that object, wherever
        # else the config repeats it (`tls.secret: inventory-grpc-tls`).
        names |= {v for key, v in leaves if isinstance(v, str) and holds_secret_name(key)}
        self.allow(
            v
            for _, v in leaves
            if isinstance(v, str)
            and v in names
            and _IDENTIFIER.fullmatch(v)
            and not looks_random(v)
        )
        for key, value in leaves:
            if not isinstance(value, str):
                continue
            if secret_value(key, value):
                self.add_known(value, CONFIG_KIND)
            strings.append(f"{key}: {value}" if secret_key_strength(key) else value)
        self.learn(strings)

    # ----------------------------------------------------------------- hiding

    def redact(self, text: str) -> str:
        """`text` with every secret (learned or found in it) replaced by its placeholder."""
        if not text:
            return text
        if text not in self._outputs:
            self._add_found(find_secrets(text))
        return self._output(self.hide_known(text))

    def _output(self, text: str) -> str:
        self._outputs.add(text)
        return text

    def hide_known(self, text: str) -> str:
        """`text` with every learned value and learned fragment replaced (no new scan)."""
        if self._known:
            text = self._known_pattern().sub(self._replace_known, text)
        if self._grams and len(text) >= FRAGMENT:
            text = self._hide_fragments(text)
        return text

    def _known_pattern(self) -> re.Pattern[str]:
        if self._pattern is None:
            # Longest first, so a secret containing another is replaced whole.
            values = sorted(self._known, key=len, reverse=True)
            self._pattern = re.compile("|".join(map(re.escape, values)))
        return self._pattern

    def _replace_known(self, match: re.Match[str]) -> str:
        value = match.group(0)
        return self.placeholder(self._known[value], value)

    def _hide_fragments(self, text: str) -> str:
        grams = self._grams
        hits = [i for i in range(len(text) - FRAGMENT + 1) if text[i : i + FRAGMENT] in grams]
        if not hits:
            return text
        out: list[str] = []
        done = 0
        index = 0
        while index < len(hits):
            start = hits[index]
            end = start + FRAGMENT
            owner = grams[text[start:end]]
            index += 1
            while index < len(hits) and hits[index] <= end:
                end = hits[index] + FRAGMENT
                index += 1
            out.append(text[done:start])
            out.append(self.placeholder(self._known[owner], owner))
            done = end
        out.append(text[done:])
        return "".join(out)

    def placeholder(self, kind: str, value: str) -> str:
        """The stable placeholder of `value` (numbered per kind, from 1)."""
        number = self._numbers.get(value)
        if number is None:
            number = self._next.get(kind, 0) + 1
            self._next[kind] = number
            self._numbers[value] = number
        return f"[REDACTED:{kind}#{number}]"

    def redact_lines(self, lines: Iterable[str]) -> list[str]:
        """Redact lines that belong together (a key block spans several of them)."""
        lines = list(lines)
        # Joined by plain newlines, unlike `learn`: these lines are one text.
        self._add_found(find_secrets("\n".join(lines)))
        return [self.redact(line) for line in lines]

    def redact_tree(self, value: Any) -> Any:
        """A JSON-like structure with every string (keys included) redacted.

        Every string is learned first, in one pass, so a value that appears clipped in one
        place and whole in another is hidden in both.
        """
        self.learn_tree(value)
        return map_strings(value, self.hide)

    def hide(self, text: str) -> str:
        """`text` with every secret learned so far hidden (nothing new is learned)."""
        return self._output(self.hide_known(text))

    @property
    def count(self) -> int:
        """How many distinct secrets were hidden so far."""
        return len(self._numbers)

    @property
    def known(self) -> int:
        """How many distinct secret values were learned so far."""
        return len(self._known)


def _leaves(config: object, prefix: str) -> list[tuple[str, object]]:
    """(dotted key, value) of every leaf of a nested mapping; list items keep the key."""
    if isinstance(config, Mapping):
        found: list[tuple[str, object]] = []
        for name, value in config.items():
            found.extend(_leaves(value, f"{prefix}.{name}" if prefix else str(name)))
        return found
    if isinstance(config, list | tuple):
        return [leaf for item in config for leaf in _leaves(item, prefix)]
    return [(prefix, config)]


def _strings(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str):
                out.append(key)
            _strings(item, out)
    elif isinstance(value, list | tuple):
        for item in value:
            _strings(item, out)


def map_strings(value: Any, fn: Callable[[str], str]) -> Any:
    """Every string of a JSON-like structure, mapping keys included, through `fn`."""
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, Mapping):
        return {
            (fn(key) if isinstance(key, str) else key): map_strings(item, fn)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [map_strings(item, fn) for item in value]
    return value


def redact(text: str) -> str:
    """Redact one string with a fresh `Redactor` (numbering starts at 1)."""
    return Redactor().redact(text)
