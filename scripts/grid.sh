#!/usr/bin/env bash
# grid.sh - runs issue 6's two accuracy grids (README, "The accuracy grid on Fashion-MNIST") across sessions.
#
#   scripts/grid.sh start RESULTS   start both grids (one thread each, nice 19) from this checkout, writing into
#                                   RESULTS/fashion-mnist-vit-fmnist and RESULTS/fashion-mnist-resnet20; finished runs
#                                   are skipped and an unfinished one resumes from its checkpoint
#   scripts/grid.sh stop RESULTS    SIGTERM both grids (each saves a mid-epoch checkpoint) and wait for them to exit
#   scripts/grid.sh status RESULTS  each grid's last lines and finished runs
#   scripts/grid.sh stage RESULTS   (grids stopped) in RESULTS' git repository: stage each grid's results, force-add
#                                   the last checkpoint of a run not yet finished (these machines keep nothing
#                                   between sessions) and unstage the checkpoints of runs that finished
#
# Run start from a clone of its own (e.g. git clone <main> /work/gridrun) so that building main does not change the
# code under a running grid; RESULTS is then main's results/ directory.
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
VIT=(--model vit-fmnist --batch-size 32 --epochs 20 --threads 1 --gammas 0,0.5,0.7,0.9 --seeds 3)
RESNET=(--model resnet20 --batch-size 128 --optimizer sgd --lr 0.1 --weight-decay 5e-4 --epochs 15 --threads 1
        --gammas 0,0.5,0.7,0.9 --seeds 3)
GRIDS=(fashion-mnist-vit-fmnist fashion-mnist-resnet20)

results() {
    [[ -n "${1:-}" && -d "$1" ]] || { echo "grid.sh: give the results directory (e.g. /work/main/results)" >&2; exit 2; }
    (cd "$1" && pwd)
}

# The grids' JVMs writing into results directory $1 (and no other compare run, nor this script)
pattern() {
    echo "dropitjvm[.]train[.]Main compare .*--out $1/fashion-mnist-"
}

case "${1:-}" in
start)
    R="$(results "${2:-}")"
    if pgrep -f "$(pattern "$R")" > /dev/null; then echo "grid.sh: a grid already writes into $R" >&2; exit 1; fi
    cd "$ROOT"
    ./dropit info > /dev/null   # builds this checkout first, once
    commit="$(git rev-parse --short HEAD)"
    for g in "${GRIDS[@]}"; do
        out="$R/$g"
        mkdir -p "$out"
        if [[ $g == *vit-fmnist ]]; then args=("${VIT[@]}"); else args=("${RESNET[@]}"); fi
        echo "=== resumed $(date -u +%FT%TZ) on commit $commit" >> "$out/grid.log"
        nohup nice -n 19 ./dropit compare "${args[@]}" --out "$out" >> "$out/grid.log" 2>&1 < /dev/null &
        echo "started $g (pid $!), log $out/grid.log"
        sleep 20   # the two JVMs' start-up and JIT warm-up apart
    done
    ;;
stop)
    R="$(results "${2:-}")"
    pkill -TERM -f "$(pattern "$R")" || { echo "grid.sh: no grid writes into $R"; exit 0; }
    for _ in $(seq 180); do pgrep -f "$(pattern "$R")" > /dev/null || { echo "grids stopped"; exit 0; }; sleep 1; done
    echo "grid.sh: a grid still writes into $R after 180 s" >&2
    exit 1
    ;;
status)
    R="$(results "${2:-}")"
    for g in "${GRIDS[@]}"; do
        echo "## $g: finished $(ls "$R/$g"/*/result.json 2>/dev/null | wc -l) of 12"
        tail -n 2 "$R/$g/grid.log" 2>/dev/null || true
    done
    ;;
stage)
    R="$(results "${2:-}")"
    # a running grid swaps its checkpoint directories in and out: stage only what a stopped one left
    if pgrep -f "$(pattern "$R")" > /dev/null; then echo "grid.sh: stop the grids first (grid.sh stop $R)" >&2; exit 1; fi
    cd "$R"
    for g in "${GRIDS[@]}"; do
        [[ -d $g ]] || continue
        git add -A "$g"
        for run in "$g"/*/; do
            run="${run%/}"
            if [[ -f $run/result.json ]]; then
                git rm -r -q --cached --ignore-unmatch "$run/checkpoints"
            elif [[ -d $run/checkpoints/last ]]; then
                git add -f "$run/checkpoints/last"
                echo "staged $R/$run/checkpoints/last ($(du -sh "$run/checkpoints/last" | cut -f1))"
            fi
        done
    done
    ;;
*)
    sed -n '2,/^set -e/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
