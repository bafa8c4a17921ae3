#!/bin/sh
# Entrypoint of the once image: the first argument picks the role.
#
#   node [CONFIG]           run a node (CONFIG defaults to /etc/once/node.toml)
#   map [CONFIG]            run the register map (/etc/once/map.toml); seeds its database first
#                           on the first start (ONCE_MAP_SEED=auto, the default), every start
#                           (always) or never (never)
#   pki [OUTDIR] [CADIR]    generate the federation's PKI and configuration once (gen-pki.sh;
#                           OUTDIR /etc/once, CADIR /var/lib/once-ca)
#   crl [OUTDIR] [CADIR]    renew the CRL and copy it to OUTDIR/crl.pem
#   -…                      options of `once` (e.g. --help)
#   anything else           run as given (once register list …, sh)
#
# Before a node starts (and before the map is seeded), a PostgreSQL database_url is given time to
# answer: up to ONCE_DB_WAIT_SECONDS, 60 by default. A missing configuration stops with one line
# and exit code 64; a wrong one with once's own error line and exit code.
set -eu

STATE_DIR=${ONCE_STATE_DIR:-/var/lib/once}
CA_DIR=${ONCE_CA_DIR:-/var/lib/once-ca}
DB_WAIT_SECONDS=${ONCE_DB_WAIT_SECONDS:-60}
HERE=$(dirname "$0")

say() { printf 'entrypoint: %s\n' "$*" >&2; }

usage() {
    say "usage: entrypoint.sh node [CONFIG] | map [CONFIG] | pki [OUTDIR] [CADIR] | crl [OUTDIR] [CADIR] | COMMAND…"
    exit 64
}

# Stops unless the configuration file exists.
need_config() {
    if [ ! -f "$1" ]; then
        say "no configuration at $1: generate it first (docker compose run --rm pki) or mount one there"
        exit 64
    fi
}

# The database URL a configuration uses: the environment override $2 if set, else the file's
# database_url line.
database_url() {
    if [ -n "$2" ]; then
        printf '%s\n' "$2"
    else
        sed -n 's/^[[:space:]]*database_url[[:space:]]*=[[:space:]]*"\(.*\)"[[:space:]]*$/\1/p' "$1" | head -n 1
    fi
}

# with_database URL COMMAND…: runs a command that opens the database. While PostgreSQL does not
# answer yet (the command exits 69), tries again every 2 s for up to ONCE_DB_WAIT_SECONDS; for
# SQLite, once. Shows the command's output, and returns its exit code, at the end.
with_database() {
    url=$1
    shift
    case $url in
        postgres://* | postgresql://*) wait_for=$DB_WAIT_SECONDS ;;
        *) wait_for=0 ;;
    esac
    started=$(date +%s)
    while :; do
        status=0
        output=$("$@" 2>&1) || status=$?
        waited=$(($(date +%s) - started))
        if [ "$status" -ne 69 ] || [ "$waited" -ge "$wait_for" ]; then
            if [ -n "$output" ]; then
                printf '%s\n' "$output" >&2
            fi
            return "$status"
        fi
        if [ -z "${announced:-}" ]; then
            say "waiting up to ${wait_for} s for the database to answer"
            announced=yes
        fi
        sleep 2
    done
}

[ "$#" -ge 1 ] || usage
role=$1
shift
case $role in
    node)
        [ "$#" -le 1 ] || usage
        config=${1:-/etc/once/node.toml}
        need_config "$config"
        # `node check` reads the configuration, certificates and keys and opens the database
        # (running the migrations), then exits: a wrong setup stops here, with its one line.
        with_database "$(database_url "$config" "${ONCE_DATABASE_URL:-}")" \
            once node check --config "$config"
        exec once node run --config "$config"
        ;;
    map)
        [ "$#" -le 1 ] || usage
        config=${1:-/etc/once/map.toml}
        need_config "$config"
        marker=$STATE_DIR/map-seeded
        case ${ONCE_MAP_SEED:-auto} in
            always) seed=true ;;
            never) seed=false ;;
            auto) if [ -f "$marker" ]; then seed=false; else seed=true; fi ;;
            *)
                say "ONCE_MAP_SEED=${ONCE_MAP_SEED}: must be auto, always or never"
                exit 64
                ;;
        esac
        if "$seed"; then
            say "seeding the register map's database (the municipality list and register types of Germany)"
            with_database "$(database_url "$config" "${ONCE_MAP_DATABASE_URL:-}")" \
                once map seed --config "$config"
            if ! touch "$marker" 2>/dev/null; then
                say "cannot write $marker: the next start seeds again (mount a volume at $STATE_DIR)"
            fi
        fi
        exec once map run --config "$config"
        ;;
    pki)
        [ "$#" -le 2 ] || usage
        exec sh "$HERE/gen-pki.sh" "${1:-/etc/once}" "${2:-$CA_DIR}"
        ;;
    crl)
        [ "$#" -le 2 ] || usage
        exec sh "$HERE/gen-pki.sh" --renew-crl "${1:-/etc/once}" "${2:-$CA_DIR}"
        ;;
    -*)
        exec once "$role" "$@"
        ;;
    *)
        exec "$role" "$@"
        ;;
esac
