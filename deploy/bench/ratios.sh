#!/usr/bin/env bash
# Basalt / nbdkit ratios per job from a results table of deploy/bench/run.sh or ../shared/bench/run-peers.sh
# (the last "## Run" section of the file: run-peers.sh appends every run of a day to one file), with issue 10's
# goals beside them. Compare ratios from one run only.
# usage: deploy/bench/ratios.sh RESULTS.md [SUBJECT_REGEX (basalt)] [REFERENCE_REGEX (nbdkit-file$)]
# Exit 1 when the file has no rows of the subject or of the reference.
set -euo pipefail
[[ $# -ge 1 && -r $1 ]] || { echo "usage: $0 RESULTS.md [SUBJECT_REGEX] [REFERENCE_REGEX]" >&2; exit 2; }
awk -v subj="${2:-basalt}" -v ref="${3:-nbdkit-file\$}" '
  function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
  # flush p99 from a notes cell "sync lat p50/p99 A/B µs"
  function syncp99(n,   m) { return match(n, /sync lat p50\/p99 [0-9]+\/[0-9]+/) ? substr(n, RSTART, RLENGTH) : "" }
  function after_slash(s) { sub(/.*\//, "", s); return s + 0 }
  /^## Run / { delete iops; delete mbs; delete p99; delete flush; delete cpu; delete seen; n = 0; next }
  /^\| / {
    split($0, f, "|")
    t = trim(f[2]); j = trim(f[3])
    if (j !~ /^J[1-5]s?$/ || trim(f[4]) == "-") next
    if (t ~ subj) side = "s"; else if (t ~ ref) side = "r"; else next
    k = side SUBSEP j
    if (k in seen) next            # first row of each side per job
    seen[k] = 1
    iops[k] = trim(f[4]) + 0; mbs[k] = trim(f[5]) + 0; p99[k] = trim(f[7]) + 0; cpu[k] = trim(f[9])
    s = syncp99(f[10]); flush[k] = s == "" ? "" : after_slash(s)
  }
  function ratio(a, b) { return b > 0 ? sprintf("%.3f", a / b) : "-" }
  function has(side, j) { return (side SUBSEP j) in seen }
  END {
    split("J1 J2 J3 J4 J5 J5s", jobs, " ")
    goal["J1"] = ">= 0.30"; goal["J2"] = ">= 0.50"; goal["J3"] = ">= 0.25"; goal["J4"] = ">= 0.55"
    goal["J5"] = "p99 <= 1000 µs"; goal["J5s"] = "flush p99 <= 2000 µs"
    print "| job | Basalt | nbdkit | Basalt / nbdkit | goal (issue 10) | Basalt host CPU % |"
    print "|---|---:|---:|---:|---|---:|"
    rows = 0
    for (i = 1; i <= 6; i++) {
      j = jobs[i]; s = "s" SUBSEP j; r = "r" SUBSEP j
      if (!has("s", j) && !has("r", j)) continue
      if (has("s", j)) rows++
      if (j == "J1" || j == "J2") {
        sv = has("s", j) ? sprintf("%d IOPS, p99 %d µs", iops[s], p99[s]) : "-"
        rv = has("r", j) ? sprintf("%d IOPS", iops[r]) : "-"
        q = has("s", j) && has("r", j) ? ratio(iops[s], iops[r]) : "-"
      } else if (j == "J3" || j == "J4") {
        sv = has("s", j) ? sprintf("%.1f MB/s", mbs[s]) : "-"
        rv = has("r", j) ? sprintf("%.1f MB/s", mbs[r]) : "-"
        q = has("s", j) && has("r", j) ? ratio(mbs[s], mbs[r]) : "-"
      } else if (j == "J5") {
        sv = has("s", j) ? sprintf("p99 %d µs", p99[s]) : "-"
        rv = has("r", j) ? sprintf("p99 %d µs", p99[r]) : "-"
        q = ""
      } else {
        sv = has("s", j) && flush[s] != "" ? sprintf("flush p99 %d µs", flush[s]) : "-"
        rv = has("r", j) && flush[r] != "" ? sprintf("flush p99 %d µs", flush[r]) : "-"
        q = ""
      }
      printf "| %s | %s | %s | %s | %s | %s |\n", j, sv, rv, q, goal[j], has("s", j) ? cpu[s] : "-"
    }
    if (rows == 0) { print "no rows of " subj " in the last run" > "/dev/stderr"; exit 1 }
  }
' "$1"
