#!/usr/bin/env bash
# The parity notebooks (model, LoRA, hooks, V-JEPA, checkpoint) and the README-number tests under each CPU kernel
# setting that another x86 machine would take: PyTorch's dispatch level, MKL's and oneDNN's instruction sets, and the
# thread count. A stored number compared exactly would fail under one of them (they move logits by 1e-7 to 2e-7).
set -uo pipefail
BIN=${BIN:-.venv/bin}
SETTINGS=(
  "none"
  "ATEN_CPU_CAPABILITY=default"
  "ATEN_CPU_CAPABILITY=avx2"
  "MKL_ENABLE_INSTRUCTIONS=AVX2"
  "ONEDNN_MAX_CPU_ISA=AVX2"
  "OMP_NUM_THREADS=1"
  "OMP_NUM_THREADS=2"
)
failed=()
for s in "${SETTINGS[@]}"; do
  env_args=(); [ "$s" != none ] && env_args=("$s")
  echo "== kernel setting: $s ($(env "${env_args[@]}" "$BIN/python" -c 'import torch; print(torch.backends.cpu.get_cpu_capability(), torch.get_num_threads(), "threads")'))"
  env "${env_args[@]}" "$BIN/nbdev_test" --n_workers 2 --file_re '^0[1-5]_.*\.ipynb$' || failed+=("$s: parity notebooks")
  env "${env_args[@]}" "$BIN/python" -m pytest -q -p no:cacheprovider tests/test_readme_numbers.py || failed+=("$s: README numbers")
done
if [ ${#failed[@]} -gt 0 ]; then printf 'failed under: %s\n' "${failed[@]}"; exit 1; fi
echo "portable: ${#SETTINGS[@]} kernel settings, parity notebooks and README numbers pass under each"
