"""Render a Slack message's Block Kit JSON as a screenshot-like SVG (for the README).

    python tools/render_blockkit.py --demo docs/slack-final-message.json
    python tools/render_blockkit.py docs/slack-final-message.json docs/slack-final-message.svg

`--demo` writes the final message the bot posts for the bundled demo incident (the real
engine and `bot.blocks.render_final`, with a fixed execution id and duration so the file is
stable). The second form draws any `{"text", "blocks"}` file the way Slack lays it out:
header, sections with mrkdwn (bold, italics, inline code, `<url|links>`, entities,
emoji), context lines, buttons, through Rich's SVG export. Only what the bot sends is
supported; unknown block types are drawn as their type name.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import io
import json
import re
import sys
from pathlib import Path
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.rule import Rule
from rich.terminal_theme import TerminalTheme
from rich.text import Text

WIDTH = 96
# Slack's light theme: white background, near-black text.
LIGHT = TerminalTheme(
    (255, 255, 255),
    (29, 28, 29),
    [
        (0, 0, 0),
        (224, 30, 90),
        (0, 122, 90),
        (236, 178, 46),
        (18, 100, 163),
        (97, 31, 105),
        (54, 197, 240),
        (221, 221, 221),
    ],
    [
        (97, 96, 97),
        (224, 30, 90),
        (0, 122, 90),
        (236, 178, 46),
        (18, 100, 163),
        (97, 31, 105),
        (54, 197, 240),
        (255, 255, 255),
    ],
)
EMOJI = {
    "rotating_light": "🚨",
    "warning": "⚠️",
    "white_check_mark": "✅",
    "x": "❌",
    "information_source": "ℹ️",
    "repeat": "🔁",
    "scissors": "✂️",
    "hourglass_flowing_sand": "⏳",
    "mag": "🔍",
    "gear": "⚙️",
    "alarm_clock": "⏰",
    "no_entry_sign": "🚫",
    "double_vertical_bar": "⏸",
    "white_circle": "⚪",
}
# One mrkdwn token: a link, inline code, bold, italics or an emoji name.
_TOKEN = re.compile(
    r"<(?P<url>[^<>|]+)\|(?P<label>[^<>]+)>|`(?P<code>[^`]*)`"
    # Bold opens after a space or the start, as Slack's does (`&lt;*&gt;` is no bold).
    r"|(?<![\w;&*])\*(?P<bold>[^*\n\s][^*\n]*?)\*(?![\w])"
    r"|(?<![\w])_(?P<italic>[^_\n]+)_(?![\w])|:(?P<emoji>[a-z_]+):"
)


def mrkdwn(text: str, base: str = "") -> Text:
    """Slack mrkdwn as styled Rich text (entities decoded after parsing, as Slack does)."""
    out = Text(style=base)
    position = 0
    for match in _TOKEN.finditer(text):
        out.append(html.unescape(text[position : match.start()]))
        if match.group("url"):
            out.append(html.unescape(match.group("label")), style="underline #1264a3")
        elif match.group("code") is not None:
            out.append(html.unescape(match.group("code")), style="#e01e5a on #f4f4f4")
        elif match.group("bold"):
            out.append_text(mrkdwn(match.group("bold"), "bold"))
        elif match.group("italic"):
            out.append_text(mrkdwn(match.group("italic"), "italic"))
        else:
            name = match.group("emoji")
            out.append(EMOJI.get(name, f":{name}:"))
        position = match.end()
    out.append(html.unescape(text[position:]))
    return out


def _button(element: dict[str, Any]) -> Text:
    style = {"primary": "bold white on #007a5a", "danger": "bold white on #e01e5a"}.get(
        element.get("style", ""), "bold #1d1c1d on #ffffff"
    )
    return Text(f" {element['text']['text']} ", style=style)


def block_view(block: dict[str, Any]) -> RenderableType:
    """One block as Slack shows it."""
    kind = block.get("type")
    if kind == "header":
        return Text(html.unescape(block["text"]["text"]), style="bold #1d1c1d")
    if kind == "section":
        return mrkdwn(block["text"]["text"])
    if kind == "context":
        line = Text()
        for index, element in enumerate(block.get("elements", [])):
            if index:
                line.append("   ")
            line.append_text(mrkdwn(element.get("text", ""), "#616061"))
        return line
    if kind == "actions":
        row = Text()
        for element in block.get("elements", []):
            row.append_text(_button(element))
            row.append("  ")
        return row
    if kind == "divider":
        return Rule(style="#dddddd")
    return Text(f"[{kind}]", style="dim")


def message_view(message: dict[str, Any]) -> RenderableType:
    """The whole message under the app's name, as in a channel."""
    parts: list[RenderableType] = [
        Text.assemble(("Alpha", "bold #1d1c1d"), "  ", ("APP", "#616061 on #e8e8e8"))
    ]
    for block in message["blocks"]:
        parts += [Text(""), block_view(block)]
    return Panel(Group(*parts), border_style="#dddddd", padding=(1, 2))


def render_svg(message: dict[str, Any], title: str = "Slack · #incidents") -> str:
    """The message as an SVG image (Rich's export: fonts embedded, no browser needed)."""
    console = Console(record=True, width=WIDTH, file=io.StringIO(), color_system="truecolor")
    console.print(message_view(message))
    return console.export_svg(title=title, theme=LIGHT)


def demo_message() -> dict[str, Any]:
    """The final message of the bundled demo, as the bot renders it (stable ids and times)."""
    from bot.blocks import render_final
    from bot.targets import DEMO_ID, Target
    from sre.engine import investigate
    from sre.redaction.boundary import redact_result
    from sre.references import from_payload
    from sre.scenarios import incident_b

    scenario = incident_b.scenario()
    result = asyncio.run(investigate(scenario.incident))
    result = redact_result(result, None, single_line=True).model_copy(
        update={"execution_id": "0a1b2c3d4e5f", "execution_time_ms": 48.0}
    )
    target = Target("demo", DEMO_ID)
    message = render_final(
        result,
        title=target.plain_title,
        rerun_value=target.to_value(),
        refs=from_payload(scenario.incident),
    )
    return {"text": message.text, "blocks": message.blocks}


def main(argv: list[str] | None = None) -> int:
    """Write the demo's Block Kit JSON, or render a JSON file as SVG."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--demo", metavar="JSON", help="write the demo's final message here")
    parser.add_argument("source", nargs="?", help="Block Kit JSON ({text, blocks})")
    parser.add_argument("target", nargs="?", help="SVG to write")
    args = parser.parse_args(argv)
    if args.demo:
        Path(args.demo).write_text(json.dumps(demo_message(), indent=2, ensure_ascii=False) + "\n")
        return 0
    if not (args.source and args.target):
        parser.error("give --demo JSON, or SOURCE.json TARGET.svg")
    message = json.loads(Path(args.source).read_text())
    Path(args.target).write_text(render_svg(message))
    return 0


if __name__ == "__main__":
    sys.exit(main())
