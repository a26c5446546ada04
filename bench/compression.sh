#!/usr/bin/env bash
# Per-chunk compression (none, zstd, lz4, auto) on Debian's documentation text and on random bytes: encode and
# decode MB/s on one core and the bytes on the wire (docs/benchmarks.md, "Compression"). About a minute.
set -euo pipefail
cd "$(dirname "$0")/.."

./mvnw -B -q test-compile
./mvnw -B -q dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test
exec java -Xmx1g ${BENCH_OPTS:-} -cp "target/test-classes:target/classes:$(cat target/bench.cp)" \
  dev.ferry.bench.CompressionBenchmark "$@"
