#!/usr/bin/env bash
# Ferry's throughput and memory benchmark. Prints figures and ratios and writes docs/benchmarks.md and
# docs/benchmark-chunk-size.png. `bench/run.sh quick` runs smaller files for a sanity check.
# Needs a JDK 17+, Maven Central (first run), ~30 GB free disk under target/ and about 25 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

./mvnw -B -q package -DskipTests
./mvnw -B -q dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test
# -Dbench.only=big|many|small|threads|memory|raw|encryption runs one case. Profiling of the measured phase only:
# -Dbench.threads=true prints CPU by thread, -Dbench.jfr=true also records and summarises a flight recording.
# Each run repeats its own shape until the JIT compilers are nearly idle (at most 4 rounds; -Dbench.shapeRounds=N).
# The raw pipe runs before and after Ferry for 1 x 2 GiB and 1000 x 1 MiB (ratio against their mean); every run line
# prints a CPU probe (SHA-256 MB/s on one idle core): this VM's speed drifts within minutes.
# Before each run the free memory is filled with page cache (PageCache; -Dbench.pageCache=false to measure it as
# found): this VM gives free memory back to its host and charges about ten times the system time to take it again.
exec java -Xmx1g ${BENCH_OPTS:-} -cp "target/test-classes:target/classes:$(cat target/bench.cp)" \
  -Dferry.app.jar=target/quarkus-app/quarkus-run.jar dev.ferry.bench.Benchmark "$@"
