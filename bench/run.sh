#!/usr/bin/env bash
# "Fast at every scale": every job as users run it (whole tix processes), beside its
# baseline in the same run, in one table: job | tix | baseline | ratio | target | result.
#
#   bench/run.sh                    # main table at 100,000 tickets (exit 0: every row passes)
#   bench/run.sh --quick            # main table at 10,000 tickets (targets only indicative)
#   bench/run.sh --growth           # every scaling job at 10k, 100k and 1M tickets: time, peak RSS
#   bench/run.sh --growth --sizes "10000 100000"   # other sizes for --growth
#
#   TIX_BIN=/path/to/tix            # use this binary (default: cargo build --release -q)
#   BENCH_MD=file.md                # also write the table as Markdown
#   BENCH_KEEP=1                    # keep the temporary directory (its path is printed)
#
# Progress goes to stderr, the table to stdout. Needs hyperfine, sqlite3, zbarimg, GNU time
# and python3 (installed with apt-get when missing); the PostgreSQL rows need PostgreSQL's
# server binaries (scripts/pg-cluster.sh) and are "skipped" without them.
set -Eeuo pipefail
# Paths the caller gave are theirs: make them absolute before moving to the repository.
abspath() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
self=$(abspath "$0")
[ -n "${TIX_BIN:-}" ] && TIX_BIN=$(abspath "$TIX_BIN")
[ -n "${BENCH_MD:-}" ] && BENCH_MD=$(abspath "$BENCH_MD")
cd "$(dirname "$self")/.."
repo=$PWD

usage() { sed -n '2,/^set -/p' "$self" | grep '^#' | sed 's/^# \{0,1\}//'; }
log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { printf 'bench/run.sh: error: %s\n' "$*" >&2; exit 2; }

# ---------------------------------------------------------------------------- options
MODE=main
QUICK=0
SIZES="10000 100000 1000000"
while [ $# -gt 0 ]; do
    case "$1" in
        --growth) MODE=growth ;;
        --quick) QUICK=1 ;;
        --sizes) [ $# -ge 2 ] || die "--sizes needs a list, e.g. --sizes \"10000 100000\""
                 SIZES=$2; shift ;;
        --sizes=*) SIZES=${1#*=} ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown argument '$1' (see bench/run.sh --help)" ;;
    esac
    shift
done
for s in $SIZES; do
    [[ "$s" =~ ^[0-9]+$ ]] && [ "$s" -ge 100 ] || die "--sizes: '$s' is not a whole number >= 100"
done

# Sizes of the main table. --quick shrinks every data set tenfold.
if [ "$QUICK" = 1 ]; then
    N=10000; BIGN=100000; PDFN=1000; PG_SCAN=2000
else
    N=100000; BIGN=1000000; PDFN=5000; PG_SCAN=10000
fi
S=$((N / 2))          # codes per scan job (50,000 at N = 100,000)
VAL=200               # validate processes for tix, as many for the sqlite3 baseline
ROUNDS=4              # ... in this many alternating rounds
PG_VAL=100            # validate processes on PostgreSQL
HRUNS=100             # hyperfine runs of the fast commands (after 5 warmups)
PROMOTER=promoter@demo.tix
export TIX_NO_INPUT=1 # never a prompt

# ---------------------------------------------------------------------------- tools
ensure_tools() {
    local need=""
    command -v hyperfine >/dev/null 2>&1 || need="$need hyperfine"
    command -v sqlite3 >/dev/null 2>&1 || need="$need sqlite3"
    command -v zbarimg >/dev/null 2>&1 || need="$need zbar-tools"
    [ -x /usr/bin/time ] || need="$need time"
    command -v python3 >/dev/null 2>&1 || need="$need python3"
    [ -z "$need" ] && return 0
    log "installing:$need"
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo -n"
    $sudo apt-get update -qq || die "apt-get update failed; install$need by hand"
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $need >/dev/null \
        || die "could not install$need; install them by hand"
}
ensure_tools

if [ -n "${TIX_BIN:-}" ]; then
    [ -x "$TIX_BIN" ] || die "TIX_BIN=$TIX_BIN is not an executable file"
    tix=$TIX_BIN
else
    log "cargo build --release -q"
    cargo build --release -q || die "cargo build --release failed"
    tix=$repo/target/release/tix
fi
"$tix" --version >/dev/null || die "$tix does not run"

# ---------------------------------------------------------------------------- scratch
work=$(mktemp -d "${TMPDIR:-/tmp}/tix-bench.XXXXXX")
PG_DIR=""
cleanup() {
    local rc=$?
    if [ -n "$PG_DIR" ]; then scripts/pg-cluster.sh stop "$PG_DIR" || true; fi
    if [ "${BENCH_KEEP:-}" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
on_err() { printf 'bench/run.sh: line %s: command failed (exit %s): %s\n' "$1" "$2" "$3" >&2; }
trap 'on_err "$LINENO" "$?" "$BASH_COMMAND"' ERR
START_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
START_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
ROWS=$work/rows.tsv
: > "$ROWS"
log "scratch directory $work, tix $tix"

# The helper for what bash does badly: monotonic timing of whole processes, JSON, number
# formatting and the aligned table.
PYB=$work/bench.py
cat > "$PYB" <<'PY'
import json, os, random, statistics, subprocess, sys, time

def run(res, *cmd):
    """CMD under GNU time with the caller's stdin/stdout, its stderr into RES.err;
    writes 'seconds peak_MB' to RES."""
    gnu = res + ".gnu"
    t0 = time.monotonic()
    with open(res + ".err", "w") as err:
        rc = subprocess.call(["/usr/bin/time", "-f", "%e %M", "-o", gnu, *cmd], stderr=err)
    secs = time.monotonic() - t0
    rss = 0.0
    try:
        last = [l for l in open(gnu).read().splitlines() if l.strip()][-1].split()
        rss = int(last[1]) / 1024
    except (OSError, IndexError, ValueError):
        pass
    open(res, "w").write(f"{secs:.6f} {rss:.1f}\n")
    sys.exit(rc)

def each(res, codes, *cmd):
    """CMD once per line of CODES ({} replaced by the line), each a fresh process.
    Writes 'mean_ms median_ms count ok'; ok = exit 0 and something on stdout. (No peak RSS:
    a forked child's maximum RSS counts this Python before the exec.)"""
    times, ok, told = [], 0, False
    err = open(res + ".err", "w+b")
    for code in (l.strip() for l in open(codes)):
        if not code:
            continue
        argv = [a.replace("{}", code) for a in cmd]
        err.seek(0)
        err.truncate()
        t0 = time.monotonic()
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err)
        out = p.stdout.read()
        _, status, _ = os.wait4(p.pid, 0)
        times.append(time.monotonic() - t0)
        p.returncode = os.waitstatus_to_exitcode(status)
        p.stdout.close()
        if p.returncode == 0 and out.strip():
            ok += 1
        elif not told:   # the first failure, for the reader of stderr
            told = True
            err.seek(0)
            print(f"bench: {' '.join(argv)[:200]} exited {p.returncode}: "
                  f"{(out + err.read()).decode(errors='replace').strip()[:500]}", file=sys.stderr)
    if not times:
        sys.exit("no codes in " + codes)
    open(res, "w").write(f"{statistics.mean(times)*1e3:.4f} {statistics.median(times)*1e3:.4f} "
                         f"{len(times)} {ok}\n")

def par(res, k, inprefix, outprefix, *cmd):
    """K copies of CMD at once, copy i reading INPREFIX.i and writing OUTPREFIX.i.
    Writes 'seconds rc,rc,...'."""
    procs = []
    t0 = time.monotonic()
    for i in range(1, int(k) + 1):
        procs.append(subprocess.Popen(cmd, stdin=open(f"{inprefix}.{i}"),
                                      stdout=open(f"{outprefix}.{i}", "w"),
                                      stderr=open(f"{outprefix}.{i}.err", "w")))
    rcs = [p.wait() for p in procs]
    open(res, "w").write(f"{time.monotonic()-t0:.6f} {','.join(map(str, rcs))}\n")

def hyper(path):
    """Medians (seconds) of the benchmarks of a hyperfine --export-json file, in order."""
    print(" ".join(f"{r['median']:.6f}" for r in json.load(open(path))["results"]))

def codes(listing, out):
    """id, uuid and code of each ticket of a `ticket list --json`, streamed: the list has
    one element per line (docs/json.md)."""
    n = 0
    with open(listing) as f, open(out, "w") as o:
        for line in f:
            s = line.strip().rstrip(",")
            if s.startswith("{"):
                t = json.loads(s)
                o.write(f"{t['id']}\t{t['uuid']}\t{t['qr_payload']}\n")
                n += 1
    if n == 0:
        with open(listing) as f, open(out, "w") as o:
            for t in json.load(f):
                o.write(f"{t['id']}\t{t['uuid']}\t{t['qr_payload']}\n")

def qrcheck(folder, tsv, k):
    """Decodes K random UUID.png of FOLDER with zbarimg; prints 'decoded_right sampled'."""
    want = {}
    for line in open(tsv):
        _, uuid, code = line.rstrip("\n").split("\t")
        want[uuid] = code
    files = [f for f in os.listdir(folder) if f.endswith(".png")]
    sample = random.sample(files, min(int(k), len(files)))
    good = 0
    for f in sample:
        r = subprocess.run(["zbarimg", "--raw", "-q", os.path.join(folder, f)],
                           capture_output=True, text=True)
        got = r.stdout.strip()
        if r.returncode == 0 and got == want.get(f[:-4]):
            good += 1
        else:
            print(f"qr check: {f} decoded to {got!r}, want {want.get(f[:-4])!r}", file=sys.stderr)
    print(good, len(sample))

def group(path, out):
    """The TSV PATH with its rows grouped by their first column, in order of first appearance."""
    head, *rows = [l for l in open(path) if l.strip()]
    order = {}
    for r in rows:
        order.setdefault(r.split("\t")[0], len(order))
    rows.sort(key=lambda r: order[r.split("\t")[0]])
    open(out, "w").write(head + "".join(rows))

def calc(fmt, expr):
    print(format(eval(expr, {"__builtins__": {}}, {"min": min, "max": max}), fmt))

def cmp(a, op, b):
    a, b = float(a), float(b)
    sys.exit(0 if {"<=": a <= b, ">=": a >= b, "<": a < b, ">": a > b}[op] else 1)

def dur(secs):
    """Seconds as people read them: 4.1 ms, 312 ms, 2.45 s, 95.3 s."""
    s = float(secs)
    print(f"{s*1e3:.1f} ms" if s < 0.1 else f"{s*1e3:.0f} ms" if s < 1 else
          f"{s:.2f} s" if s < 10 else f"{s:.1f} s")

def median(*xs):
    print(f"{statistics.median(map(float, xs)):.6f}")

def table(rows, head, md=""):
    """Aligned table of the TSV file ROWS (first line: column names), after HEAD's lines."""
    lines = [l.rstrip("\n").split("\t") for l in open(rows) if l.strip()]
    width = [max(len(r[i]) for r in lines) for i in range(len(lines[0]))]
    header = open(head).read().rstrip("\n")
    out = [header, ""]
    for j, r in enumerate(lines):
        out.append(" | ".join(c.ljust(w) for c, w in zip(r, width)).rstrip())
        if j == 0:
            out.append("-+-".join("-" * w for w in width))
    print("\n".join(out))
    if md:
        with open(md, "w") as f:
            f.write("\n".join("    " + l if l else "" for l in header.splitlines()) + "\n\n")
            for j, r in enumerate(lines):
                f.write("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |\n")
                if j == 0:
                    f.write("|" + "|".join("---" for _ in r) + "|\n")

globals()[sys.argv[1]](*sys.argv[2:])
PY

py() { python3 "$PYB" "$@"; }

# ---------------------------------------------------------------------------- helpers
# measure CMD... | measure tx DB ARGS...: runs CMD (tx: tix as the promoter) with stdin and
# stdout as the caller redirects them; sets SECS (wall time, monotonic clock), RSS_MB (peak,
# GNU time's %M) and RC (its exit status). Its stderr is kept in $work/m.out.err.
measure() {
    if [ "$1" = tx ]; then
        shift
        local db=$1
        shift
        set -- "$tix" --db "$db" --as "$PROMOTER" "$@"
    fi
    RC=0
    python3 "$PYB" run "$work/m.out" "$@" || RC=$?
    read -r SECS RSS_MB < "$work/m.out"
}
# expect_rc OK...: fails the job unless the last measured exit status is one of OK.
expect_rc() {
    local ok
    for ok in "$@"; do [ "$RC" = "$ok" ] && return 0; done
    echo "bench/run.sh: '$JOB_LABEL' exited $RC (expected $*); its stderr ends:" >&2
    tail -n 20 "$work/m.out.err" >&2
    return 1
}
commas() {
    local n=$1 out=""
    while [ ${#n} -gt 3 ]; do out=",${n: -3}$out"; n=${n:0:${#n}-3}; done
    echo "$n$out"
}
# clone SRC DST: a copy of a closed database (with its WAL, if one is left).
clone() {
    rm -f "$2" "$2-wal" "$2-shm"
    cp "$1" "$2"
    if [ -f "$1-wal" ]; then cp "$1-wal" "$2-wal"; fi
}
# tx DB ARGS...: tix on DB as the demo promoter.
tx() { local db=$1; shift; "$tix" --db "$db" --as "$PROMOTER" "$@"; }
# new_tier DB QUANTITY: a free tier on event 1; prints its id.
new_tier() { tx "$1" -q tier create 1 --name "Bench $RANDOM$RANDOM" --price 0 --quantity "$2"; }
# lines FILE FROM TO [FIELD]: lines FROM..TO of a codes table, one field (3: code, 2: uuid).
lines() { sed -n "$2,$3p" "$1" | cut -f "${4:-3}"; }

# row TIX BASELINE RATIO RESULT: the current job's row of the main table.
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$JOB_NUM" "$JOB_LABEL" "$1" "$2" "$3" "$JOB_TARGET" "$4" >> "$ROWS"; }
verdict() { if py cmp "$1" "$2" "$3"; then echo pass; else echo FAIL; fi; }
ratio_row() {   # ratio_row TIX_SECS BASE_SECS MAX_RATIO [NOTE]: a tix-vs-baseline row
    local ratio
    ratio=$(py calc .2f "$1 / $2")
    row "$(py dur "$1")${4:+ $4}" "$(py dur "$2")" "${ratio}x" "$(verdict "$ratio" '<=' "$3")"
}

# run_job NUM LABEL TARGET FUNCTION: one row; the function runs in a subshell with -e, and a
# job that breaks becomes a failed row, not the end of the run.
run_job() {
    JOB_NUM=$1 JOB_LABEL=$2 JOB_TARGET=$3
    local t0=$SECONDS rc=0
    log "row $1: $2 ..."
    trap - ERR
    set +e
    ( trap 'on_err "$LINENO" "$?" "$BASH_COMMAND"' ERR; set -e; "$4" )
    rc=$?
    set -e
    trap 'on_err "$LINENO" "$?" "$BASH_COMMAND"' ERR
    if [ "$rc" -ne 0 ]; then
        row "error (exit $rc, see stderr)" "—" "—" "FAIL"
    fi
    log "row $1 done in $((SECONDS - t0)) s"
}

header() {   # the lines above a table
    local cpu mem sqlite commit="" pg="not used"
    cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//' || true)
    mem=$(($(grep MemTotal /proc/meminfo | tr -s ' ' | cut -d' ' -f2) / 1024 / 1024))
    sqlite=$(sqlite3 --version | cut -d' ' -f1)
    if git -C "$repo" rev-parse --short HEAD >/dev/null 2>&1; then
        commit=$(git -C "$repo" rev-parse --short HEAD)
        git -C "$repo" diff --quiet HEAD 2>/dev/null || commit="$commit (uncommitted changes)"
    fi
    [ -n "${PG_VERSION:-}" ] && pg=$PG_VERSION
    echo "tix benchmark: $1"
    echo "date:     $START_DATE (started; took $((SECONDS / 60)) min)"
    echo "machine:  $(nproc) CPUs, ${cpu:-unknown CPU}, ${mem} GB RAM; load average $START_LOAD at the start"
    echo "tix:      $("$tix" --version)${TIX_BIN:+ (TIX_BIN=$TIX_BIN)}, commit ${commit:-unknown}"
    echo "baseline: sqlite3 CLI $sqlite; PostgreSQL: $pg"
}

# ============================================================================ data sets
# demo.db: `tix demo` only; every data set starts as a copy of it.
make_template() {
    "$tix" --db "$work/demo.db" demo >/dev/null || die "tix demo failed"
}
# make_event_db DB COUNT: demo + COUNT comp tickets on one tier of event 1; sets TIER.
make_event_db() {
    clone "$work/demo.db" "$1"
    TIER=$(new_tier "$1" 3000000)
    tx "$1" -q order create --tier "$TIER" --quantity "$2" --comp >/dev/null
}
# list_codes DB OUT: OUT gets 'id TAB uuid TAB code' of the event's valid tickets, newest first.
list_codes() {
    tx "$1" --json ticket list --event 1 > "$work/list.tmp"
    py codes "$work/list.tmp" "$2"
    rm -f "$work/list.tmp"
}

# ============================================================================ main table
job_order_json() {   # row 1: comp order --json vs sqlite3 inserting as many rows
    local i t tix_s=() base_s=()
    # The baseline: tix's own tickets table (its indexes too, and a signature column: 88
    # characters, as long as the base64 of a 64-byte signature) in a fresh file, the same
    # journal and durability, all rows in one transaction.
    local has_sig
    has_sig=$(sqlite3 "$work/main.db" "SELECT count(*) FROM pragma_table_info('tickets') WHERE name = 'signature'")
    {
        echo "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
        sqlite3 "$work/main.db" '.schema tickets'
        [ "$has_sig" = 1 ] || echo "ALTER TABLE tickets ADD COLUMN signature TEXT;"
        echo "BEGIN;"
        echo "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)"
        echo "INSERT INTO tickets (uuid, order_id, event_id, tier_id, owner_id, attendee_name,"
        echo "    attendee_email, status, secret_version, created_at, updated_at, signature)"
        # UUIDs in issue order with a random tail, as tix's (version 7) are: each new row
        # goes at the end of the UUID index, not at a random place in it.
        echo "SELECT printf('%08x-%04x-7%03x-%04x-%012x', unixepoch(), 0, i >> 16, i & 65535,"
        echo "    abs(random()) % 281474976710656), 1, 1, 1, 1, 'Pia Promoter',"
        echo "    'promoter@demo.tix', 'valid', 1, unixepoch(), unixepoch(),"
        echo "    substr(hex(randomblob(44)), 1, 88)"
        echo "FROM n;"
        echo "COMMIT;"
    } > "$work/insert.sql"
    clone "$work/demo.db" "$work/orders.db"
    for i in 1 2 3; do
        rm -f "$work/base.db" "$work/base.db-wal" "$work/base.db-shm"
        measure sqlite3 "$work/base.db" ".read $work/insert.sql" >/dev/null
        expect_rc 0
        [ "$(sqlite3 "$work/base.db" 'SELECT count(*) FROM tickets')" = "$N" ]
        base_s+=("$SECS")
        t=$(new_tier "$work/orders.db" "$N")
        measure tx "$work/orders.db" --json order create --tier "$t" --quantity "$N" --comp >/dev/null
        expect_rc 0
        tix_s+=("$SECS")
    done
    rm -f "$work/base.db" "$work/base.db-wal" "$work/base.db-shm"
    ratio_row "$(py median "${tix_s[@]}")" "$(py median "${base_s[@]}")" 3
}

job_order_quiet() {   # row 2: comp order -q
    local i t secs=()
    for i in 1 2 3; do
        t=$(new_tier "$work/orders.db" "$N")
        measure tx "$work/orders.db" -q order create --tier "$t" --quantity "$N" --comp >/dev/null
        expect_rc 0
        secs+=("$SECS")
    done
    local m
    m=$(py median "${secs[@]}")
    row "$(py dur "$m")" "—" "—" "$(verdict "$m" '<=' 1.0)"
}

job_validate() {   # row 3: validate as a fresh process vs sqlite3 UPDATE … RETURNING
    local db=$work/validate.db r per=$((VAL / ROUNDS)) a b tix_ms=() base_ms=() admitted=0 updated=0
    clone "$work/main.db" "$db"
    for r in $(seq 1 "$ROUNDS"); do
        a=$(((r - 1) * per + 1)); b=$((r * per))
        lines "$work/codes.tsv" "$a" "$b" 3 > "$work/v_tix"
        lines "$work/codes.tsv" $((VAL + a)) $((VAL + b)) 2 > "$work/v_base"
        local order=(tix base)
        [ $((r % 2)) = 0 ] && order=(base tix)
        for side in "${order[@]}"; do
            if [ "$side" = tix ]; then
                py each "$work/e.out" "$work/v_tix" \
                    "$tix" --db "$db" --as "$PROMOTER" validate "{}" --event 1
                read -r mean _ n ok < "$work/e.out"; tix_ms+=("$mean"); admitted=$((admitted + ok))
            else
                py each "$work/e.out" "$work/v_base" sqlite3 "$db" \
                    "UPDATE tickets SET status='used', checked_in_at=unixepoch() WHERE uuid='{}' AND status='valid' RETURNING id"
                read -r mean _ n ok < "$work/e.out"; base_ms+=("$mean"); updated=$((updated + ok))
            fi
        done
    done
    local t b2 ratio res
    t=$(py median "${tix_ms[@]}"); b2=$(py median "${base_ms[@]}")
    ratio=$(py calc .2f "$t / $b2")
    res=$(verdict "$ratio" '<=' 1.5)
    [ "$admitted" = "$VAL" ] && [ "$updated" = "$VAL" ] || res=FAIL
    row "$(py calc .1f "$t") ms ($admitted/$VAL admitted)" "$(py calc .1f "$b2") ms ($updated/$VAL updated)" \
        "${ratio}x" "$res"
}

job_scan() {   # row 4: checkin scan of S piped codes
    clone "$work/main.db" "$work/scan.db"
    lines "$work/codes.tsv" 1 "$S" > "$work/codes_a"
    measure tx "$work/scan.db" checkin scan --event 1 --gate Bench < "$work/codes_a" > "$work/scan.out"
    expect_rc 0 6
    local accepted rate res
    accepted=$(grep -c '^ACCEPTED' "$work/scan.out" || true)
    rate=$(py calc .0f "$S / $SECS")
    res=$(verdict "$rate" '>=' 10000)
    [ "$accepted" = "$S" ] || res=FAIL
    row "$rate scans/s ($(commas "$accepted")/$(commas "$S") accepted)" "—" "—" "$res"
}

# settle: lets the disk finish what earlier jobs left it (writing back, and trimming
# deleted files on a disk mounted with discard) before a job that creates many files.
settle() { sync; sleep 3; }

job_qr() {   # row 5: ticket qr --event --out-dir, then decode a sample with zbarimg
    local dir=$work/qr rate good total res
    rm -rf "$dir"
    settle
    measure tx "$work/main.db" ticket qr --event 1 --out-dir "$dir" >/dev/null
    expect_rc 0
    local files
    files=$(find "$dir" -name '*.png' | wc -l)
    rate=$(py calc .0f "$files / $SECS")
    read -r good total < <(py qrcheck "$dir" "$work/codes.tsv" 100)
    res=$(verdict "$rate" '>=' 8000)
    [ "$files" = "$N" ] && [ "$good" = "$total" ] && [ "$total" -gt 0 ] || res=FAIL
    row "$rate PNG/s ($(commas "$files") files; zbarimg $good/$total match)" "—" "—" "$res"
    rm -rf "$dir"
}

job_ticket_list() {   # row 6: ticket list --event 1 --json
    local i secs=() rss=0
    for i in 1 2 3; do
        measure tx "$work/main.db" --json ticket list --event 1 > "$work/list.json"
        expect_rc 0
        secs+=("$SECS"); rss=$(py calc .1f "max($rss, $RSS_MB)")
    done
    local n m
    n=$(grep -c '"qr_payload"' "$work/list.json" || true)
    [ "$n" = "$N" ] || { echo "ticket list gave $n tickets, not $N" >&2; return 1; }
    rm -f "$work/list.json"
    m=$(py median "${secs[@]}")
    row "$(py dur "$m"), peak $rss MB" "—" "—" "$(verdict "$m" '<=' 1.0)"
}

# hyper_row DB TIX_ARGS SQL_FILE: tix (as the promoter) vs sqlite3 running SQL_FILE, both
# fresh processes under hyperfine -N.
hyper_row() {
    local db=$1 args=$2 sql=$3 json=$work/hyper.json t b
    hyperfine -N --style none --warmup 5 --runs "$HRUNS" --export-json "$json" \
        -n tix "$tix --db $db --as $PROMOTER $args" \
        -n sqlite3 "sqlite3 $db '.read $sql'" >/dev/null 2> "$work/hyper.err" || {
        cat "$work/hyper.err" >&2
        # shellcheck disable=SC2086
        tx "$db" $args >/dev/null || true   # once more, for its error message
        return 1
    }
    read -r t b < <(py hyper "$json")
    ratio_row "$t" "$b" 1.5
}

job_tier_list() {   # row 7
    cat > "$work/q_tiers.sql" <<'SQL'
SELECT id, position, name, price_minor, sold, quantity, quantity - sold - held,
       min_purchase, max_purchase, sale_start, sale_end, requires_approval, transferable
FROM tiers WHERE event_id = 1 AND is_active = 1 ORDER BY position, id;
SQL
    hyper_row "$work/main.db" "tier list 1" "$work/q_tiers.sql"
}

job_availability() {   # row 8
    cat > "$work/q_avail.sql" <<SQL
SELECT t.quantity, t.sold, t.held, t.is_active, t.sale_start, t.sale_end, e.status
FROM tiers t JOIN events e ON e.id = t.event_id WHERE t.id = $MAIN_TIER;
SQL
    hyper_row "$work/main.db" "tier availability $MAIN_TIER" "$work/q_avail.sql"
}

job_stats() {   # row 9: on the database of row 4, where half the tickets are checked in
    [ -f "$work/scan.db" ] || { echo "needs row 4's database" >&2; return 1; }
    cat > "$work/q_stats.sql" <<'SQL'
SELECT id, name, sold FROM tiers WHERE event_id = 1 ORDER BY position, id;
SELECT status, count(*) FROM tickets WHERE event_id = 1 GROUP BY status;
SELECT checked_in_at / 900, count(*) FROM tickets
WHERE event_id = 1 AND checked_in_at IS NOT NULL GROUP BY 1;
SELECT count(*) FROM scans WHERE event_id = 1 AND result = 'rejected';
SQL
    hyper_row "$work/scan.db" "checkin stats 1" "$work/q_stats.sql"
}

job_ticket_show() {   # row 10
    local id
    id=$(lines "$work/codes.tsv" $((N / 2)) $((N / 2)) 1)
    cat > "$work/q_show.sql" <<SQL
SELECT * FROM tickets JOIN tiers ON tiers.id = tickets.tier_id
JOIN events ON events.id = tickets.event_id JOIN users ON users.id = tickets.owner_id
JOIN orders ON orders.id = tickets.order_id WHERE tickets.id = $id;
SQL
    hyper_row "$work/main.db" "ticket show $id" "$work/q_show.sql"
}

job_scanner_export() {   # row 11
    local i secs=()
    for i in 1 2 3; do
        measure tx "$work/main.db" scanner export 1 --out "$work/export$i.tixgate" >/dev/null
        expect_rc 0
        secs+=("$SECS")
        rm -f "$work/export$i.tixgate"
    done
    local m
    m=$(py median "${secs[@]}")
    row "$(py dur "$m")" "—" "—" "$(verdict "$m" '<=' 1.0)"
}

job_offline_scan() {   # row 13: two gate files, each scanning its own half of the codes
    local db=$work/merge.db gate total=0 time=0 accepted=0 half res rate
    clone "$work/main.db" "$db"
    lines "$work/codes.tsv" 1 "$S" > "$work/codes.North"
    lines "$work/codes.tsv" $((S + 1)) $((2 * S)) > "$work/codes.South"
    for gate in North South; do
        tx "$db" scanner export 1 --out "$work/$gate.tixgate" >/dev/null
        measure "$tix" --db "$work/$gate.tixgate" checkin scan --gate "$gate" \
            < "$work/codes.$gate" > "$work/scan.$gate"
        expect_rc 0 6
        half=$(grep -c '^ACCEPTED' "$work/scan.$gate" || true)
        accepted=$((accepted + half)); total=$((total + S))
        time=$(py calc .6f "$time + $SECS")
    done
    rate=$(py calc .0f "$total / $time")
    res=$(verdict "$rate" '>=' 5000)
    [ "$accepted" = "$total" ] || res=FAIL
    row "$rate scans/s ($(commas "$accepted")/$(commas "$total") accepted, 2 files)" "—" "—" "$res"
}

# The floor under a merge: the sqlite3 shell doing only its writes, set-based, in one
# transaction on the same database: every scan of both files logged in the scans table,
# every ticket admitted (the same table, indexes and durability as tix).
merge_floor_sql() {
    cat <<SQL
PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;
ATTACH '$work/North.tixgate' AS north; ATTACH '$work/South.tixgate' AS south;
BEGIN;
CREATE TEMP TABLE g AS SELECT * FROM north.scans UNION ALL SELECT * FROM south.scans;
INSERT INTO scans (scan_uuid, event_id, ticket_id, ticket_uuid, secret_version, scanned_at,
    gate, device, result, reason, offline, dry_run, merged_at, method, code)
  SELECT g.scan_uuid, 1, t.id, g.ticket_uuid, g.secret_version, g.scanned_at, g.gate,
    g.device, g.result, g.reason, 1, 0, unixepoch(), g.method, g.code
  FROM g JOIN tickets t ON t.uuid = g.ticket_uuid ORDER BY g.scanned_at;
UPDATE tickets SET status = 'used', checked_in_at = g.scanned_at, checked_in_gate = g.gate,
    updated_at = unixepoch()
  FROM g WHERE tickets.uuid = g.ticket_uuid AND tickets.status IN ('valid', 'used');
COMMIT;
SQL
}

job_merge() {   # row 12: merge the two gate files of row 13 (disjoint halves: a clean merge)
    [ -f "$work/South.tixgate" ] || { echo "needs row 13's gate files" >&2; return 1; }
    clone "$work/merge.db" "$work/floor.db"
    merge_floor_sql > "$work/floor.sql"
    measure sqlite3 "$work/floor.db" ".read $work/floor.sql" >/dev/null
    expect_rc 0
    local floor=$SECS floor_used
    floor_used=$(sqlite3 "$work/floor.db" "SELECT count(*) FROM tickets WHERE status = 'used'")
    rm -f "$work/floor.db" "$work/floor.db-wal" "$work/floor.db-shm"
    measure tx "$work/merge.db" scanner merge 1 "$work/North.tixgate" "$work/South.tixgate" \
        > "$work/merge.out"
    expect_rc 0 7
    local used note="" ratio res
    used=$(sqlite3 "$work/merge.db" "SELECT count(*) FROM tickets WHERE status = 'used'")
    [ "$RC" = 7 ] && note=", conflicts reported"
    ratio=$(py calc .2f "$SECS / $floor")
    res=$(verdict "$ratio" '<=' 1.5)
    [ "$used" = $((2 * S)) ] && [ "$floor_used" = $((2 * S)) ] || res=FAIL
    row "$(py dur "$SECS") ($(commas "$used") checked in$note)" \
        "$(py dur "$floor") (sqlite3, writes only)" "${ratio}x" "$res"
}

job_tier_import() {   # row 14: N tiers from CSV into a fresh event, three times
    local db=$work/import.db i ev secs=() n
    clone "$work/demo.db" "$db"
    { echo "name,price,quantity"; printf 'Bench tier %d,10.00,100\n' $(seq 1 "$N"); } > "$work/tiers.csv"
    for i in 1 2 3; do
        ev=$(tx "$db" -q event create --title "Import $i" --starts-at "2030-07-15 18:00" --timezone UTC)
        measure tx "$db" tier import "$ev" "$work/tiers.csv" >/dev/null
        expect_rc 0
        n=$(sqlite3 "$db" "SELECT count(*) FROM tiers WHERE event_id = $ev")
        [ "$n" = "$N" ] || { echo "import made $n tiers, not $N" >&2; return 1; }
        secs+=("$SECS")
    done
    local m
    m=$(py median "${secs[@]}")
    row "$(py dur "$m")" "—" "—" "$(verdict "$m" '<=' 3)"
}

job_big_order() {   # row 17: the BIGN-ticket comp order that builds row 15's database
    clone "$work/demo.db" "$work/big.db"
    local t
    t=$(new_tier "$work/big.db" "$BIGN")
    measure tx "$work/big.db" -q order create --tier "$t" --quantity "$BIGN" --comp >/dev/null
    expect_rc 0
    row "peak $RSS_MB MB ($(py dur "$SECS"))" "—" "—" "$(verdict "$RSS_MB" '<' 150)"
}

job_export_attendees() {   # row 15
    [ -f "$work/big.db" ] || { echo "needs row 17's database" >&2; return 1; }
    local i secs=() rss=0 n
    for i in 1 2 3; do
        rm -f "$work/door.csv"
        measure tx "$work/big.db" export attendees 1 --out "$work/door.csv" >/dev/null
        expect_rc 0
        secs+=("$SECS"); rss=$(py calc .1f "max($rss, $RSS_MB)")
    done
    n=$(($(wc -l < "$work/door.csv") - 1))
    [ "$n" = "$BIGN" ] || { echo "door list has $n rows, not $BIGN" >&2; return 1; }
    rm -f "$work/door.csv"
    local m
    m=$(py median "${secs[@]}")
    row "$(py dur "$m"), peak $rss MB" "—" "—" "$(verdict "$m" '<=' 3)"
}

job_pdf() {   # row 16: PDFN tickets in 5 orders on an event of their own
    local db=$work/pdf.db t i secs=() n files
    clone "$work/demo.db" "$db"
    t=$(new_tier "$db" "$PDFN")
    for i in 1 2 3 4 5; do
        tx "$db" -q order create --tier "$t" --quantity $((PDFN / 5)) --comp >/dev/null
    done
    for i in 1 2 3; do
        rm -rf "$work/pdf"
        measure tx "$db" ticket pdf --event 1 --out-dir "$work/pdf" > "$work/pdf.out"
        expect_rc 0
        secs+=("$SECS")
    done
    # "5000 tickets printed to 10 PDFs (one per order; large orders in parts) in DIR"
    n=$(grep -o '^[0-9]* tickets printed' "$work/pdf.out" | cut -d' ' -f1 || true)
    files=$(find "$work/pdf" -name '*.pdf' | wc -l)
    [ "$n" = "$PDFN" ] && [ "$files" -ge 5 ] \
        || { echo "ticket pdf printed '${n:-?}' tickets in $files files, not $PDFN in 5 or more" >&2; return 1; }
    rm -rf "$work/pdf"
    local rate
    rate=$(py calc .0f "$PDFN / $(py median "${secs[@]}")")
    row "$rate tickets/s" "—" "—" "$(verdict "$rate" '>=' 500)"
}

# ---------------------------------------------------------------------------- PostgreSQL
PG_SKIP=""
pg_start() {
    if [ ! -x scripts/pg-cluster.sh ]; then PG_SKIP="scripts/pg-cluster.sh not found"; return; fi
    local out
    if ! out=$(TIX_PG_DURABLE=1 scripts/pg-cluster.sh start 2> "$work/pg.err"); then
        PG_SKIP="no PostgreSQL cluster: $(tail -n1 "$work/pg.err")"
        return
    fi
    eval "$out"
    PG_DIR=$TIX_PG_DIR
    PG=$TIX_TEST_POSTGRES
    PG_VERSION=$(psql "$PG" -Atc 'SHOW server_version' 2>/dev/null || echo "version unknown")
    "$tix" --db "$PG" demo >/dev/null || { PG_SKIP="tix demo failed on PostgreSQL"; return; }
    PG_TIER=$(tx "$PG" -q tier create 1 --name Crew --price 0 --quantity 3000000) \
        || { PG_SKIP="tier create failed on PostgreSQL"; return; }
}

job_pg_order() {   # row 18
    local i secs=()
    for i in 1 2 3; do
        measure tx "$PG" -q order create --tier "$PG_TIER" --quantity "$N" --comp >/dev/null
        expect_rc 0
        secs+=("$SECS")
    done
    local m
    m=$(py median "${secs[@]}")
    row "$(py dur "$m")" "—" "—" "$(verdict "$m" '<=' 3)"
}

# pg_codes COUNT OUT: a comp order of COUNT tickets on PostgreSQL; its codes into OUT.
pg_codes() {
    tx "$PG" --json order create --tier "$PG_TIER" --quantity "$1" --comp \
        | grep -o '"qr_payload": *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/' > "$2"
}

job_pg_validate() {   # row 19
    pg_codes "$PG_VAL" "$work/pg_codes"
    py each "$work/e.out" "$work/pg_codes" "$tix" --db "$PG" --as "$PROMOTER" validate "{}" --event 1
    local mean ok res
    read -r mean _ _ ok < "$work/e.out"
    res=$(verdict "$mean" '<=' 15)
    [ "$ok" = "$PG_VAL" ] || res=FAIL
    row "$(py calc .1f "$mean") ms ($ok/$PG_VAL admitted)" "—" "—" "$res"
}

job_pg_scan() {   # row 20: 8 gates at once, each scanning the same codes in its own order
    local g secs rcs admitted already failed bad_rc=0 res
    pg_codes "$PG_SCAN" "$work/pg_scan"
    for g in 1 2 3 4 5 6 7 8; do shuf "$work/pg_scan" > "$work/pg_in.$g"; done
    py par "$work/par.out" 8 "$work/pg_in" "$work/pg_out" \
        "$tix" --db "$PG" --as "$PROMOTER" --json checkin scan --event 1 --gate G
    read -r secs rcs < "$work/par.out"
    for g in ${rcs//,/ }; do [ "$g" = 0 ] || [ "$g" = 6 ] || bad_rc=$((bad_rc + 1)); done
    admitted=$(cat "$work"/pg_out.? | { grep -o '"valid": *true' || true; } | wc -l)
    already=$(cat "$work"/pg_out.? | { grep -o '"reason": *"already_checked_in"' || true; } | wc -l)
    failed=$(($(cat "$work"/pg_out.? | { grep -o '"error"' || true; } | wc -l) + bad_rc))
    res=pass
    [ "$admitted" = "$PG_SCAN" ] && [ "$already" = $((7 * PG_SCAN)) ] && [ "$failed" = 0 ] || res=FAIL
    row "$(py dur "$secs"): $(commas "$admitted") admitted, $(commas "$already") already, $failed failed" \
        "—" "—" "$res"
}

pg_rows() {
    local l18="PG: comp order of $(commas "$N") tickets, -q" l19="PG: validate as a fresh process (mean of $PG_VAL)"
    local l20="PG: 8 concurrent checkin scan x the same $(commas "$PG_SCAN") codes"
    local t20="$(commas "$PG_SCAN") admitted, $(commas $((7 * PG_SCAN))) already, 0 failed"
    if [ -n "$PG_SKIP" ]; then
        JOB_NUM=18 JOB_LABEL=$l18 JOB_TARGET="<= 3 s"; row "$PG_SKIP" "—" "—" skipped
        JOB_NUM=19 JOB_LABEL=$l19 JOB_TARGET="<= 15 ms"; row "$PG_SKIP" "—" "—" skipped
        JOB_NUM=20 JOB_LABEL=$l20 JOB_TARGET=$t20; row "$PG_SKIP" "—" "—" skipped
        return
    fi
    run_job 18 "$l18" "<= 3 s" job_pg_order
    run_job 19 "$l19" "<= 15 ms" job_pg_validate
    run_job 20 "$l20" "$t20" job_pg_scan
}

main_table() {
    local t0=$SECONDS n=$(commas "$N") s=$(commas "$S") big=$(commas "$BIGN")
    log "building the data sets: demo, $n tickets"
    make_template
    make_event_db "$work/main.db" "$N"
    MAIN_TIER=$TIER
    list_codes "$work/main.db" "$work/codes.tsv"
    [ "$(wc -l < "$work/codes.tsv")" = "$N" ] || die "expected $N codes in the $n-ticket database"

    run_job 1 "comp order of $n tickets, --json" "<= 3x" job_order_json
    run_job 2 "comp order of $n tickets, -q" "<= 1.0 s" job_order_quiet
    run_job 3 "validate CODE as a fresh process (mean, $VAL each)" "<= 1.5x" job_validate
    run_job 4 "checkin scan of $s piped codes" ">= 10000 scans/s" job_scan
    run_job 5 "ticket qr --event --out-dir, $n PNGs" ">= 8000 PNG/s" job_qr
    run_job 6 "ticket list --event 1 --json, $n tickets" "<= 1.0 s" job_ticket_list
    run_job 7 "tier list 1 (fresh process)" "<= 1.5x" job_tier_list
    run_job 8 "tier availability ID (fresh process)" "<= 1.5x" job_availability
    run_job 9 "checkin stats 1 (fresh process)" "<= 1.5x" job_stats
    run_job 10 "ticket show ID (fresh process)" "<= 1.5x" job_ticket_show
    run_job 11 "scanner export of $n tickets" "<= 1.0 s" job_scanner_export
    run_job 13 "checkin scan on a gate file (offline), 2 x $s codes" ">= 5000 scans/s" job_offline_scan
    # Argued down from "<= 1.0 s": the writes alone, set-based in the sqlite3 shell, take
    # longer than that (docs/PERFORMANCE.md).
    run_job 12 "scanner merge of 2 gate files x $s scans (disjoint)" "<= 1.5x floor" job_merge
    run_job 14 "tier import of $n rows (CSV)" "<= 3 s" job_tier_import
    local q=""
    [ "$QUICK" = 1 ] && q=" (quick: not 1,000,000)"
    run_job 17 "comp order of $big tickets, -q$q" "< 150 MB" job_big_order
    run_job 15 "export attendees of $big tickets$q" "<= 3 s" job_export_attendees
    run_job 16 "ticket pdf --event, $(commas "$PDFN") tickets in 5 orders" ">= 500 tickets/s" job_pdf
    log "PostgreSQL rows"
    pg_start
    pg_rows

    {
        header "main table, $n tickets (bench/run.sh$([ "$QUICK" = 1 ] && echo " --quick"))"
        if [ "$QUICK" = 1 ]; then
            echo "QUICK RUN: data sets are a tenth of the real ones; the targets are for the full"
            echo "sizes, so pass/fail here is only indicative."
        fi
        echo "Medians; ratio = tix / baseline; all runs are whole processes on this machine."
    } > "$work/head.txt"
    { printf 'job\ttix\tbaseline\tratio\ttarget\tresult\n'; sort -t $'\t' -k1,1n "$ROWS" | cut -f2-; } \
        > "$work/table.tsv"
    py table "$work/table.tsv" "$work/head.txt" "${BENCH_MD:-}"
    log "main table took $((SECONDS - t0)) s"
    if cut -f7 "$ROWS" | grep -qx FAIL; then STATUS=1; fi
}

# ============================================================================ growth
GROWTH=$work/growth.tsv
# grow JOB SIZE ITEMS UNIT SECS RSS_MB: one row of the growth table.
grow() {
    local us
    us=$(py calc .2f "$5 * 1e6 / $3")
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$(commas "$2")" "$(commas "$3") $4" \
        "$(py calc .3f "$5")" "$6" "$us" >> "$GROWTH"
    log "  $1 @ $(commas "$2"): $(py dur "$5"), peak $6 MB"
}
# g_measure JOB SIZE ITEMS UNIT OK_RCS CMD... (stdin/stdout redirected by the caller)
g_measure() {
    local job=$1 size=$2 items=$3 unit=$4 oks=$5
    shift 5
    measure "$@"
    JOB_LABEL=$job
    # shellcheck disable=SC2086
    expect_rc $oks || { grow "$job (exit $RC)" "$size" "$items" "$unit" "$SECS" "$RSS_MB"; return 0; }
    grow "$job" "$size" "$items" "$unit" "$SECS" "$RSS_MB"
}

growth_size() {
    local s=$1 db=$work/g.db sc ev t
    sc=$((s * 4 / 10)); [ "$sc" -gt 50000 ] && sc=50000
    log "growth: $(commas "$s") tickets"
    rm -f "$work"/g.db* "$work"/g_*
    clone "$work/demo.db" "$db"
    t=$(new_tier "$db" 3000000)
    g_measure "comp order -q" "$s" "$s" tickets 0 \
        tx "$db" -q order create --tier "$t" --quantity "$s" --comp >/dev/null
    clone "$work/demo.db" "$work/g_json.db"
    t=$(new_tier "$work/g_json.db" 3000000)
    g_measure "comp order --json" "$s" "$s" tickets 0 \
        tx "$work/g_json.db" --json order create --tier "$t" --quantity "$s" --comp >/dev/null
    rm -f "$work"/g_json.db*
    # The order above was made with -q, so no code is signed yet: the first list signs
    # and stores them all, every later one reads them.
    g_measure "ticket list --json (first: signs a -q order's codes)" "$s" "$s" tickets 0 \
        tx "$db" --json ticket list --event 1 > "$work/g_list.json"
    g_measure "ticket list --json" "$s" "$s" tickets 0 \
        tx "$db" --json ticket list --event 1 > "$work/g_list.json"
    py codes "$work/g_list.json" "$work/g_codes.tsv"
    rm -f "$work/g_list.json"
    g_measure "export attendees" "$s" "$s" tickets 0 \
        tx "$db" export attendees 1 --out "$work/g_door.csv" >/dev/null
    rm -f "$work/g_door.csv"
    g_measure "scanner export" "$s" "$s" tickets 0 \
        tx "$db" scanner export 1 --out "$work/g_gate.tixgate" >/dev/null
    if [ "$s" -le 100000 ]; then
        settle
        g_measure "ticket qr --event" "$s" "$s" tickets 0 \
            tx "$db" ticket qr --event 1 --out-dir "$work/g_qr" >/dev/null
        rm -rf "$work/g_qr"
        g_measure "ticket pdf --event (1 order)" "$s" "$s" tickets 0 \
            tx "$db" ticket pdf --event 1 --out-dir "$work/g_pdf" >/dev/null
        rm -rf "$work/g_pdf"
    else
        log "  ticket qr / ticket pdf skipped above 100,000 tickets (GBs of files)"
    fi
    # Per-code and per-process jobs: their cost per item should not grow with the database.
    lines "$work/g_codes.tsv" 1 "$sc" > "$work/g_a"
    lines "$work/g_codes.tsv" $((sc + 1)) $((2 * sc)) > "$work/g_b"
    lines "$work/g_codes.tsv" $((s - 19)) "$s" > "$work/g_c"
    lines "$work/g_codes.tsv" $((s - 20)) $((s - 20)) > "$work/g_d"
    g_measure "checkin scan (online)" "$s" "$sc" scans "0 6" \
        tx "$db" checkin scan --event 1 --gate G < "$work/g_a" >/dev/null
    g_measure "checkin scan (gate file)" "$s" "$sc" scans "0 6" \
        "$tix" --db "$work/g_gate.tixgate" checkin scan --gate North < "$work/g_b" >/dev/null
    g_measure "scanner merge" "$s" "$sc" scans "0 7" \
        tx "$db" scanner merge 1 "$work/g_gate.tixgate" >/dev/null
    # validate: the mean time of 20 processes, the peak RSS of one more under GNU time
    py each "$work/e.out" "$work/g_c" "$tix" --db "$db" --as "$PROMOTER" validate "{}" --event 1
    local mean
    read -r mean _ < "$work/e.out"
    measure tx "$db" validate "$(cat "$work/g_d")" --event 1 >/dev/null
    grow "validate (fresh process, mean of 20)" "$s" 1 process "$(py calc .6f "$mean / 1000")" "$RSS_MB"
    g_measure "checkin stats (fresh process)" "$s" 1 process 0 tx "$db" checkin stats 1 >/dev/null
    ev=$(tx "$db" -q event create --title "Import $s" --starts-at "2030-07-15 18:00" --timezone UTC)
    { echo "name,price,quantity"; printf 'Bench tier %d,10.00,100\n' $(seq 1 "$s"); } > "$work/g_tiers.csv"
    g_measure "tier import (CSV)" "$s" "$s" rows 0 tx "$db" tier import "$ev" "$work/g_tiers.csv" >/dev/null
    rm -f "$work"/g.db* "$work"/g_*
}

growth_table() {
    local t0=$SECONDS s
    printf 'job\ttickets\twork\tseconds\tpeak MB\tµs/item\n' > "$GROWTH"
    make_template
    for s in $SIZES; do growth_size "$s"; done
    {
        header "growth, $(for s in $SIZES; do printf '%s ' "$(commas "$s")"; done)tickets (bench/run.sh --growth)"
        echo "One run per cell; seconds are wall time, peak MB is GNU time's maximum RSS."
        echo "Linear growth: µs/item stays flat across sizes; flat memory: peak MB stays flat."
    } > "$work/head.txt"
    # Group the rows by job, sizes in order.
    py group "$GROWTH" "$work/growth_sorted.tsv"
    py table "$work/growth_sorted.tsv" "$work/head.txt" "${BENCH_MD:-}"
    log "growth took $((SECONDS - t0)) s"
    if grep -q '(exit ' "$GROWTH"; then STATUS=1; fi
}

STATUS=0
if [ "$MODE" = growth ]; then
    growth_table
else
    main_table
fi
exit "$STATUS"
