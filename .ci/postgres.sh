#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: Debian's server binaries, initdb in DIR,
# listening on 127.0.0.1 on a free port, trust authentication, no fsync.
#
#   .ci/postgres.sh start DIR   prints the URL (postgresql+asyncpg://alpha@127.0.0.1:PORT/alpha)
#   .ci/postgres.sh stop DIR    stops it (DIR can then be removed)
#
# PostgreSQL refuses to run as root: when run as root, the cluster belongs to the
# `postgres` user the Debian package creates (or `nobody` if there is none).
set -euo pipefail
# runuser lives in sbin, which a bare CI environment may leave out of PATH.
export PATH="$PATH:/usr/sbin:/sbin"
# The server may run as another user, who cannot enter the caller's folder.
cd /
action=${1:?usage: postgres.sh start|stop DIR}
dir=${2:?usage: postgres.sh start|stop DIR}

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    echo "postgres.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2
    exit 3
fi

owner=""
if [ "$(id -u)" = 0 ]; then
    if id postgres >/dev/null 2>&1; then owner=postgres; else owner=nobody; fi
fi
as_owner() {
    if [ -n "$owner" ]; then runuser -u "$owner" -- "$@"; else "$@"; fi
}

case "$action" in
start)
    mkdir -p "$dir"
    if [ -n "$owner" ]; then chown "$owner" "$dir"; fi
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$bindir/initdb" -D "$dir/data" -U alpha --auth=trust -E UTF8 --no-sync >"$dir/initdb.log"
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null
    as_owner "$bindir/createdb" -h 127.0.0.1 -p "$port" -U alpha alpha
    echo "postgresql+asyncpg://alpha@127.0.0.1:$port/alpha"
    ;;
stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    fi
    ;;
*)
    echo "postgres.sh: unknown action $action (start or stop)" >&2
    exit 2
    ;;
esac
