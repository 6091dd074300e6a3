#!/usr/bin/env bash
# Runs Basalt's standard fio jobs (deploy/bench/jobs.fio: P prefill, J1-J5, J5s) against NBD targets, one job at a
# time, and prints a markdown table: IOPS, MB/s, completion latency p50/p99/p99.9, host CPU % during the job.
#
# usage: deploy/bench/run.sh [-y] [TARGET ...]          (default target: local)
#   local       starts `bin/basalt local up` of this checkout in a scratch dir with volume `bench` (TARGET_SIZE,
#               3 replicas), runs the jobs, then `local down` and removes the dir. Uses local up's fixed ports.
#   nbdkit      `nbdkit file` on a sparse TARGET_SIZE file: the NBD path with no replication, the reference
#               Basalt's goals are ratios of (compare ratios from one run only: shared machines are noisy)
#   nbd://...   an export of your own cluster (rows "basalt nbd://..."). The jobs OVERWRITE its first PREFILL
#               bytes: needs -y.
# Environment: RUNTIME s per job (20), RAMP s each job runs before it is measured (0: a fresh cluster's first
# seconds, JIT compilation included; 30 gives the steady state), PREFILL (2g), SPAN bytes the jobs address (= PREFILL), TARGET_SIZE of the
# local and nbdkit targets (4G), JOBS (J1 J2 J3 J4 J5 J5s; P always runs first), OUT results dir
# (/tmp/basalt-bench), NBDKIT_PORT (10898).
# Output: the table on stdout and in $OUT/results-<stamp>.md, fio JSON in $OUT/json-<stamp>/; with both a
# Basalt target and nbdkit in the run, the Basalt/nbdkit ratios (deploy/bench/ratios.sh) follow.
# Needs fio (with the nbd engine), jq; nbdkit and nbdinfo for the nbdkit target.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
RUNTIME=${RUNTIME:-20}
RAMP=${RAMP:-0}
PREFILL=${PREFILL:-2g}
SPAN=${SPAN:-$PREFILL}
TARGET_SIZE=${TARGET_SIZE:-4G}
JOBS=${JOBS:-J1 J2 J3 J4 J5 J5s}
OUT=${OUT:-${TMPDIR:-/tmp}/basalt-bench}
NBDKIT_PORT=${NBDKIT_PORT:-10898}
STAMP=$(date +%Y%m%dT%H%M%S)
RES=$OUT/results-$STAMP.md
JSONDIR=$OUT/json-$STAMP

log() { echo "[bench $(date +%T)] $*" >&2; }
die() { echo "error: $*" >&2; exit 2; }

overwrite=0
targets=()
for a in "$@"; do
  case $a in
    -y|--yes) overwrite=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    local|nbdkit) targets+=("$a") ;;
    nbd://*|nbds://*|nbd+unix://*) targets+=("$a") ;;
    *) die "unknown target '$a' (expected local, nbdkit or an nbd:// URI; -h for help)" ;;
  esac
done
((${#targets[@]})) || targets=(local)
for t in "${targets[@]}"; do
  if [[ $t == *://* && $overwrite != 1 ]]; then
    die "the jobs overwrite the first $PREFILL of $t; pass -y if that is what you want"
  fi
done
[[ $RUNTIME =~ ^[0-9]+$ && $RUNTIME -gt 0 ]] || die "RUNTIME must be a positive number of seconds: '$RUNTIME'"
[[ $RAMP =~ ^[0-9]+$ ]] || die "RAMP must be a number of seconds (0 for none): '$RAMP'"
for j in $JOBS; do
  [[ $j =~ ^(J1|J2|J3|J4|J5|J5s)$ ]] || die "unknown job '$j' in JOBS (J1 J2 J3 J4 J5 J5s)"
done
command -v fio >/dev/null || die "fio is not installed"
command -v jq >/dev/null || die "jq is not installed"
mkdir -p "$OUT" "$JSONDIR"

# ------------------------------------------------------------------ cleanup of what this script started
SERVER_PID=""
LOCAL_DIR=""
SCRATCH=""
cleanup() {
  if [[ -n $SERVER_PID ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [[ -n $LOCAL_DIR ]]; then
    (cd "$ROOT" && bin/basalt local down --dir "$LOCAL_DIR" >/dev/null 2>&1) || true
    rm -rf "$LOCAL_DIR"
  fi
  [[ -z $SCRATCH ]] || rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ results table (same layout as run-peers.sh)
{
  echo "# Basalt fio benchmark"
  echo
  echo "## Run $STAMP (targets: ${targets[*]})"
  echo
  echo "- host: $(uname -r), $(nproc) vCPU, $(free -g | awk '/Mem:/{print $2}') GiB RAM; $(fio --version)"
  echo "- jobs: deploy/bench/jobs.fio, runtime=${RUNTIME}s time_based after ramp_time=${RAMP}s, prefill ${PREFILL} seq 1M QD4, jobs address first ${SPAN}"
  echo "- latencies: fio completion latency (clat) in µs; host CPU % of all cores during the job"
  echo
  echo "| target | job | IOPS | MB/s | clat p50 µs | clat p99 µs | clat p99.9 µs | host CPU % | notes |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---|"
} >"$RES"

cpu_snap() { awk '/^cpu /{t=0; for (i=2; i<=NF; i++) t+=$i; print t, $5+$6}' /proc/stat; }
cpu_busy() {
  awk -v a="$1" -v b="$2" 'BEGIN{split(a,x," "); split(b,y," "); dt=y[1]-x[1]; di=y[2]-x[2]; if (dt>0) printf "%d", 100*(dt-di)/dt; else print "-"}'
}

# row LABEL JOB JSON CPU: one table line from fio's JSON
row() {
  local dir=write
  [[ $2 == J2 || $2 == J4 ]] && dir=read
  jq -r --arg t "$1" --arg j "$2" --arg d "$dir" --arg c "$4" '
    .jobs[0] as $x | $x[$d] as $r
    | def us(p): (($r.clat_ns.percentile[p] // 0) / 1000 | floor);
      def sy(p): (($x.sync.lat_ns.percentile[p] // 0) / 1000 | floor);
    ((if ($x.sync.lat_ns.N // 0) > 0 then "sync lat p50/p99 \(sy("50.000000"))/\(sy("99.000000")) µs" else "" end)
      + (if ($x.error // 0) != 0 then " ERROR \($x.error)" else "" end)) as $note
    | "| \($t) | \($j) | \($r.iops | floor) | \($r.bw_bytes / 1e6 | . * 10 | floor / 10) | \(us("50.000000")) | \(us("99.000000")) | \(us("99.900000")) | \($c) | \($note) |"
  ' "$3" >>"$RES"
}

# run_job LABEL URI JOB
run_job() {
  local label=$1 uri=$2 job=$3 json=$JSONDIR/${1//[^A-Za-z0-9_.-]/_}-$3.json c0
  log "$label $job"
  c0=$(cpu_snap)
  if ! BENCH_URI=$uri BENCH_PREFILL=$PREFILL BENCH_SPAN=$SPAN BENCH_RUNTIME=$RUNTIME BENCH_RAMP=$RAMP \
      timeout $((RAMP + RUNTIME + 600)) fio --section="$job" --output-format=json --output="$json" "$HERE/jobs.fio"; then
    echo "| $label | $job | - | - | - | - | - | - | fio failed (see $json) |" >>"$RES"
    return 0
  fi
  row "$label" "$job" "$json" "$(cpu_busy "$c0" "$(cpu_snap)")"
}

run_set() { # LABEL URI
  local j
  run_job "$1" "$2" P
  for j in $JOBS; do run_job "$1" "$2" "$j"; done
}

wait_nbd() { # URI: bounded wait for the NBD handshake
  local end=$((SECONDS + 60))
  until nbdinfo --size "$1" >/dev/null 2>&1; do
    ((SECONDS < end)) || { log "no NBD server answers at $1"; return 1; }
    sleep 0.2
  done
}

# ------------------------------------------------------------------ targets
target_local() {
  LOCAL_DIR=$(mktemp -d "$OUT/local-XXXXXX")
  local up=$LOCAL_DIR.up.log
  log "local: bin/basalt local up --dir $LOCAL_DIR"
  if ! (cd "$ROOT" && timeout 300 bin/basalt local up --dir "$LOCAL_DIR" >"$up" 2>&1); then
    echo "| basalt-local | - | - | - | - | - | - | - | local up failed: $(tail -1 "$up") |" >>"$RES"
    return 0
  fi
  (cd "$ROOT" && bin/basalt volume create bench --size "$TARGET_SIZE" --replicas 3 --dir "$LOCAL_DIR" >/dev/null)
  local uri; uri=$(tail -1 "$up"); uri=${uri%/*}/bench
  run_set basalt-local "$uri"
  (cd "$ROOT" && bin/basalt local down --dir "$LOCAL_DIR" >/dev/null 2>&1) || true
  rm -rf "$LOCAL_DIR" "$up"
  LOCAL_DIR=""
}

target_nbdkit() {
  command -v nbdkit >/dev/null || { log "nbdkit is not installed: skipping it"; return 0; }
  SCRATCH=$(mktemp -d "$OUT/nbdkit-XXXXXX")
  truncate -s "$TARGET_SIZE" "$SCRATCH/disk.raw"
  nbdkit --foreground --exit-with-parent -i 127.0.0.1 -p "$NBDKIT_PORT" file "$SCRATCH/disk.raw" &
  SERVER_PID=$!
  if wait_nbd "nbd://127.0.0.1:$NBDKIT_PORT"; then
    run_set nbdkit-file "nbd://127.0.0.1:$NBDKIT_PORT"
  else
    echo "| nbdkit-file | - | - | - | - | - | - | - | server did not start |" >>"$RES"
  fi
  kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
  rm -rf "$SCRATCH"; SCRATCH=""
}

T0=$SECONDS
for t in "${targets[@]}"; do
  case $t in
    local) target_local ;;
    nbdkit) target_nbdkit ;;
    *) run_set "basalt $t" "$t" ;;
  esac
done
echo >>"$RES"
echo "Run $STAMP finished in $((SECONDS - T0)) s." >>"$RES"
cat "$RES"
if grep -q '^| basalt' "$RES" && grep -q '^| nbdkit' "$RES"; then
  echo
  "$HERE/ratios.sh" "$RES" || true
fi
log "results: $RES, fio JSON: $JSONDIR"
