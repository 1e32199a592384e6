#!/usr/bin/env bash
# gpu-check.sh - self-contained check of DropIT-JVM on an NVIDIA GPU machine (no Java, Maven or network needed):
# runs from the bundle scripts/gpu-pack.sh makes (jre/, lib/). Steps, each under a time limit (together at most 425 s;
# about two minutes when all goes well):
#   1. the op self-check on CUDA against the CPU backend (DeviceCheck ops cuda), and on OpenCL when an NVIDIA
#      OpenCL driver is registered;
#   2. SGEMM 4096^3: hand-written kernel and cuBLAS (TF32 off), CUDA-event timed;
#   3. a vit-tiny-32 training step, batch 64, plain and DropIT gamma 0.9, on CUDA (and a few on the CPU);
#   4. where python3 has torch with CUDA: the same step in PyTorch eager, TF32 off;
# then one table with ratios. Without a CUDA device it says so, runs the CPU self-check (the bundle works) and exits 2.
set -uo pipefail
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JAVA="$DIR/jre/bin/java"
[[ -x "$JAVA" ]] || JAVA="${JAVA_HOME:-/usr}/bin/java"
# Signal chaining, as ./dropit does (NVRTC and OpenCL drivers carry LLVM, whose crash handler would take HotSpot's SIGSEGV).
JSIG="$(dirname "$(dirname "$JAVA")")/lib/libjsig.so"
[[ -f "$JSIG" ]] && export LD_PRELOAD="$JSIG${LD_PRELOAD:+:$LD_PRELOAD}"
J=("$JAVA" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED --add-exports java.base/jdk.internal.misc=ALL-UNNAMED
   --sun-misc-unsafe-memory-access=allow -Xmx16g -cp "$DIR/lib/*")
# The logs go to $OUT when the caller gives one (the device tool returns what is written there), else to a temp dir.
OUT="${OUT:-$(mktemp -d)}"
mkdir -p "$OUT"
# NVRTC and cuBLAS may sit only in the CUDA toolkit's or PyTorch's own folders, off the loader's path: put the first
# folder holding each on LD_LIBRARY_PATH (the driver's libcuda.so.1 is on the path wherever there is a GPU). Without
# them the backend uses its shipped PTX and its own GEMM, and the cuBLAS column reads NA.
# (-H: /usr/local/cuda is usually a link to the default toolkit, which comes first.)
for lib in libnvrtc libcublas; do
    ldconfig -p 2>/dev/null | grep "$lib\.so\.1[0-9]" >/dev/null && continue   # the loader finds it already
    found="$(timeout 10 find -H /usr/local/cuda /usr/local /opt -name "$lib.so.1[0-9]" -print -quit 2>/dev/null || true)"
    if [[ -n "$found" ]]; then export LD_LIBRARY_PATH="$(dirname "$found")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; fi
done
T0=$SECONDS
row() { printf '%-44s %14s %14s %10s\n' "$@"; }

echo "== gpu-check: $(date -u +%FT%TZ) on $(hostname)"
echo "gpu-check: LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader

# 1. op self-check on CUDA
timeout 90 "${J[@]}" io.github.dropitjvm.tensor.cuda.DeviceCheck ops cuda > "$OUT/ops-cuda.txt" 2>&1
rc=$?
grep -v '^WARNING' "$OUT/ops-cuda.txt" | grep -E 'device check|FAIL'
if grep -q "device check: FAILED to start" "$OUT/ops-cuda.txt"; then
    if grep -q -E "libcuda\.so\.1 not found|no CUDA device" "$OUT/ops-cuda.txt"; then
        echo "gpu-check: no CUDA device: $(grep -o "backend 'cuda' is not available.*" "$OUT/ops-cuda.txt" | head -1)"
        echo "gpu-check: running the CPU parts only (the bundle's own self-check on the CPU backend):"
        timeout 60 "${J[@]}" io.github.dropitjvm.tensor.cuda.DeviceCheck ops cpu 2>&1 | grep -E 'device check'
        echo "gpu-check: FAILED: no CUDA device (exit 2)"
        exit 2
    fi
    # a device is there but the backend did not start (module load, JIT...): the whole log says why
    echo "gpu-check: FAILED: the CUDA backend did not start; its log:"
    grep -v '^WARNING' "$OUT/ops-cuda.txt"
    exit 1
fi
OPS_CUDA="$(grep -o '[0-9]* passed, [0-9]* failed' "$OUT/ops-cuda.txt" | tail -1)"
OPS_CL="no NVIDIA OpenCL driver"
if ls /etc/OpenCL/vendors/*nvidia*.icd >/dev/null 2>&1; then
    timeout 60 "${J[@]}" -Ddropit.opencl.platform="${DROPIT_OPENCL_PLATFORM:-0}" io.github.dropitjvm.tensor.cuda.DeviceCheck ops opencl > "$OUT/ops-cl.txt" 2>&1
    grep -E 'device check|FAIL' "$OUT/ops-cl.txt"
    OPS_CL="$(grep -o '[0-9]* passed, [0-9]* failed' "$OUT/ops-cl.txt" | tail -1)"
fi

# 2. SGEMM 4096^3
timeout 60 "${J[@]}" io.github.dropitjvm.tensor.cuda.DeviceCheck gemm 4096 > "$OUT/gemm.txt" 2>&1
grep -E '^gemm' "$OUT/gemm.txt"
val() { grep -o "$1=[0-9.NA]*" "$2" 2>/dev/null | head -1 | cut -d= -f2; }

# 3. training steps: CUDA (10 timed), CPU (3 timed)
step() { # backend steps warmup file
    timeout "$5" "${J[@]}" -Ddropit.backend="$1" io.github.dropitjvm.bench.BenchMain step --model vit-tiny-32 --batch 64 --gamma 0.9 \
        --steps "$2" --warmup "$3" --json > "$4" 2>&1
}
step cuda 10 3 "$OUT/step-cuda.json" 90; grep '"bench"' "$OUT/step-cuda.json" || tail -3 "$OUT/step-cuda.json"
if (( SECONDS - T0 < 150 )); then step cpu 3 1 "$OUT/step-cpu.json" 45; grep '"bench"' "$OUT/step-cpu.json"; fi
jv() { grep -o "\"$1\":[0-9.eE+-]*" "$2" 2>/dev/null | head -1 | cut -d: -f2; }

# 4. PyTorch eager, TF32 off, same model shape (ViT 32px, patch 4, dim 192, depth 12, 3 heads, MLP 768, cls token)
TORCH_MS=NA
if command -v python3 >/dev/null && python3 -c 'import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    timeout 60 python3 - > "$OUT/torch.txt" 2>&1 <<'PY'
import time, torch, torch.nn as nn
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
torch.manual_seed(0)
d = 'cuda'
class ViT(nn.Module):
    def __init__(s):
        super().__init__()
        s.patch = nn.Conv2d(3, 192, 4, 4)
        s.cls = nn.Parameter(torch.zeros(1, 1, 192)); s.pos = nn.Parameter(torch.zeros(1, 65, 192))
        layer = nn.TransformerEncoderLayer(192, 3, 768, 0.0, activation='gelu', batch_first=True, norm_first=True)
        s.enc = nn.TransformerEncoder(layer, 12, enable_nested_tensor=False); s.norm = nn.LayerNorm(192); s.head = nn.Linear(192, 10)
    def forward(s, x):
        x = s.patch(x).flatten(2).transpose(1, 2)
        x = torch.cat([s.cls.expand(x.shape[0], -1, -1), x], 1) + s.pos
        return s.head(s.norm(s.enc(x))[:, 0])
m = ViT().to(d); opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
x = torch.randn(64, 3, 32, 32, device=d); y = torch.randint(0, 10, (64,), device=d)
ts = []
for i in range(13):
    torch.cuda.synchronize(); t = time.perf_counter()
    opt.zero_grad(); nn.functional.cross_entropy(m(x), y).backward(); opt.step(); torch.cuda.synchronize()
    if i >= 3: ts.append((time.perf_counter() - t) * 1000)
ts.sort(); print("torch_ms=%.3f" % ts[len(ts) // 2])
PY
    TORCH_MS="$(val torch_ms "$OUT/torch.txt")"; [[ -z "$TORCH_MS" ]] && { TORCH_MS=NA; tail -3 "$OUT/torch.txt"; }
else
    echo "gpu-check: no python3 with CUDA PyTorch: the PyTorch row is NA"
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a+0 > 0 && b+0 > 0) printf "%.2f", a / b; else print "NA" }'; }
KM="$(val kernel_ms "$OUT/gemm.txt")"; CM="$(val cublas_ms "$OUT/gemm.txt")"
SP="$(jv ms_baseline "$OUT/step-cuda.json")"; SD="$(jv ms_dropit "$OUT/step-cuda.json")"
CP="$(jv ms_baseline "$OUT/step-cpu.json")"; CD="$(jv ms_dropit "$OUT/step-cpu.json")"
echo
echo "== results ($(( SECONDS - T0 )) s)"
row "what" "ms" "ref ms" "ratio"
row "op self-check cuda vs cpu" "${OPS_CUDA:-NA}" "" ""
row "op self-check opencl vs cpu" "$OPS_CL" "" ""
row "SGEMM 4096^3 hand-written / cuBLAS" "${KM:-NA}" "${CM:-NA}" "$(ratio "$KM" "$CM")"
row "vit-tiny-32 b64 step cuda DropIT / plain" "${SD:-NA}" "${SP:-NA}" "$(ratio "$SD" "$SP")"
row "vit-tiny-32 b64 step cuda plain / PyTorch" "${SP:-NA}" "$TORCH_MS" "$(ratio "$SP" "$TORCH_MS")"
row "vit-tiny-32 b64 step cpu plain / cuda plain" "${CP:-NA}" "${SP:-NA}" "$(ratio "$CP" "$SP")"
row "vit-tiny-32 b64 step cpu DropIT / cpu plain" "${CD:-NA}" "${CP:-NA}" "$(ratio "$CD" "$CP")"
[[ "$rc" == 0 ]] || { echo "gpu-check: FAILED: the CUDA op self-check failed (see above)"; exit 1; }
