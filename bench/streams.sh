#!/usr/bin/env bash
# Frame rate and latency of streams (live video through Kafka). Prints the figures and writes
# docs/stream-benchmarks.md. `bench/streams.sh quick` uses a shorter video. About 2 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

./mvnw -B -q package -DskipTests
./mvnw -B -q dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test
exec java -Xmx1g ${BENCH_OPTS:-} -cp "target/test-classes:target/classes:$(cat target/bench.cp)" \
  -Dferry.app.jar=target/quarkus-app/quarkus-run.jar dev.ferry.bench.StreamBenchmark "$@"
