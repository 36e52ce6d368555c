#!/usr/bin/env bash
# The PostgreSQL figures of docs/postgres.md, measured as users run tix (whole
# processes) against a durable throwaway cluster on this machine's Unix socket.
#
#   bench/postgres.sh        # needs Debian's postgresql package and openssl
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
tix="$PWD/target/release/tix"
eval "$(TIX_PG_DURABLE=1 scripts/pg-cluster.sh start)"
work="$(mktemp -d)"
trap 'scripts/pg-cluster.sh stop "$TIX_PG_DIR"; rm -rf "$work"' EXIT
db="$TIX_TEST_POSTGRES"       # the cluster's own 'postgres' database, empty
promoter=(--db "$db" --as promoter@demo.tix)

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

"$tix" --db "$db" demo >/dev/null
big=$("$tix" "${promoter[@]}" -q tier create 1 --name Crew --price 0 --quantity 1000000)
printf '%-58s %s\n' "job" "figure"
for i in 1 2 3; do
    t0=$(date +%s%N)
    "$tix" "${promoter[@]}" -q order create --tier "$big" --quantity 100000 --comp >/dev/null
    printf '%-58s %s ms\n' "comp order of 100,000 tickets, -q (run $i)" "$(ms "$t0")"
done

# validate as a fresh process: connect, verify, admit, log.
"$tix" "${promoter[@]}" --json order create --tier "$big" --quantity 100 --comp \
    | grep -o '"qr_payload": *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/' > "$work/codes100"
t0=$(date +%s%N)
while read -r code; do
    "$tix" "${promoter[@]}" -q validate "$code" --event 1 >/dev/null
done < "$work/codes100"
n=$(wc -l < "$work/codes100")
printf '%-58s %s us\n' "validate CODE as a fresh process (mean of $n)" $(( ($(date +%s%N) - t0) / 1000 / n ))

# 8 gates at once, each scanning the same 10,000 codes in its own order.
"$tix" "${promoter[@]}" --json order create --tier "$big" --quantity 10000 --comp \
    | grep -o '"qr_payload": *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/' > "$work/codes"
for g in 1 2 3 4 5 6 7 8; do shuf "$work/codes" > "$work/codes.$g"; done
t0=$(date +%s%N)
for g in 1 2 3 4 5 6 7 8; do
    "$tix" "${promoter[@]}" --json checkin scan --event 1 --gate "G$g" \
        < "$work/codes.$g" > "$work/scan.$g" 2>/dev/null &
done
wait || true
elapsed=$(ms "$t0")
accepted=$(cat "$work"/scan.? | { grep -o '"valid": *true' || true; } | wc -l)
refused=$(cat "$work"/scan.? | { grep -o '"reason": *"already_checked_in"' || true; } | wc -l)
failed=$(cat "$work"/scan.? | { grep -o '"error"' || true; } | wc -l)
printf '%-58s %s\n' "8 scan processes x 10,000 codes: time" "$elapsed ms"
printf '%-58s %s\n' "  admitted / already_checked_in / failed" "$accepted / $refused / $failed (want 10000 / 70000 / 0)"
