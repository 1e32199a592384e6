#!/usr/bin/env bash
# The session's quiet-machine measurements, each JSON saved under results/bench/ as it finishes (rerun skips
# files that exist). Pause anything else that computes before running it.
set -u
cd "$(dirname "$0")/.."
out=results/bench; mkdir -p "$out"
run() { # name, command...
  local f="$out/$1.json"; shift
  [ -s "$f" ] && { echo "skip $f"; return; }
  echo "== $* ($(date -u +%H:%M:%S))" >&2
  "$@" > "$f.tmp" 2> "$f.log" && mv "$f.tmp" "$f" || echo "FAILED: $* (see $f.log)" >&2
}
run compare            ./dropit bench compare --json
run step-vit-fmnist    ./dropit bench step --model vit-fmnist --gamma 0.9 --json
run step-vit-tiny-32   ./dropit bench step --model vit-tiny-32 --gamma 0.9 --json
run gemm-512-t1        ./dropit bench gemm --size 512 --threads 1 --json
run gemm-512-t2        ./dropit bench gemm --size 512 --threads 2 --json
run jmh-kernels        ./dropit bench jmh KernelBenchmarks -rf json -rff "$out/jmh-kernels-raw.json"
run maxbatch-vit-fmnist ./dropit bench maxbatch --model vit-fmnist --heap 1g --gamma 0.9 --tolerance 0.05 --json
run maxbatch-resnet20  ./dropit bench maxbatch --model resnet20 --heap 1g --gamma 0.9 --tolerance 0.05 --json
run jmh-layers         ./dropit bench jmh LayerBenchmarks DropItBenchmarks -rf json -rff "$out/jmh-layers-raw.json"
