#!/usr/bin/env bash
# A consumer at -Xmx256m starting on a receipts topic of a million receipts (plus 40 oversized records): prints
# the time to ready and the heap after a full GC. `bench/receipts.sh quick` uses 100,000. About 3 minutes on 2 cores.
# `bench/receipts.sh [quick] signed`: every receipt signed, and the consumer checking each one (ferry.trusted-keys).
set -euo pipefail
cd "$(dirname "$0")/.."

./mvnw -B -q package -DskipTests
./mvnw -B -q dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test
exec java -Xmx1g ${BENCH_OPTS:-} -cp "target/test-classes:target/classes:$(cat target/bench.cp)" \
  -Dferry.app.jar=target/quarkus-app/quarkus-run.jar dev.ferry.bench.ReceiptsStartBenchmark "$@"
