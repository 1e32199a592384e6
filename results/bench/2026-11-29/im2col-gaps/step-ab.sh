#!/bin/bash
export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 PATH=/usr/lib/jvm/temurin-25-jdk-amd64/bin:$PATH
J="java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED --add-exports java.base/jdk.internal.misc=ALL-UNNAMED"
for round in ${ROUNDS:-1 2}; do
 for w in base main; do
  W=/work/wt-$w; [ $w = main ] && W=/work/main
  CP="$W/bench/target/classes:$(<$W/bench/target/classpath.txt)"
  echo "$round $w $($J -Ddropit.threads=${T:-1} -cp $CP io.github.dropitjvm.bench.BenchMain step $ARGS --json 2>/dev/null | tail -1)"
 done
done
