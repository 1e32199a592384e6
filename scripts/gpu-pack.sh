#!/usr/bin/env bash
# scripts/gpu-pack.sh - builds a self-contained bundle for a GPU machine that has no Java, Maven or network:
#   target/gpu-bundle/{jre/ (jlink'd: java.base, jdk.incubator.vector, ...), lib/*.jar, gpu-check.sh}
# The jars are the project's modules and their runtime dependencies except DJL/libtorch (the PyTorch peer is run
# from Python by gpu-check.sh instead). Fails when the bundle exceeds 60 MB. Then copy target/gpu-bundle to the GPU
# machine and run ./gpu-check.sh there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
LIMIT_MB=60
BUNDLE="$ROOT/target/gpu-bundle"

JDK="$(./dropit --print-jdk)"
export JAVA_HOME="$JDK"
bash scripts/cuda-ptx.sh
echo "gpu-pack: building the jars (mvn package, tests skipped)" >&2
mvn -B -q -Dmaven.test.skip=true package >&2

rm -rf "$BUNDLE"
mkdir -p "$BUNDLE/lib"
# the modules' jars and their runtime dependencies, as the launcher's classpath lists them, minus DJL/libtorch/JNA
tr ':' '\n' < bench/target/classpath.txt | while read -r jar; do
    [[ -z "$jar" || ! -f "$jar" ]] && continue
    case "$jar" in
        */ai/djl/*|*pytorch*|*/net/java/dev/jna/*) continue ;;
    esac
    cp "$jar" "$BUNDLE/lib/"
done
(cd bench/target/classes && "$JDK/bin/jar" --create --file "$BUNDLE/lib/dropit-bench.jar" .)

"$JDK/bin/jlink" --add-modules java.base,jdk.incubator.vector,java.logging,java.management,jdk.management,jdk.unsupported \
    --strip-debug --no-header-files --no-man-pages --compress=zip-9 --output "$BUNDLE/jre"
cp scripts/gpu-check.sh "$BUNDLE/gpu-check.sh"
chmod +x "$BUNDLE/gpu-check.sh"

size_kb="$(du -sk "$BUNDLE" | cut -f1)"
size_mb=$(( (size_kb + 1023) / 1024 ))
echo "gpu-pack: $BUNDLE is ${size_mb} MB (jre $(du -sh "$BUNDLE/jre" | cut -f1), lib $(du -sh "$BUNDLE/lib" | cut -f1); limit ${LIMIT_MB} MB)"
if (( size_kb > LIMIT_MB * 1024 )); then
    echo "gpu-pack: FAILED: the bundle is over ${LIMIT_MB} MB" >&2
    du -sh "$BUNDLE"/lib/* | sort -h | tail -5 >&2
    exit 1
fi
