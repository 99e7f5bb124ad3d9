#!/usr/bin/env bash
# Trains the default model shipped in models/ and renders its figures in docs/models/.
# Rerun it to reproduce models/fmnist-vae-mlp-m16.pt (same seed, one Torch thread):
#   bash scripts/train-default-model.sh [--force]
# About 10-15 minutes on one core of the reference machine (docs/models/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
priorbench=${PRIORBENCH:-build/release/priorbench}
[ -x "$priorbench" ] || bash scripts/build.sh
name=fmnist-vae-mlp-m16
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

PRIORBENCH_TORCH_THREADS=1 "$priorbench" train \
  --architecture mlp --latent-dim 16 --variance scalar \
  --epochs 40 --batch-size 128 --learning-rate 1e-3 --beta 1 --seed 1 \
  --training fashion-mnist --test fashion-mnist:test \
  -o "models/$name.pt" --checkpoint "$work/$name.checkpoint" --report "$work/$name-report.h5" "$@" |
  tee "docs/models/$name.log"

/usr/bin/python3 scripts/render_model_figures.py "$work/$name-report.h5" "docs/models/$name"
ls -l "models/$name.pt"
