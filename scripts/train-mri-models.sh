#!/usr/bin/env bash
# Trains the brain-MRI conv VAEs shipped in models/ and renders their figures in docs/models/.
#   bash scripts/train-mri-models.sh [64|128|256|all] [--force]
# 64 (the default): models/mri-vae-conv-64.pt, about 18 minutes on one Torch thread of
# the reference machine; 128: models/mri-vae-conv-128.pt, about 37 minutes; 256:
# models/mri-vae-conv-256.pt, 4 augmented copies instead of 9 (9 copies at 256² held 19.7 GB of
# the reference machine's 24) and 40 epochs, under an hour (docs/models/README.md gives the
# measured times). Same seed and thread count give the same model (only timings differ).
# The data are slices of the Debian mricron-data templates (docs/data.md, "Brain MRI").
set -euo pipefail
cd "$(dirname "$0")/.."
priorbench=${PRIORBENCH:-build/release/priorbench}
[ -x "$priorbench" ] || bash scripts/build.sh
which=${1:-64}
case "$which" in 64|128|256|all) shift || true ;; -*) which=64 ;; *) echo "usage: $0 [64|128|256|all] [--force]" >&2; exit 2 ;; esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
reports=${REPORT_DIR:-$work}   # set REPORT_DIR to keep the HDF5 reports

# train SIZE EPOCHS AUGMENT [extra priorbench options...]
train() {
  local size=$1 epochs=$2 augment=$3; shift 3
  local name=mri-vae-conv-$size
  PRIORBENCH_TORCH_THREADS=1 "$priorbench" train \
    --architecture conv --latent-dim 32 --variance scalar \
    --epochs "$epochs" --batch-size 64 --learning-rate 1e-3 --beta 1 --seed 1 \
    --training "mri:all:all:$size:train:augment=$augment" --test "mri:all:all:$size:test" \
    -o "models/$name.pt" --checkpoint "$work/$name.checkpoint" --report "$reports/$name-report.h5" "$@" |
    tee "docs/models/$name.log"
  /usr/bin/python3 scripts/render_model_figures.py "$reports/$name-report.h5" "docs/models/$name"
  ls -l "models/$name.pt"
}

if [ "$which" = 64 ] || [ "$which" = all ]; then train 64 120 9 "$@"; fi
if [ "$which" = 128 ] || [ "$which" = all ]; then train 128 90 9 "$@"; fi
if [ "$which" = 256 ] || [ "$which" = all ]; then train 256 40 4 "$@"; fi
