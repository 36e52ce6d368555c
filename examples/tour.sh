#!/usr/bin/env bash
# The README's tour as one script: set up a festival, sell, transfer, and check people in,
# online and with an offline gate file. Run it from the repository root:
#
#   cargo build --release && PATH="$PWD/target/release:$PATH" examples/tour.sh
#
# It works in a fresh temporary directory and prints every command before running it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
cd "$work"
export TIX_DB="$work/fest.db"
unset TIX_USER
run() { printf '\n$ %s\n' "$*"; "$@"; }
# scanner merge exits 7 when it found conflicts to review (0 when clean).
merge() { printf '\n$ %s   # exit 7: conflicts to review\n' "$*"; "$@" || [ $? -eq 7 ]; }
expect_fail() { printf '\n$ %s   # refused on purpose\n' "$*"; if "$@"; then echo "unexpectedly accepted" >&2; exit 1; fi; }

run tix init --admin ada@example.com --name "Ada"
run tix --as ada@example.com user add pat@example.com --name Pat --role promoter
run tix --as ada@example.com user verify pat@example.com
run tix --as ada@example.com user add bea@example.com --name Bea
run tix --as ada@example.com user add cem@example.com --name Cem
run tix --as ada@example.com user add gate1@example.com --name "Gate One" --role staff

export TIX_USER=pat@example.com
run tix event create --title "Summer Nights" --starts-at "2027-07-15 18:00" \
    --timezone Europe/Berlin --currency EUR --venue "Harbour Stage"
run tix tier create 1 --name "General Admission" --price 49.50 --quantity 500 --max-purchase 6
run tix tier create 1 --name "VIP Lounge" --price 199.99 --quantity 100 --max-purchase 4 \
    --requires-approval --no-transfer
run tix tier import 1 "$here/festival-tiers.csv" --dry-run
run tix tier import 1 "$here/festival-tiers.csv"
run tix event publish 1
run tix tier list 1
run tix tier availability 3

run tix --as bea@example.com order create --tier 1 --quantity 2
run tix order create --tier 1 --quantity 4 --buyer bea@example.com
run tix order create --tier 14 --quantity 10 --buyer cem@example.com --comp
run tix --as bea@example.com order create --tier 2 --quantity 2
run tix order approve 4
run tix -y order refund 2
expect_fail tix tier update 1 --price 59
expect_fail tix -y tier delete 1
run tix --as bea@example.com ticket list
run tix --as bea@example.com ticket attendee 1 --name "Ann Lee" --phone "+49 30 1234567"
run tix --as bea@example.com ticket transfer 1 --to cem@example.com
run tix ticket qr --event 1 --out-dir codes
run tix audit list --event 1

run tix event staff add 1 gate1@example.com
export TIX_USER=gate1@example.com
# A ticket UUID typed by staff (when a code will not scan), then the same ticket again.
run tix validate "$(tix --as bea@example.com -q ticket show 2)" --event 1 --gate North
expect_fail tix validate "$(tix --as bea@example.com -q ticket show 2)" --event 1 --gate South
# Ticket 1 changed hands: its UUID no longer gets in, only Cem's current QR code does.
expect_fail tix validate "$(tix --as cem@example.com -q ticket show 1)" --event 1
run tix --as cem@example.com ticket show 1 --qr ticket1.png
run tix validate --image ticket1.png --event 1 --gate North
run tix checkin stats 1

export TIX_USER=pat@example.com
run tix scanner export 1 --out north.tixgate
tix -q ticket list --event 1 | head -5 > scanned.txt
printf '\n$ tix --db north.tixgate checkin scan --gate East < scanned.txt\n'
tix --db north.tixgate checkin scan --gate East < scanned.txt || true
merge tix scanner merge 1 north.tixgate
run tix checkin stats 1

# What promoters take for granted: a waitlist, reports, exports, printable tickets and
# e-mail, and cancelling an event with everything sold for it.
run tix tier create 1 --name "Backstage" --price 250 --quantity 2 --max-purchase 2 --waitlist-hold 12h
run tix --as bea@example.com order create --tier 15 --quantity 2 --payment-ref "SumUp 4471"
run tix --as cem@example.com waitlist join 15
run tix -y order refund 5 --payment-ref "SumUp refund 4471"
run tix waitlist list 15
run tix --as cem@example.com waitlist claim 1
run tix report sales 1
run tix export attendees 1 --out door-list.csv
run tix export orders 1 --format json --out orders.jsonl
run tix export checkins 1 --out scans.csv
run tix event update 1 --ticket-note "Doors open 17:00. No glass on the grounds."
run tix order pdf 3 --out order-3.pdf
run tix ticket pdf --event 1 --out-dir pdfs
run tix ticket send --event 1 --outbox outbox
run tix ticket send --event 1 --outbox outbox
run tix event create --title "Winter Nights" --starts-at "2027-12-10 19:00" --timezone Europe/Berlin
run tix tier create 2 --name Hall --price 30 --quantity 100
run tix event publish 2
run tix --as bea@example.com order create --tier 16 --quantity 3
expect_fail tix -y event cancel 2
run tix -y event cancel 2 --refund
echo
echo "Tour done; its files are in $work"
