#!/usr/bin/env bash
# A/B of two built checkouts (each `mvn package -DskipTests` done), one fresh JVM per measurement, the two builds
# alternating so that drift on a shared machine falls on both:
#   BASE=<dir> MAIN=<dir> [T=threads] [ROUNDS="1 2"] scripts/ab.sh step <bench step args>   e.g. --model resnet20 --batch 32
#   BASE=<dir> MAIN=<dir> [T=threads] [ROUNDS="1 2"] scripts/ab.sh gemm <bench gemm args>   e.g. --size 512 --transpose-b
# Prints "<round> base|main <the bench's JSON line>".
set -u
kind=$1; shift
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
J="$JAVA_HOME/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED --add-exports java.base/jdk.internal.misc=ALL-UNNAMED"
for round in ${ROUNDS:-1 2}; do
  for side in base main; do
    dir=$BASE; [ "$side" = main ] && dir=$MAIN
    cp="$dir/bench/target/classes:$(<"$dir/bench/target/classpath.txt")"
    extra=(); [ "$kind" = gemm ] && extra=(--threads "${T:-1}")
    echo "$round $side $($J -Ddropit.threads="${T:-1}" -cp "$cp" io.github.dropitjvm.bench.BenchMain "$kind" "$@" "${extra[@]}" --json 2>/dev/null | tail -1)"
  done
done
