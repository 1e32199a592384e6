#!/usr/bin/env bash
# scripts/gpu-pack.sh - builds a self-contained bundle for a GPU machine that has no Java, Maven or network:
#   target/gpu-bundle/{jre/ (jlink'd: java.base, jdk.incubator.vector, ...), lib/*.jar, gpu-check.sh}
# and the same as target/gpu-bundle.tar.gz, the one file to take there. The jars are the project's modules and their
# runtime dependencies except DJL/libtorch (the PyTorch peer is run from Python by gpu-check.sh instead).
#
# The device tool sends the working tree (tracked and untracked-not-ignored files) plus what it carries, 64 MiB in
# all: the script prints both sizes and fails when they do not fit. Then, with the device tool:
#   run  carry=["target/gpu-bundle.tar.gz"]  timeout_s=450
#        command: mkdir -p /tmp/b && tar -xzf target/gpu-bundle.tar.gz -C /tmp/b && /tmp/b/gpu-bundle/gpu-check.sh
# (gpu-check.sh writes its logs to $OUT, which the tool returns).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TRAVEL_LIMIT=$((64 * 1024 * 1024))
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
# libjvm.so ships with its symbol table (jlink's native stripping leaves it): 5 MB less to send without it.
if command -v strip >/dev/null 2>&1; then strip --strip-unneeded "$BUNDLE/jre/lib/server/libjvm.so"; fi
"$BUNDLE/jre/bin/java" -version >/dev/null 2>&1 || { echo "gpu-pack: FAILED: the bundled JRE does not start" >&2; exit 1; }
tar -czf "$BUNDLE.tar.gz" -C "$(dirname "$BUNDLE")" "$(basename "$BUNDLE")"

mb() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
tarball="$(stat -c %s "$BUNDLE.tar.gz")"
# (a tracked file missing from the tree, e.g. one a running grid is swapping, makes du complain: it is not counted)
tree="$(git ls-files -z --cached --others --exclude-standard | { du -cb --files0-from=- 2>/dev/null || true; } | tail -1 | cut -f1)"
echo "gpu-pack: $BUNDLE.tar.gz is $(mb "$tarball") (jre $(du -sh "$BUNDLE/jre" | cut -f1), lib $(du -sh "$BUNDLE/lib" | cut -f1) unpacked);" \
     "with the working tree ($(mb "$tree")) $(mb $((tarball + tree))) travels, limit $(mb "$TRAVEL_LIMIT")"
if (( tarball + tree > TRAVEL_LIMIT )); then
    echo "gpu-pack: FAILED: the working tree and the bundle are over the device tool's 64 MiB; the largest tracked files:" >&2
    git ls-files -z | du -b --files0-from=- | sort -n | tail -5 >&2
    exit 1
fi
