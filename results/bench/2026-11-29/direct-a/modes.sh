#!/bin/bash
# Runs `bench gemm` N times (one JVM each) on build W (/work/wt-base or /work/main) and prints each run's GFLOP/s:
# shows the per-JVM modes of the GEMM kernel's JIT compilation.
export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 PATH=/usr/lib/jvm/temurin-25-jdk-amd64/bin:$PATH
J="java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED --add-exports java.base/jdk.internal.misc=ALL-UNNAMED"
CP="$W/bench/target/classes:$(<$W/bench/target/classpath.txt)"
for i in $(seq ${N:-10}); do
  echo -n "$($J -Ddropit.threads=1 -cp $CP io.github.dropitjvm.bench.BenchMain gemm $ARGS --threads 1 --warmup-ms 1000 --measure-ms 2000 2>/dev/null | grep -o '"gflops":[0-9.]*' | cut -d: -f2) "
done; echo
