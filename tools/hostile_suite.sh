#!/usr/bin/env bash
# The whole test suite under hostile environments, counts side by side.
#
# Runs `.venv/bin/python -m pytest` five times from the repository root:
#   plain    as this shell has it
#   bare     env -i PATH=/usr/bin:/bin HOME=<empty dir> (no venv on PATH, nothing exported)
#   junk     every ALPHA_/SLACK_/SENTRY_/GITHUB_/OPENROUTER_ variable the code reads set to junk
#   proxy    HTTPS_PROXY/HTTP_PROXY/ALL_PROXY (both cases) at a dead port, 127.0.0.1:9
#   loaded   two CPU burners per core running beside the suite
# and prints each run's summary line. The counts must be the same in every run; the script
# exits 1 when they differ or a run fails. Logs stay in the printed directory.
#
# Usage: bash tools/hostile_suite.sh [pytest args...]   (e.g. tests/sre to try a part)
set -uo pipefail
cd "$(dirname "$0")/.."

py=.venv/bin/python
logs=$(mktemp -d)
burners=()
stop_burners() {
    for pid in "${burners[@]}"; do kill "$pid" 2>/dev/null; done
    burners=()
}
trap stop_burners EXIT

summary() {
    # The last line pytest prints: "N passed, M skipped in 12.34s" -> "N passed, M skipped".
    tail -n 1 "$1" | sed -E 's/=//g; s/ in [0-9.]+s.*$//; s/^ +//'
}

run() {
    local name=$1
    shift
    echo "== $name" >&2
    "$@" "$py" -m pytest -p no:cacheprovider "${args[@]}" >"$logs/$name.log" 2>&1
    echo $? >"$logs/$name.rc"
}

args=("$@")

# Every variable of ours the code reads, found in the code itself so the list stays whole.
mapfile -t names < <(
    grep -rhoE '"(ALPHA|SLACK|SENTRY|GITHUB|OPENROUTER)_[A-Z0-9_]+"' alpha sre bot | tr -d '"' |
        sort -u
)
# Per-agent model variables are built from the agent's name.
names+=(ALPHA_MODEL_LOGAGENT ALPHA_MODEL_METRICSAGENT ALPHA_MODEL_COMMITAGENT ALPHA_MODEL_CONFIGAGENT)
junk=()
for name in "${names[@]}"; do junk+=("$name=junk-${name,,}"); done
# The golden switch rewrites only when it is exactly 1.
junk+=(ALPHA_UPDATE_GOLDEN=0)
dead=http://127.0.0.1:9
proxies=(HTTPS_PROXY=$dead HTTP_PROXY=$dead ALL_PROXY=$dead https_proxy=$dead http_proxy=$dead
    all_proxy=$dead)

run plain env
run bare env -i PATH=/usr/bin:/bin HOME="$(mktemp -d)"
run junk env "${junk[@]}"
run proxy env "${proxies[@]}"
cores=$(nproc)
for _ in $(seq 1 $((2 * cores))); do
    python3 -c 'while 1: pass' &
    burners+=($!)
done
run loaded env
stop_burners

echo
printf '%-8s %-4s %s\n' run rc summary
status=0
first=""
for name in plain bare junk proxy loaded; do
    line=$(summary "$logs/$name.log")
    rc=$(cat "$logs/$name.rc")
    printf '%-8s %-4s %s\n' "$name" "$rc" "$line"
    if [ "$rc" != 0 ]; then status=1; fi
    if [ -z "$first" ]; then first=$line; elif [ "$line" != "$first" ]; then status=1; fi
done
echo "logs: $logs ($((2 * cores)) burners for the loaded run)"
if [ "$status" != 0 ]; then echo "the runs differ or failed" >&2; fi
exit "$status"
