#!/usr/bin/env bash
# A throwaway PostgreSQL server for the store and ledger tests (Debian's `postgresql`).
#   pg-throwaway.sh start DIR PORT   -> initialises DIR, starts a server on 127.0.0.1:PORT with
#                                       trust authentication, creates database critmin_test,
#                                       prints its SQLAlchemy URL
#   pg-throwaway.sh stop DIR         -> stops it (DIR can then be deleted)
# Run as root it runs the server as the `postgres` user (PostgreSQL refuses to run as root).
set -euo pipefail
cmd=$1 dir=$2
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "no PostgreSQL under /usr/lib/postgresql (apt-get install postgresql)" >&2; exit 3; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case $cmd in
start)
    port=$3
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    as_pg "$bin/initdb" -D "$dir/data" -A trust -U postgres --no-sync >/dev/null
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
    as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres critmin_test
    echo "postgresql+psycopg://postgres@127.0.0.1:$port/critmin_test"
    ;;
stop)
    as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    ;;
esac
