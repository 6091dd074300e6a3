#!/usr/bin/env bash
# Self-check of ratios.sh on a fixed table (two runs in one file, an extra nbdkit variant): prints "ok" or the diff.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
diff <("$HERE/ratios.sh" "$HERE/testdata/results-sample.md") "$HERE/testdata/ratios-expected.md"
if "$HERE/ratios.sh" "$HERE/testdata/ratios-expected.md" >/dev/null 2>&1; then
  echo "ratios.sh should fail on a file without result rows" >&2; exit 1
fi
echo ok
