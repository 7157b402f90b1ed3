"""The canary corpus through the redactor: every variant of every kind is hidden."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sre.redaction import PLACEHOLDER, Redactor
from sre.redaction.rules import RULES
from tests.canaries import Canary, canary_corpus, kinds, leaks

CORPUS = canary_corpus()
# Every kind the issue names must be in the corpus.
REQUIRED_KINDS = {
    "slack", "github", "gitlab", "npm", "sendgrid", "stripe", "twilio", "sentry",
    "huggingface", "pypi", "openai", "openrouter", "anthropic", "aws", "google", "jwt",
    "azure", "private_key", "url_password", "assignment", "encoded", "config_key",
}  # fmt: skip


def test_the_corpus_covers_every_kind_with_at_least_90_variants() -> None:
    """The generated corpus has >= 90 distinct variants spanning every named kind."""
    assert len(CORPUS) >= 90
    assert len({c.name for c in CORPUS}) == len(CORPUS)
    assert set(kinds(CORPUS)) >= REQUIRED_KINDS


def test_the_corpus_is_reproducible_and_seeded() -> None:
    """The same seed draws the same values; another seed draws others."""
    assert [c.secret for c in canary_corpus()] == [c.secret for c in CORPUS]
    assert [c.secret for c in canary_corpus(seed=2)] != [c.secret for c in CORPUS]


@pytest.mark.parametrize("canary", CORPUS, ids=lambda c: c.name)
def test_each_variant_is_hidden_in_its_carrier(canary: Canary) -> None:
    """No 12-character fragment of the secret survives, and a placeholder says why."""
    out = Redactor().redact(canary.text)
    assert leaks(canary, out) == []
    assert PLACEHOLDER.search(out)


@pytest.mark.parametrize("canary", CORPUS, ids=lambda c: c.name)
def test_redaction_is_idempotent_on_the_corpus(canary: Canary) -> None:
    """Redacting redacted text changes nothing, with the same or a fresh redactor."""
    redactor = Redactor()
    once = redactor.redact(canary.text)
    assert redactor.redact(once) == once
    assert Redactor().redact(once) == once


_NOISE = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80)


@settings(max_examples=150, deadline=None)
@given(
    canary=st.sampled_from(CORPUS),
    before=_NOISE,
    after=_NOISE,
    separator=st.sampled_from([" ", "\n", "\t", " | ", "; "]),
)
def test_any_canary_in_any_text_leaves_no_secret_and_redacts_idempotently(
    canary: Canary, before: str, after: str, separator: str
) -> None:
    """Property: whatever surrounds a canary, its secret is gone and a second pass is a no-op."""
    text = before + separator + canary.text + separator + after
    redactor = Redactor()
    once = redactor.redact(text)
    assert leaks(canary, once) == []
    assert redactor.redact(once) == once


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=300))
def test_redaction_of_arbitrary_text_is_idempotent(text: str) -> None:
    """Property: on any text, redact(redact(x)) == redact(x), and placeholders stay whole."""
    redactor = Redactor()
    once = redactor.redact(text)
    assert redactor.redact(once) == once
    assert Redactor().redact(once) == once


@pytest.mark.parametrize("canary", CORPUS, ids=lambda c: c.name)
def test_rule_keywords_never_skip_a_text_the_rule_matches(canary: Canary) -> None:
    """A rule skipped for want of its keywords would have found nothing there anyway."""
    for text in (canary.text, canary.text.upper(), canary.text.lower()):
        lowered = text.lower()
        for rule in RULES:
            if list(rule.find(text)):
                assert rule.may_match(lowered), (rule.kind, text)
