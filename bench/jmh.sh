#!/usr/bin/env bash
# JMH microbenchmarks of the data path (bench/src/main/java/io/basalt/bench/jmh): the replica store's apply of
# 4 KiB and 1 MiB writes on RocksDB in a temp dir, and the RPC frame codec round trip of a 4 KiB WriteRequest.
# Short settings by default (about 1.5 min in all); any argument replaces them and goes to JMH as is, e.g.
#   bench/jmh.sh                                   # all, -f 1 -wi 2 -i 3 -r 2s -w 2s -prof gc
#   bench/jmh.sh StoreApplyBench -p size=4096 -f 1 -wi 3 -i 5 -prof gc
#   bench/jmh.sh -h                                # JMH's own options
# BENCH_NO_BUILD=1 skips the offline build. Results: the table JMH prints last (us/op or ns/op: lower is better;
# gc.alloc.rate.norm = bytes allocated per op, which, unlike time, does not depend on what else runs on the machine).
set -euo pipefail
source "$(dirname "$0")/classpath.sh"
args=("$@")
((${#args[@]})) || args=(-f 1 -wi 2 -i 3 -r 2s -w 2s -prof gc)
exec java -cp "$BENCH_CP" org.openjdk.jmh.Main "${args[@]}"
