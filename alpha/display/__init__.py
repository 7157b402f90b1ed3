"""Terminal output: the Rich live display of a run and the rendering of its result."""

from alpha.display.live import LiveDisplay, render_result
from alpha.display.result import plain_result_lines, result_view

__all__ = ["LiveDisplay", "plain_result_lines", "render_result", "result_view"]
