#!/usr/bin/env bash
# End-to-end test of `priorbench train --kind gan` and of GAN model files (contract
# version 2, kind "gan"): a tiny training run (256 images, 2 epochs) with its sample PNG and
# quality report, whose generator PyTorch loads and decodes to priorbench's numbers
# (tests/cli/check_models.py cpp-gan); a GAN scripted in PyTorch (make_python_gan.py) that
# priorbench evaluates to PyTorch's numbers; a resumed run equal to an uninterrupted one;
# the contract's refusals; and `solve` with a GAN: the latent methods run, laplace without
# a nugget is refused before any work and runs with one.
set -euo pipefail
priorbench=$1
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=common.bash
source "$here/common.bash"
python=/usr/bin/python3
vae="$here/../../models/fmnist-vae-mlp-m16.pt"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export PRIORBENCH_TORCH_THREADS=1

tiny=(--kind gan --architecture conv --channels 4,8 --hidden 16 --latent-dim 4 --training-limit 256
  --batch-size 32 --seed 5)

# 1. Train, with the sample grid and the quality measures.
"$priorbench" train "${tiny[@]}" --epochs 2 -o gan.pt --samples-png gan.png --quality-vae "$vae" \
  --quality-samples 60 --test-limit 60 --quality-k 3 | tee train.log
for pattern in "priorbench train --kind gan: GAN generator (conv)" "epoch   1/2  critic" "epoch   2/2  critic" \
  "D(real)" "training time" "processor time" "wrote gan.pt" "wrote gan.png" \
  "nearest-training-neighbour RMS pixel distance" "precision/recall (k = 3"; do
  grep -q -- "$pattern" train.log || { echo "FAIL: '$pattern' missing from the training output" >&2; exit 1; }
done
[ "$(head -c 8 gan.png | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || { echo "FAIL: gan.png is not a PNG" >&2; exit 1; }

# 2. C++ → Python: the contract's attributes, and PyTorch decodes as priorbench does.
"$priorbench" model gan.pt --samples 8 --seed 2 -o gan-eval.h5 | tee model.log
grep -q "kind gan" model.log
grep -q "variance_kind none, encoder no" model.log
"$python" "$here/check_models.py" cpp-gan gan.pt gan-eval.h5

# 3. Python → C++: a GAN scripted in PyTorch.
"$python" "$here/make_python_gan.py" python-gan.pt python-gan-values.h5
"$priorbench" model python-gan.pt --latents python-gan-values.h5:z -o python-gan-eval.h5 >python-model.log
grep -q "kind gan" python-model.log
"$python" "$here/check_models.py" python-gan python-gan-values.h5 python-gan-eval.h5

# 4. Stopped after one epoch and resumed: the same generator as the uninterrupted run.
"$priorbench" train "${tiny[@]}" --epochs 1 -o resumed.pt >/dev/null
"$priorbench" train "${tiny[@]}" --epochs 2 -o resumed.pt --resume --force | tee resume.log
grep -q "resumed from resumed.pt.checkpoint after epoch 1" resume.log
"$python" "$here/check_models.py" same-parameters gan.pt resumed.pt
expect_failure "was written by a run with other options (r1_gamma 1 in the checkpoint, 2 now)" \
  train "${tiny[@]}" --epochs 3 -o resumed.pt --resume --force --r1-gamma 2

# 5. The contract's refusals, one line each.
"$python" "$here/make_python_gan.py" no-kind.pt unused.h5 --without kind
expect_failure "no-kind.pt: attribute 'kind' missing" model no-kind.pt
"$python" "$here/make_python_gan.py" v1-kind.pt unused.h5 --set format_version=1
expect_failure "v1-kind.pt: attribute 'kind' is a format_version 2 attribute" model v1-kind.pt
"$python" "$here/make_python_gan.py" noisy.pt unused.h5 --set variance_kind=scalar
expect_failure "noisy.pt: attribute variance_kind is 'scalar' but a model of kind 'gan' has Gamma = 0" model noisy.pt
"$python" "$here/make_python_gan.py" family.pt unused.h5 --set kind=diffusion
expect_failure "family.pt: attribute kind is 'diffusion'; expected 'vae', 'gan' or 'flow'" model family.pt
"$python" "$here/make_python_gan.py" future.pt unused.h5 --set format_version=3
expect_failure "future.pt: format_version 3 is not supported (this priorbench reads versions 1 to 2)" model future.pt
expect_failure "--report: the training report is written for a VAE only" train "${tiny[@]}" -o x.pt --report x.h5

# 6. solve with the GAN: the latent methods, and laplace only with a nugget.
solve=(solve --image fashion-mnist:test:3 --operator inpaint --data-size 300 --sigma 0.05 --model gan.pt --seed 1
  --training-limit 500)
"$priorbench" "${solve[@]}" --method latent_map,latent_laplace,laplace --laplace-nugget 0.01 -o gan-solve.h5 |
  tee solve.log
for method in latent_map latent_laplace laplace; do
  grep -q "^ *$method" solve.log || { echo "FAIL: $method missing from the solve output" >&2; exit 1; }
done
expect_failure "laplace: the generator has no decoder variance (Gamma = 0, a GAN or a flow)" "${solve[@]}" --method laplace \
  -o refused.h5
[ ! -e refused.h5 ] || { echo "FAIL: a refused solve left refused.h5" >&2; exit 1; }

# 7. inspect with the GAN: sensitivity and the distance to the range, no collapse section (no encoder).
"$priorbench" inspect --model gan.pt --image fashion-mnist:test:0 --operator inpaint --data-size 196 --sigma 0.05 \
  -o inspect.h5 | tee inspect.log
grep -q "identifiable directions" inspect.log
"$python" - <<'PY'
import h5py
with h5py.File("inspect.h5", "r") as f:
    assert "range_distance" in f and "sensitivity" in f, list(f)
    assert "collapse" not in f, "a GAN has no encoder: no collapse diagnostics"
    print("ok   inspect.h5 of the GAN: sensitivity and range distance, no collapse")
PY
echo "cli.train_gan: all checks passed"
