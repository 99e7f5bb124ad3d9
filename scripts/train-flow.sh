#!/usr/bin/env bash
# Trains the normalizing flow shipped in models/ (docs/models/README.md) on one Torch thread:
#   bash scripts/train-flow.sh [--force] [--resume]
# writes models/fmnist-flow-realnvp.pt, its training log with the test bits per dimension
# (docs/models/fmnist-flow-realnvp.log) and its sample grid
# (docs/models/fmnist-flow-realnvp-samples.png, z ~ N(0, I) at temperature 1). The
# checkpoint is kept beside the model (models/fmnist-flow-realnvp.pt.checkpoint, not
# committed), so a stopped run continues with --resume (same options), and a run may be
# extended with a larger --epochs and --resume. Same seed and thread count give the same
# model (only timings differ).
set -euo pipefail
cd "$(dirname "$0")/.."
priorbench=${PRIORBENCH:-build/release/priorbench}
[ -x "$priorbench" ] || bash scripts/build.sh
name=fmnist-flow-realnvp
epochs=${EPOCHS:-30}
append=()
for argument in "$@"; do [ "$argument" = --resume ] && append=(-a); done  # a resumed run adds to the log

PRIORBENCH_TORCH_THREADS=1 "$priorbench" train --kind flow --threads 1 \
  --couplings 4,4 --hidden 256,192 --preprocessing none \
  --epochs "$epochs" --batch-size 64 --learning-rate 1e-3 --max-gradient-norm 100 \
  --seed 1 --training fashion-mnist --test fashion-mnist:test \
  --samples-png "docs/models/$name-samples.png" \
  -o "models/$name.pt" "$@" |
  tee "${append[@]}" "docs/models/$name.log"
ls -l "models/$name.pt"
