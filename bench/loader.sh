#!/usr/bin/env bash
# The in-process write loader (io.basalt.bench.loader.WriteLoader): meta + 3 chunk servers (RocksDB, TCP on
# 127.0.0.1) in one JVM, a 64 MiB volume of 4 extents with 3 replicas, QD16 4 KiB random writes for 10 s after
# a 3 s warm-up; prints IOPS, latency, CPU us per write and the chunks' batch sizes. Flags go to the loader:
#   bench/loader.sh                         # 4 KiB QD16
#   bench/loader.sh --size 1m --qd 4        # 1 MiB sequential QD4: MB/s and CPU us per MiB
#   bench/loader.sh --help                  # every flag
# BENCH_NO_BUILD=1 skips the offline build; LOADER_JAVA_OPTS replaces the JVM options (default -Xmx1g).
set -euo pipefail
source "$(dirname "$0")/classpath.sh"
# shellcheck disable=SC2086
exec java ${LOADER_JAVA_OPTS:--Xmx1g} -cp "$BENCH_CP" io.basalt.bench.loader.WriteLoader "$@"
