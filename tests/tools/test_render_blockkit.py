"""The README's picture of a Slack message is drawn from Block Kit JSON the bot renders."""

from __future__ import annotations

import json

from tests.tools.conftest import ROOT, load_module

render = load_module("tools/render_blockkit.py", "render_blockkit")
DOCS = ROOT / "docs"


def test_the_committed_svg_is_the_rendering_of_the_committed_json() -> None:
    """docs/slack-final-message.svg is exactly what the tool draws from the JSON beside it."""
    message = json.loads((DOCS / "slack-final-message.json").read_text())
    assert (DOCS / "slack-final-message.svg").read_text() == render.render_svg(message)


def test_the_committed_json_is_a_final_message_opening_with_the_verdict() -> None:
    """The JSON is a final message of the demo: header, then the verdict's three lines."""
    message = json.loads((DOCS / "slack-final-message.json").read_text())
    verdict = message["blocks"][1]["text"]["text"].splitlines()
    assert [line.split("*")[1] for line in verdict] == ["What broke", "How sure", "Do now"]


def test_mrkdwn_is_drawn_as_slack_shows_it() -> None:
    """Bold, code, links and entities are styled; `&lt;*&gt;` in a template is not bold."""
    text = render.mrkdwn(
        "*What broke* `sig_001` <https://x.example|5ae6cd2> size=&lt;*&gt; x&lt;*&gt;"
    )
    assert text.plain == "What broke sig_001 5ae6cd2 size=<*> x<*>"
    styles = {text.plain[span.start : span.end]: str(span.style) for span in text.spans}
    assert styles["What broke"] == "bold"
    assert "underline" in styles["5ae6cd2"]
    assert not any("<*>" in key for key in styles)
