#!/usr/bin/env bash
# Sets up a whole festival — users, an event and a dozen tiers — from one CSV file with a
# single `tix tier import`. Re-running it is safe: existing tiers are updated, not duplicated.
#
#   examples/setup-festival.sh [DB_FILE] [TIERS_FILE]
#
# Uses `tix` from PATH, or the debug/release build of this checkout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export TIX_DB=${1:-./festival.db}
tiers_file=${2:-$here/festival-tiers.csv}
tix=$(command -v tix || true)
for candidate in "$here/../target/release/tix" "$here/../target/debug/tix"; do
    [ -n "$tix" ] || { [ -x "$candidate" ] && tix=$candidate; } || true
done
[ -n "$tix" ] || { echo "build tix first: cargo build --release" >&2; exit 1; }

admin=admin@festival.example
promoter=promoter@festival.example
"$tix" -q init --admin "$admin" --name "Festival Admin" >/dev/null
if ! "$tix" -q --as "$admin" user show "$promoter" >/dev/null 2>&1; then
    "$tix" -q --as "$admin" user add "$promoter" --name "Festival Promoter" --role promoter >/dev/null
fi
"$tix" -q --as "$admin" user verify "$promoter" >/dev/null

export TIX_USER=$promoter
title="Harbour Lights Festival 2027"
# The event's id is kept next to the database (or in FESTIVAL_ID_FILE, for a database
# that is no file: postgres://…), so a second run updates the same event.
id_file="${FESTIVAL_ID_FILE:-$TIX_DB.festival-id}"
event=$(cat "$id_file" 2>/dev/null || true)
if [ -z "$event" ] || ! "$tix" -q event show "$event" >/dev/null 2>&1; then
    event=$("$tix" -q event create --title "$title" --starts-at "2027-07-16 12:00" \
        --ends-at "2027-07-18 23:00" --venue "Harbour Park" --timezone Europe/Berlin --currency EUR)
    echo "$event" > "$id_file"
fi
"$tix" tier import "$event" "$tiers_file"
"$tix" event publish "$event" >/dev/null
echo
"$tix" tier list "$event" --include-inactive
