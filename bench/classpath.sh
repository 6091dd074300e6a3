# Sourced by bench/jmh.sh and bench/loader.sh: builds the bench module and what it needs (offline, no tests, no
# install) unless BENCH_NO_BUILD=1, then sets BENCH_CP. Run from anywhere; never two maven builds in one checkout.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ ${BENCH_NO_BUILD:-0} != 1 ]]; then
  (cd "$ROOT" && mvn -B -o -q -pl bench -am package -DskipTests) || {
    echo "error: building the bench module failed (mvn -B -o -pl bench -am package -DskipTests)" >&2; exit 1; }
fi
if [[ ! -s $ROOT/bench/target/classpath.txt ]]; then
  echo "error: $ROOT/bench/target/classpath.txt missing: build first (unset BENCH_NO_BUILD)" >&2
  exit 1
fi
BENCH_CP=$ROOT/bench/target/classes:$(cat "$ROOT/bench/target/classpath.txt")
