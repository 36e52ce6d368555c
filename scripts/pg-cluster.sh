#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tix's tests: `initdb` in a temporary directory, run
# as a non-root user, listening only on a Unix socket in that directory.
#
#   eval "$(scripts/pg-cluster.sh start)"   # exports TIX_TEST_POSTGRES and TIX_PG_DIR
#   scripts/pg-cluster.sh stop "$TIX_PG_DIR"
#
# Needs PostgreSQL's server binaries (Debian: apt-get install postgresql).
set -euo pipefail

bindir() {
    if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
        pg_config --bindir
        return
    fi
    local d
    for d in /usr/lib/postgresql/*/bin; do
        [ -x "$d/initdb" ] && { echo "$d"; return; }
    done
    echo "no PostgreSQL server binaries found (Debian: apt-get install postgresql)" >&2
    exit 1
}

# Runs a command as the cluster's owner: this user, or `tixpg` when running as root
# (PostgreSQL refuses to run as root).
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        id tixpg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin tixpg
        runuser -u tixpg -- "$@"
    else
        "$@"
    fi
}

case "${1:-}" in
start)
    bin="$(bindir)"
    dir="$(mktemp -d /tmp/tix-pg.XXXXXX)"
    chmod 755 "$dir"
    [ "$(id -u)" = 0 ] && { id tixpg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin tixpg; chown tixpg "$dir"; }
    as_owner "$bin/initdb" -D "$dir/data" -U tix -A trust --encoding UTF8 --locale C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    # TLS on a loopback port too, with a certificate authority of the cluster's own,
    # so the tests can check that a TLS connection verifies (and an unknown CA fails).
    tls_opts="-c listen_addresses=''"
    port=""
    if command -v openssl >/dev/null 2>&1; then
        (
            cd "$dir"
            openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
                -subj "/CN=tix test CA" >/dev/null 2>&1
            openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
                -subj "/CN=localhost" >/dev/null 2>&1
            printf 'subjectAltName=DNS:localhost\n' > ext.cnf
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
                -out server.crt -days 2 -extfile ext.cnf >/dev/null 2>&1
        )
        cp "$dir/server.crt" "$dir/server.key" "$dir/data/"
        [ "$(id -u)" = 0 ] && chown tixpg "$dir/data/server.crt" "$dir/data/server.key"
        chmod 600 "$dir/data/server.key"
        port=$(( 20000 + RANDOM % 20000 ))
        tls_opts="-c listen_addresses=localhost -p $port -c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key"
    fi
    # Throwaway data: no fsync, unless TIX_PG_DURABLE=1 (for benchmarks, which should
    # pay for durability as a real server does). Enough connections for the race tests.
    durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    [ "${TIX_PG_DURABLE:-}" = 1 ] && durability=""
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-k $dir $tls_opts $durability -c max_connections=200" \
        start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    # The socket is named after the port.
    portq=""
    [ -n "$port" ] && portq="&port=$port"
    echo "export TIX_PG_DIR='$dir'"
    echo "export TIX_TEST_POSTGRES='postgres://tix@localhost/postgres?host=$dir$portq'"
    if [ -n "$port" ]; then
        echo "export TIX_TEST_POSTGRES_TLS='postgres://tix@localhost:$port/postgres?sslmode=require'"
        echo "export TIX_TEST_POSTGRES_CA='$dir/ca.pem'"
    fi
    ;;
stop)
    dir="${2:?usage: pg-cluster.sh stop DIR}"
    bin="$(bindir)"
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
*)
    echo "usage: pg-cluster.sh start | stop DIR" >&2
    exit 2
    ;;
esac
