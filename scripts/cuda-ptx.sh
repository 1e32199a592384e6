#!/usr/bin/env bash
# scripts/cuda-ptx.sh - compiles the CUDA flavour of the shared kernel dialect (tensor/.../kernels/prelude.h + *.cl,
# concatenated as CudaKernels.source() does) to PTX for sm_80 and sm_90 with nvcc, into
# tensor/src/main/resources/io/github/dropitjvm/tensor/kernels/cuda/, and records the source's SHA-256 there.
#
# Run by scripts/gpu-pack.sh and by hand after editing a kernel (CudaKernelsTest fails while the committed PTX is
# stale). It only compiles when the kernel source changed since the committed PTX was made (or with --force), and
# without nvcc it leaves the committed PTX as it is and succeeds. Commit the PTX it rewrites.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KDIR="$ROOT/tensor/src/main/resources/io/github/dropitjvm/tensor/kernels"
OUT="$KDIR/cuda"
FORCE=false
[[ "${1:-}" == "--force" ]] && FORCE=true

NVCC="$(command -v nvcc || true)"
if [[ -z "$NVCC" ]]; then
    for c in /usr/local/cuda/bin/nvcc /usr/local/cuda-*/bin/nvcc; do
        [[ -x "$c" ]] && { NVCC="$c"; break; }
    done
fi

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
SRC="$TMP/dropit.cu"
: > "$SRC"
for f in prelude.h elementwise.cl reduce.cl conv.cl dropit.cl; do
    printf '/* ---- %s ---- */\n' "$f" >> "$SRC"
    cat "$KDIR/$f" >> "$SRC"
    printf '\n' >> "$SRC"
done
HASH="$(sha256sum "$SRC" | cut -d' ' -f1)"
OLD="$(cut -d' ' -f1 "$OUT/source.sha256" 2>/dev/null || true)"

if [[ "$HASH" == "$OLD" && "$FORCE" == false ]]; then
    echo "cuda-ptx: committed PTX is up to date (source $HASH)"
    exit 0
fi
if [[ -z "$NVCC" ]]; then
    echo "cuda-ptx: WARNING: the kernel source changed but nvcc is not installed; keeping the committed PTX (stale: built from $OLD, source is $HASH)" >&2
    exit 0
fi
mkdir -p "$OUT"
for arch in 90 80; do
    "$NVCC" -ptx -arch=sm_$arch -std=c++17 -o "$TMP/dropit-sm_$arch.ptx" "$SRC"
done
for arch in 90 80; do mv "$TMP/dropit-sm_$arch.ptx" "$OUT/dropit-sm_$arch.ptx"; done
echo "$HASH  dropit.cu ($("$NVCC" --version | tail -1))" > "$OUT/source.sha256"
echo "cuda-ptx: wrote PTX for sm_90 and sm_80 into $OUT (source $HASH)"
