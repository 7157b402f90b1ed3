#!/usr/bin/env bash
# Capture `alpha demo` as an 80x24 terminal shows it once it has finished (docs/demo-80x24.txt).
#   bash tools/capture_demo.sh [OUTPUT]
# Needs tmux. The session runs the installed `alpha` (the venv's, else PATH's) in a fresh
# 80x24 window, waits for it to exit, and saves what the window shows.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/demo-80x24.txt}"
alpha="$PWD/.venv/bin/alpha"
[ -x "$alpha" ] || alpha="$(command -v alpha)"
session="alpha-demo-$$"
tmux new-session -d -s "$session" -x 80 -y 24 "cd /tmp && TERM=xterm-256color '$alpha' demo; tmux wait-for -S $session-done; sleep 60"
tmux wait-for "$session-done"
tmux capture-pane -p -t "$session" > "$out"
tmux kill-session -t "$session"
echo "wrote $out"
