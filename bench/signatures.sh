#!/usr/bin/env bash
# What signatures cost per chunk on one core (sign on the producer, check on the consumer) against the hashing every
# chunk already gets; prints a table (docs/benchmarks.md, "Signatures"). About a minute.
set -euo pipefail
cd "$(dirname "$0")/.."

./mvnw -B -q test-compile
./mvnw -B -q dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test
exec java -Xmx512m ${BENCH_OPTS:-} -cp "target/test-classes:target/classes:$(cat target/bench.cp)" \
  dev.ferry.bench.SignatureCostBenchmark "$@"
