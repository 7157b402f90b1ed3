"""The in-progress view's reducer for the live sources' words (`RunView.source`)."""

from __future__ import annotations

from bot.progress import MAX_SOURCE_MESSAGE, RunView


def test_a_source_keeps_only_its_latest_word_in_first_seen_order() -> None:
    """Each source has one line, created at its first word, holding its latest word."""
    view = RunView(title="deployment 102", source_names=["GitHub", "Sentry"])
    assert view.sources == {}
    view.source("Sentry", "listing issues")
    view.source("GitHub", "resolving 102")
    view.source("Sentry", "2 issues; latest events 1/2")
    assert [(s.name, s.state, s.message) for s in view.sources.values()] == [
        ("Sentry", "fetching", "2 issues; latest events 1/2"),
        ("GitHub", "fetching", "resolving 102"),
    ]


def test_a_sources_end_is_final() -> None:
    """After done or failed, a late word (an abandoned thread still reporting) changes
    nothing: a failure is never turned back into "fetching"."""
    view = RunView(title="deployment 102")
    view.source("GitHub", "GitHub unreachable: no complete answer within 20 s", failed=True)
    view.source("GitHub", "3 commits; files of 2/3")
    view.source("GitHub", "3 commits", done=True)
    view.source("Sentry", "2 issues, 6 log lines", done=True)
    view.source("Sentry", "Sentry unreachable: HTTP 503 after 1 try", failed=True)
    github, sentry = view.sources["GitHub"], view.sources["Sentry"]
    assert (github.state, github.message) == (
        "failed",
        "GitHub unreachable: no complete answer within 20 s",
    )
    assert (sentry.state, sentry.message) == ("done", "2 issues, 6 log lines")


def test_an_overlong_word_is_cut() -> None:
    """Upstream text in a word is cut to one line's worth of characters."""
    view = RunView(title="deployment 102")
    view.source("Sentry", "x" * 10_000)
    assert len(view.sources["Sentry"].message) == MAX_SOURCE_MESSAGE
