#!/usr/bin/env bash
# The quick data-path benchmark that ends .ci/run (issue 10): the standard fio jobs for 5 s each against Basalt
# (`bin/basalt local up`, built by the preceding `mvn verify`) and `nbdkit file`, then the Basalt / nbdkit ratios.
# Uses ../shared/bench/run-peers.sh X F when it exists beside the checkout, else deploy/bench/run.sh local nbdkit.
# Informational only: it always exits 0, skips with a message when a tool is missing, and stops after
# CI_BENCH_SECONDS (170) of benchmark, cleaning up what it started.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 0
BUDGET=${CI_BENCH_SECONDS:-170}
export RUNTIME=${RUNTIME:-5} PREFILL=${PREFILL:-512m} TARGET_SIZE=${TARGET_SIZE:-1G}

echo "== quick benchmark (issue 10; RUNTIME=$RUNTIME PREFILL=$PREFILL TARGET_SIZE=$TARGET_SIZE; informational, never fails CI)"
missing=()
for tool in fio nbdkit nbdinfo jq java; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if ((${#missing[@]})); then
  echo "quick benchmark skipped: ${missing[*]} not installed"
  exit 0
fi
if [[ ! -f deploy/target/basalt.jar ]]; then
  echo "quick benchmark skipped: deploy/target/basalt.jar missing (mvn verify builds it)"
  exit 0
fi

deploy/bench/ratios-test.sh >/dev/null || echo "warning: deploy/bench/ratios-test.sh failed: the ratios below may be wrong"

work=$(mktemp -d "${TMPDIR:-/tmp}/basalt-ci-bench-XXXXXX") || exit 0
peers=$ROOT/../shared/bench/run-peers.sh
if [[ -x $peers ]]; then
  echo "running $peers X F"
  OUT=$work BASALT_HOME=$ROOT timeout --kill-after=15s "$BUDGET" "$peers" X F >"$work/log" 2>&1
  rc=$?
  results=$(ls "$work"/results/peers-*.md 2>/dev/null | head -1)
  local_dirs=("$work/tmp/basalt")
else
  echo "running deploy/bench/run.sh local nbdkit ($peers not found)"
  OUT=$work timeout --kill-after=15s "$BUDGET" deploy/bench/run.sh local nbdkit >"$work/log" 2>&1
  rc=$?
  results=$(ls "$work"/results-*.md 2>/dev/null | head -1)
  local_dirs=("$work"/local-*)
fi
# A run cut by the timeout leaves the Basalt servers running (they are daemons of `local up`, outside the
# timeout's process group): stop them so the CI machine is left as found.
for d in "${local_dirs[@]}"; do
  [[ -d $d ]] && timeout 60 bin/basalt local down --dir "$d" >/dev/null 2>&1
done
((rc == 124 || rc == 137)) && echo "quick benchmark stopped after ${BUDGET} s: the table below is partial"
((rc != 0 && rc != 124 && rc != 137)) && { echo "benchmark exited with $rc; its last lines:"; tail -5 "$work/log"; }
if [[ -n $results && -s $results ]]; then
  # the last run's section only (run-peers.sh appends runs to one file)
  awk '/^## Run /{buf=""} {buf = buf $0 "\n"} END {printf "%s", buf}' "$results"
  echo
  deploy/bench/ratios.sh "$results" || echo "(no Basalt / nbdkit ratios: a target produced no rows)"
else
  echo "quick benchmark produced no results table"
fi
rm -rf "$work"
exit 0
