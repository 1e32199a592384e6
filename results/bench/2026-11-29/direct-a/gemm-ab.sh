#!/bin/bash
# A/B of `bench gemm` between /work/wt-base and /work/main on the vit-fmnist step's GEMM shapes (batch 32: 1600
# tokens, dim 96, qkv 288, MLP 384), alternating builds, one JVM per measurement. T = threads (default 1).
export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 PATH=/usr/lib/jvm/temurin-25-jdk-amd64/bin:$PATH
J="java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED --add-exports java.base/jdk.internal.misc=ALL-UNNAMED"
SHAPES=${SHAPES:-"--m 1600 --k 96 --n 288|--m 1600 --k 96 --n 96|--m 1600 --k 384 --n 96|--m 1600 --k 288 --n 96|--m 288 --k 1600 --n 96 --transpose-a|--size 512"}
IFS='|' read -ra S <<< "$SHAPES"
for round in ${ROUNDS:-1 2}; do
 for s in "${S[@]}"; do
  for w in base main; do
   W=/work/wt-$w; [ $w = main ] && W=/work/main
   CP="$W/bench/target/classes:$(<$W/bench/target/classpath.txt)"
   r=$($J -Ddropit.threads=${T:-1} -cp $CP io.github.dropitjvm.bench.BenchMain gemm $s --threads ${T:-1} --warmup-ms 1000 --measure-ms 2000 2>/dev/null | tail -1)
   echo "$round $w $s $(echo $r | grep -o '"gflops":[0-9.]*')"
  done
 done
done
