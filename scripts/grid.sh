#!/usr/bin/env bash
# grid.sh - runs issue 6's two accuracy grids (README, "The accuracy grid on Fashion-MNIST") across sessions.
#
#   scripts/grid.sh start RESULTS   start both grids from this checkout, writing into RESULTS/fashion-mnist-vit-fmnist
#                                   and RESULTS/fashion-mnist-resnet20: two workers (one per core, nice 19), each running
#                                   one thread's compare on one grid and then on the other, so the core of the grid
#                                   that finishes first goes on with the other one (compare lets several processes share
#                                   a grid, each claiming a different run). Finished runs are skipped and an unfinished
#                                   one resumes from its checkpoint. Logs: grid.log (the grid's first worker), grid-2.log
#   scripts/grid.sh stop RESULTS    SIGTERM both grids (each saves a mid-epoch checkpoint) and wait for them to exit
#   scripts/grid.sh status RESULTS  each grid's last lines and finished runs
#   scripts/grid.sh report RESULTS  each grid's compare.md (mean ± std per γ, Δ vs plain) from the runs finished so far
#   scripts/grid.sh stage RESULTS   (grids stopped) in RESULTS' git repository: stage each grid's results, force-add
#                                   the last checkpoint of a run not yet finished (these machines keep nothing
#                                   between sessions), unstage the checkpoints of runs that finished and gzip
#                                   their metrics.jsonl (metrics.jsonl.gz; zcat reads it)
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

# How many of grid directory $1's runs have finished
finished() {
    ls "$1"/*/result.json 2>/dev/null | wc -l
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
    todo=()
    for g in "${GRIDS[@]}"; do
        if [[ $(finished "$R/$g") -lt 12 ]]; then todo+=("$g"); else echo "$g: all 12 runs finished"; fi
    done
    [[ ${#todo[@]} -gt 0 ]] || exit 0
    # worker 1 takes the grids in order, worker 2 the other way round
    orders=("${todo[*]}" "$(printf '%s\n' "${todo[@]}" | tac | tr '\n' ' ')")
    for w in 0 1; do
        # shellcheck disable=SC2086
        nohup nice -n 19 "$ROOT/scripts/grid.sh" _worker "$R" "$commit" ${orders[$w]} > /dev/null 2>&1 < /dev/null &
        echo "started worker $((w + 1)) (pid $!) on: ${orders[$w]}"
        sleep 20   # the two JVMs' start-up and JIT warm-up apart
    done
    ;;
_worker)   # _worker RESULTS COMMIT GRID...: compare each grid in turn; stop at the first that does not finish
    R="$2" commit="$3"
    shift 3
    cd "$ROOT"
    log=grid.log
    for g in "$@"; do
        out="$R/$g"
        mkdir -p "$out"
        if [[ $g == *vit-fmnist ]]; then args=("${VIT[@]}"); else args=("${RESNET[@]}"); fi
        echo "=== resumed $(date -u +%FT%TZ) on commit $commit" >> "$out/$log"
        ./dropit compare "${args[@]}" --out "$out" >> "$out/$log" 2>&1 || exit $?
        log=grid-2.log
    done
    ;;
stop)
    R="$(results "${2:-}")"
    pkill -TERM -f "grid[.]sh _worker $R " || true   # first the workers, so that none starts another compare
    pkill -TERM -f "$(pattern "$R")" || { echo "grid.sh: no grid writes into $R"; exit 0; }
    for _ in $(seq 180); do pgrep -f "$(pattern "$R")" > /dev/null || { echo "grids stopped"; exit 0; }; sleep 1; done
    echo "grid.sh: a grid still writes into $R after 180 s" >&2
    exit 1
    ;;
report)
    R="$(results "${2:-}")"
    cd "$ROOT"
    # compare --report: each grid's compare.md/.csv/.png from its finished runs, training nothing (safe while it runs)
    rc=0
    ./dropit compare "${VIT[@]}" --out "$R/fashion-mnist-vit-fmnist" --report || rc=$?
    ./dropit compare "${RESNET[@]}" --out "$R/fashion-mnist-resnet20" --report || rc=$?
    exit "$rc"
    ;;
status)
    R="$(results "${2:-}")"
    for g in "${GRIDS[@]}"; do
        echo "## $g: finished $(finished "$R/$g") of 12"
        for log in grid.log grid-2.log; do
            if [[ -f $R/$g/$log ]]; then tail -n 2 "$R/$g/$log"; fi
        done
    done
    ;;
stage)
    R="$(results "${2:-}")"
    # a running grid swaps its checkpoint directories in and out: stage only what a stopped one left
    if pgrep -f "$(pattern "$R")" > /dev/null; then echo "grid.sh: stop the grids first (grid.sh stop $R)" >&2; exit 1; fi
    cd "$R"
    for g in "${GRIDS[@]}"; do
        [[ -d $g ]] || continue
        # A finished run's per-step log is read by people only: kept gzipped (a fifth of the size), the working tree
        # stays small enough to travel to a device machine (64 MiB with the GPU bundle; scripts/gpu-pack.sh).
        for m in "$g"/*/metrics.jsonl; do
            if [[ -f $m && -f $(dirname "$m")/result.json ]]; then gzip -9 -n -f "$m"; fi
        done
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
