#!/usr/bin/env bash
# End-to-end test of `priorbench train` and `priorbench model`: a tiny training run (300
# images, 2 epochs) whose model PyTorch loads and evaluates to the same numbers
# (tests/cli/check_models.py); a model scripted in PyTorch (tests/cli/make_python_model.py,
# written here at run time) that priorbench loads and evaluates to PyTorch's numbers; a
# resumed run equal to an uninterrupted one; the error paths: one line, non-zero exit,
# nothing overwritten.
set -euo pipefail
priorbench=$1
mpiexec=$2
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=common.bash
source "$here/common.bash"
python=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export PRIORBENCH_TORCH_THREADS=1

tiny=(--training-limit 300 --test-limit 100 --latent-dim 4 --batch-size 50 --seed 5
  --diagnostic-images 100 --jacobian-images 10)

# 1. Train; the progress lines, test ELBO and diagnostics are printed.
"$priorbench" train "${tiny[@]}" --epochs 2 -o tiny.pt --report tiny.h5 | tee train.log
for pattern in "epoch   1/2  ELBO" "epoch   2/2  ELBO" "images/s" "time left" "test ELBO" \
  "posterior-collapse diagnostics" "active units" "wrote tiny.pt" "wrote tiny.h5"; do
  grep -q -- "$pattern" train.log || { echo "FAIL: '$pattern' missing from the training output" >&2; exit 1; }
done

# 2. C++ → Python: PyTorch loads the model and reproduces priorbench's numbers.
"$python" "$here/check_models.py" cpp-model tiny.pt tiny.h5

# 3. Python → C++: a model scripted in PyTorch loads in priorbench and gives PyTorch's numbers.
"$python" "$here/make_python_model.py" python.pt python-values.h5
"$priorbench" model python.pt --latents python-values.h5:z --encode python-values.h5:x -o python-eval.h5 |
  tee model.log
grep -q "obeys the contract" model.log
grep -q "scripted in PyTorch" model.log
"$python" "$here/check_models.py" python-model python-values.h5 python-eval.h5

# 4. Stopped after one epoch and resumed: the same model as the uninterrupted run.
"$priorbench" train "${tiny[@]}" --epochs 1 -o resumed.pt >/dev/null
"$priorbench" train "${tiny[@]}" --epochs 2 -o resumed.pt --resume --force | tee resume.log
grep -q "resumed from resumed.pt.checkpoint after epoch 1" resume.log
"$python" "$here/check_models.py" same-parameters tiny.pt resumed.pt

# 5. At 2 ranks rank 0 trains and says so; the per-pixel convolutional variant trains.
"$mpiexec" -n 2 "$priorbench" train "${tiny[@]}" --epochs 1 --architecture conv --variance per-pixel \
  -o conv.pt | tee conv.log
grep -q "training runs on rank 0 only" conv.log
"$priorbench" model conv.pt | grep -q "variance_kind per_pixel"

# 6. Error paths: exit status 1, a one-line message, and an existing file left untouched.
before=$(sha256sum tiny.pt)
expect_failure "output file tiny.pt already exists; pass --force" train "${tiny[@]}" -o tiny.pt
[ "$before" = "$(sha256sum tiny.pt)" ] || { echo "FAIL: tiny.pt was modified" >&2; exit 1; }
expect_failure "checkpoint none.pt.checkpoint does not exist" train "${tiny[@]}" -o none.pt --resume
expect_failure "foo not in" train --architecture foo -o x.pt
expect_failure "--latent-dim must be in" train --latent-dim 0 -o x.pt
echo "not a model" > corrupt.pt
expect_failure "corrupt.pt: not a readable TorchScript model file" model corrupt.pt
expect_failure "missing.pt: no such model file" model missing.pt
"$python" "$here/make_python_model.py" broken.pt unused.h5 --break latent_dim
expect_failure "broken.pt: attribute 'latent_dim' missing" model broken.pt
expect_failure "already exists" model python.pt --samples 2 -o python-eval.h5
# --force replaces only what the command wrote (issue 16): never a study file given as the
# checkpoint, a foreign file as the model or report, or an HDF5 file of another command.
printf '[study]\nname = "mine"\n' >study.toml
study_before=$(sha256sum study.toml)
expect_failure "output file study.toml already exists; pass --force to replace it (--checkpoint)" train "${tiny[@]}" -o new.pt --checkpoint study.toml
expect_failure "--checkpoint study.toml exists and is not a priorbench training checkpoint" \
  train "${tiny[@]}" -o new.pt --checkpoint study.toml --force
expect_failure "-o study.toml exists and is not a TorchScript model file" train "${tiny[@]}" -o study.toml --force
expect_failure "-o python.pt exists and is a TorchScript model that priorbench train did not write" \
  train "${tiny[@]}" -o python.pt --force
expect_failure "--report python-eval.h5 exists and is a file of format 'priorbench-model-evaluation-1'" \
  train "${tiny[@]}" -o new.pt --report python-eval.h5 --force
expect_failure "-o study.toml exists and is not an HDF5 file" model python.pt --samples 2 -o study.toml --force
[ "$study_before" = "$(sha256sum study.toml)" ] || { echo "FAIL: study.toml was modified" >&2; exit 1; }
[ ! -e new.pt ] || { echo "FAIL: a refused run wrote new.pt" >&2; exit 1; }
# A model without an encoder asked to --encode leaves no output file.
"$python" "$here/make_python_model.py" no-encoder.pt unused2.h5 --no-encoder
expect_failure "has no method 'encode'" model no-encoder.pt --encode python-values.h5:x -o encoded.h5
[ ! -e encoded.h5 ] || { echo "FAIL: a failed --encode left encoded.h5" >&2; exit 1; }
ls -A | grep -q "\.tmp-" && { echo "FAIL: temporary files left behind" >&2; exit 1; }
echo "cli.train: all checks passed"
