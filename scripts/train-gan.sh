#!/usr/bin/env bash
# Trains the GAN generator shipped in models/ (docs/models/README.md) on one Torch thread:
#   bash scripts/train-gan.sh [--force] [--resume]
# writes models/fmnist-gan-conv-m16.pt, its training log with the quality measures
# (docs/models/fmnist-gan-conv-m16.log) and its sample grid
# (docs/models/fmnist-gan-conv-m16-samples.png). The checkpoint is kept beside the model
# (models/fmnist-gan-conv-m16.pt.checkpoint, not committed), so a stopped run continues with
# --resume (same options), and a run may be extended with a larger --epochs and --resume.
# Same seed and thread count give the same model (only timings differ).
set -euo pipefail
cd "$(dirname "$0")/.."
priorbench=${PRIORBENCH:-build/release/priorbench}
[ -x "$priorbench" ] || bash scripts/build.sh
name=fmnist-gan-conv-m16
epochs=${EPOCHS:-15}
append=()
for argument in "$@"; do [ "$argument" = --resume ] && append=(-a); done  # a resumed run adds to the log

PRIORBENCH_TORCH_THREADS=1 "$priorbench" train --kind gan --threads 1 \
  --architecture conv --latent-dim 16 --hidden 256 --channels 32,64 \
  --epochs "$epochs" --batch-size 64 --learning-rate 2e-4 --adam-betas 0.5,0.99 --r1-gamma 1 --r1-interval 4 \
  --average-decay 0.999 \
  --seed 1 --training fashion-mnist --test fashion-mnist:test \
  --samples-png "docs/models/$name-samples.png" \
  --quality-vae models/fmnist-vae-mlp-m16.pt --quality-samples 2000 --quality-k 3 \
  -o "models/$name.pt" "$@" |
  tee "${append[@]}" "docs/models/$name.log"
ls -l "models/$name.pt"
