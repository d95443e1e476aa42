#!/usr/bin/env bash
# Run every atheris harness (or the ones named) for SECONDS each; print the figures.
#
#   fuzz/run.sh 300                 # webhooks, csv_import and utm, five minutes each
#   fuzz/run.sh 60 utm              # one harness
#
# New corpus entries go to var/fuzz/<harness>/ (kept between runs, not in git);
# the seeds in fuzz/corpus/<harness>/ are read, never written. A finding stops
# that harness and leaves its input in var/fuzz/artifacts/; replay it with
#   .venv/bin/python fuzz/<harness>.py var/fuzz/artifacts/crash-...
# Exits non-zero when any harness found something.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(webhooks csv_import utm)
python="${PYTHON:-.venv/bin/python}"

declare -A dictionary=([csv_import]=fuzz/csv.dict [utm]=fuzz/url.dict)
status=0
mkdir -p var/fuzz/artifacts
for name in "${harnesses[@]}"; do
    mkdir -p "var/fuzz/$name"
    log="var/fuzz/$name.log"
    args=(-max_total_time="$seconds" -print_final_stats=1 -max_len=65536 -rss_limit_mb=4096
          -artifact_prefix=var/fuzz/artifacts/)
    [ -n "${dictionary[$name]:-}" ] && args+=(-dict="${dictionary[$name]}")
    echo "== $name: ${seconds}s"
    PYTHONPATH=. "$python" "fuzz/$name.py" "${args[@]}" "var/fuzz/$name" "fuzz/corpus/$name" \
        >"$log" 2>&1
    code=$?
    grep -E '^(stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)|Done )' "$log"
    grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1
    if [ $code -ne 0 ]; then
        status=1
        echo "!! $name found something (exit $code); see $log"
        grep -A12 'Uncaught Python exception' "$log" | head -20
    fi
done
exit $status
