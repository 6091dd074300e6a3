#!/usr/bin/env bash
# fio through Basalt's NBD server and through `nbdkit file` (no replication: the local limit of the NBD path),
# the same 4 KiB QD16 jobs back to back, two rounds. Needs fio, nbdkit, python3 and a running `bin/basalt local up`.
# Usage: deploy/bench/nbd-bench.sh [NBD_URI] [SECONDS]
set -euo pipefail
URI=${1:-nbd://127.0.0.1:10809/demo}
SECS=${2:-20}
work=$(mktemp -d)
trap 'kill "$(cat "$work/nbdkit.pid")" 2>/dev/null || true; rm -rf "$work"' EXIT
truncate -s 1G "$work/disk.img"
nbdkit -p 10900 -i 127.0.0.1 --pidfile "$work/nbdkit.pid" file "$work/disk.img"
summary() {
  python3 - "$1" <<'PY'
import json, sys
t = open(sys.argv[1]).read(); j = json.loads(t[t.index('{'):])['jobs'][0]
for k in ('read', 'write'):
    d = j[k]
    if d['io_bytes'] > 0:
        p = d['clat_ns']['percentile']
        print(f"{k} iops={round(d['iops'])} p50_us={round(p['50.000000']/1000)} p99_us={round(p['99.000000']/1000)} errors={j['error']}")
PY
}
# allocate the volume's extents and warm the JVMs first
fio --name=warm --ioengine=nbd --uri="$URI" --rw=randwrite --bs=4k --iodepth=16 --size=1G --time_based --runtime=10s >/dev/null
for round in 1 2; do
  for rw in randwrite randread; do
    for target in "$URI" nbd://127.0.0.1:10900/; do
      fio --name=$rw --ioengine=nbd --uri="$target" --rw=$rw --bs=4k --iodepth=16 --size=1G \
          --time_based --runtime="${SECS}s" --output-format=json > "$work/out.json" 2>/dev/null
      echo "round $round $rw $target $(summary "$work/out.json")"
    done
  done
done
