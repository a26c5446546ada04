#!/usr/bin/env bash
# The fault scenarios at full scale: 55 consumer SIGKILLs, a 1 GiB file under every fault, a three-broker cluster,
# longer rebalance schedules. The same tests run in CI at a small scale (./mvnw verify). Prints the summary table
# and writes it, with the date and the machine, to docs/fault-results.md.
# Needs a JDK 17+, Maven Central (first run), ~20 GB free disk under target/, root for the real tmpfs case
# (skipped otherwise), and about an hour on 2 cores.
# Usage: faults/run.sh [-Dferry.faults.seed=N] [-Dit.test=FaultScenariosIT#consumerKilled*]
set -euo pipefail
cd "$(dirname "$0")/.."

# KEEP_SUMMARY=1 adds to the previous table, e.g. to re-run one scenario.
[ "${KEEP_SUMMARY:-0}" = 1 ] || rm -f target/faults/summary.md
status=0
./mvnw -B verify -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test='FaultScenariosIT,FaultPointsIT' -Dferry.faults.full=true "$@" || status=$?

{
  echo "# Fault scenarios at full scale"
  echo
  echo "Run on $(date -u +%Y-%m-%d) on $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)," \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(java -version 2>&1 | head -1)."
  echo "Reproduce with \`faults/run.sh\`; CI runs the same scenarios smaller (\`./mvnw verify\`)."
  echo "Scenarios 1-6, 8 and 9 send the mix of the issue: 0 B, 1 B, chunk-1, chunk, chunk+1 (512 KiB chunks), 200 small"
  echo "files and a 1 GiB file, through the packaged app as separate processes and Kafka brokers in their own JVMs."
  echo "Columns: files sent, files in the outbox at their path, byte-identical (SHA-256), second copies found by"
  echo "\`verify\`, partial files seen by the outbox watch (sampled every 20 ms throughout), other violations (unexpected"
  echo "names, a source deleted before delivery), the verify tool's verdict, and wall-clock seconds."
  echo
  cat target/faults/summary.md
  echo
  echo "Maven exit status: $status"
} > docs/fault-results.md
cat docs/fault-results.md
exit $status
