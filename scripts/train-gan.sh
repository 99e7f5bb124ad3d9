#!/usr/bin/env bash
# Trains the GAN generators shipped in models/ (docs/models/README.md) on one Torch thread:
#   bash scripts/train-gan.sh [fmnist|mri-64] [--force] [--resume]
# fmnist (the default): models/fmnist-gan-conv-m16.pt, about 16 minutes of one core;
# mri-64: models/mri-gan-conv-64.pt on the 64² brain-MRI slices (docs/data.md, "Brain MRI"),
# about 35 minutes of one core. Each writes its training log with the quality measures
# (docs/models/NAME.log) and its sample grid (docs/models/NAME-samples.png). The checkpoint
# is kept beside the model (models/NAME.pt.checkpoint, not committed), so a stopped run
# continues with --resume (same options), and a run may be extended with a larger EPOCHS
# and --resume. Same seed and thread count give the same model (only timings differ).
set -euo pipefail
cd "$(dirname "$0")/.."
priorbench=${PRIORBENCH:-build/release/priorbench}
[ -x "$priorbench" ] || bash scripts/build.sh
which=fmnist
case "${1:-}" in fmnist|mri-64) which=$1; shift ;; -*|'') ;; *) echo "usage: $0 [fmnist|mri-64] [--force] [--resume]" >&2; exit 2 ;; esac
append=()
for argument in "$@"; do [ "$argument" = --resume ] && append=(-a); done  # a resumed run adds to the log

if [ "$which" = fmnist ]; then
  name=fmnist-gan-conv-m16
  options=(--latent-dim 16 --hidden 256 --channels 32,64 --epochs "${EPOCHS:-15}"
           --training fashion-mnist --test fashion-mnist:test --quality-vae models/fmnist-vae-mlp-m16.pt)
else
  # The MRI VAE's data (9 augmented copies of the training slabs, 13,640 images) and its
  # latent dimension; a fourth stride-2 layer for 64² (4×4 → 64×64).
  name=mri-gan-conv-64
  options=(--latent-dim 32 --hidden 256 --channels 16,32,64,128 --epochs "${EPOCHS:-60}"
           --training "mri:all:all:64:train:augment=9" --test "mri:all:all:64:test"
           --quality-vae models/mri-vae-conv-64.pt)
fi

PRIORBENCH_TORCH_THREADS=1 "$priorbench" train --kind gan --threads 1 --architecture conv "${options[@]}" \
  --batch-size 64 --learning-rate 2e-4 --adam-betas 0.5,0.99 --r1-gamma 1 --r1-interval 4 \
  --average-decay 0.999 --seed 1 \
  --samples-png "docs/models/$name-samples.png" --quality-samples 2000 --quality-k 3 \
  -o "models/$name.pt" "$@" |
  tee "${append[@]}" "docs/models/$name.log"
ls -l "models/$name.pt"
