#!/usr/bin/env bash
# End-to-end test of `priorbench train --kind flow` and of flow model files (contract
# version 2, kind "flow"): a tiny training run (256 images, 2 epochs) with its sample PNG,
# whose flow PyTorch loads, decodes and inverts as priorbench does, with log_det_jacobian
# equal to slogdet of the inverse's autograd Jacobian (tests/cli/check_models.py cpp-flow);
# a flow scripted in PyTorch (make_python_flow.py) that priorbench evaluates to PyTorch's
# numbers; a resumed run equal to an uninterrupted one; the contract's refusals; `solve`
# with flow_map and flow_laplace, refused with a VAE; `inspect` (a range distance of zero);
# and a study refusing a flow method with a VAE before its results file exists.
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

tiny=(--kind flow --couplings 2,2 --hidden 16 --training-limit 256 --test-limit 64 --batch-size 32 --seed 5)

# 1. Train, with the sample grid.
"$priorbench" train "${tiny[@]}" --epochs 2 -o flow.pt --samples-png flow.png | tee train.log
for pattern in "priorbench train --kind flow: normalizing flow (RealNVP, multi-scale): centred pixels" \
  "epoch   1/2  training bits/dim" "epoch   2/2  training bits/dim" "test bits/dim" "training time" \
  "processor time" "wrote flow.pt" "wrote flow.png"; do
  grep -q -- "$pattern" train.log || { echo "FAIL: '$pattern' missing from the training output" >&2; exit 1; }
done
[ "$(head -c 8 flow.png | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || { echo "FAIL: flow.png is not a PNG" >&2; exit 1; }

# 2. C++ → Python: the contract's attributes; PyTorch decodes and inverts as priorbench does.
"$priorbench" model flow.pt --samples 8 --seed 2 -o flow-eval.h5 | tee model.log
grep -q "kind flow, latent_dim 784" model.log
grep -q "test log-likelihood .* bits per dimension" model.log
grep -q "a normalizing flow: a bijection of the image space" model.log
"$python" "$here/check_models.py" cpp-flow flow.pt flow-eval.h5

# 3. Python → C++: a flow scripted in PyTorch.
"$python" "$here/make_python_flow.py" python-flow.pt python-flow-values.h5
"$priorbench" model python-flow.pt --latents python-flow-values.h5:z -o python-flow-eval.h5 >python-model.log
grep -q "kind flow" python-model.log
"$python" "$here/check_models.py" python-flow python-flow-values.h5 python-flow-eval.h5

# 4. Stopped after one epoch and resumed: the same flow as the uninterrupted run.
"$priorbench" train "${tiny[@]}" --epochs 1 -o resumed.pt >/dev/null
"$priorbench" train "${tiny[@]}" --epochs 2 -o resumed.pt --resume --force | tee resume.log
grep -q "resumed from resumed.pt.checkpoint after epoch 1" resume.log
"$python" "$here/check_models.py" same-parameters flow.pt resumed.pt
expect_failure "was written by a run with other options (preprocessing none in the checkpoint, logit now)" \
  train "${tiny[@]}" --epochs 3 -o resumed.pt --resume --force --preprocessing logit

# 5. The contract's refusals and bad options, one line each.
"$python" "$here/make_python_flow.py" broken.pt unused.h5 --broken-inverse
expect_failure "broken.pt: inverse(decode(z)) differs from z by" model broken.pt
expect_failure "--couplings: 1 to 64 coupling steps per level, got 0" train "${tiny[@]}" --couplings 0 -o x.pt
expect_failure "--report and --quality-vae are written for a VAE and a GAN" train "${tiny[@]}" -o x.pt --report x.h5
[ ! -e x.pt ] || { echo "FAIL: a refused train left x.pt" >&2; exit 1; }

# 6. solve with the flow; the flow methods refuse a VAE.
solve=(solve --image fashion-mnist:test:3 --operator inpaint --data-size 300 --sigma 0.1 --seed 1 --training-limit 500)
"$priorbench" "${solve[@]}" --model flow.pt --method flow_map,flow_laplace,latent_map -o flow-solve.h5 | tee solve.log
for method in flow_map flow_laplace latent_map; do
  grep -q "^ *$method" solve.log || { echo "FAIL: $method missing from the solve output" >&2; exit 1; }
done
grep -q "gauss-newton" solve.log
expect_failure "flow_map: needs a normalizing flow (a model of kind 'flow')" "${solve[@]}" --model "$vae" \
  --method flow_map -o refused.h5
[ ! -e refused.h5 ] || { echo "FAIL: a refused solve left refused.h5" >&2; exit 1; }

# 7. inspect with the flow: the point is the flow MAP (exact density); the spectrum of
#    A J(z*) over all n latent directions, whose images J v_i PyTorch's forward-mode
#    Jacobian-vector products reproduce; a distance to the range of zero (a flow maps onto
#    the whole image space).
"$priorbench" inspect --model flow.pt --image fashion-mnist:test:0 --operator inpaint --data-size 196 --sigma 0.05 \
  -o inspect.h5 | tee inspect.log
grep -q "sensitivity M = A J(z\*) (196 x 784)" inspect.log
grep -q "flow MAP (exact density): objective" inspect.log
"$python" - <<'PY'
import h5py
import numpy as np
import torch

torch.set_num_threads(1)
flow = torch.jit.load("flow.pt").double()
with h5py.File("inspect.h5", "r") as f:
    assert f.attrs["analysis_point"] == "flow_map", f.attrs["analysis_point"]
    point = f["flow_map"]
    assert point.attrs["converged"] == 1, "the flow MAP of inspect did not converge"
    z = torch.from_numpy(point["latent"][()])
    assert np.array_equal(f["sensitivity/latent"][()], z.numpy()), "the SVD is not at the flow MAP"
    decode = lambda latent: flow.decode(latent.unsqueeze(0)).reshape(-1)
    image = decode(z).detach().numpy()
    assert np.allclose(point["image"][()].reshape(-1), image, rtol=0, atol=1e-10), "image != decode(z*)"
    v = f["sensitivity/right_vectors"][()]
    shown = f["sensitivity/direction_images"][()].reshape(len(v), -1)
    for i in (0, 1, 195, 196, 783):
        _, jv = torch.autograd.functional.jvp(decode, z, torch.from_numpy(v[i]))
        error = np.max(np.abs(shown[i] - jv.numpy())) / max(np.max(np.abs(jv.numpy())), 1e-300)
        assert error < 1e-8, "direction image %d differs from J(z*) v_i by %g (relative)" % (i, error)
    s = f["sensitivity/singular_values"][()]
    assert np.all(s[196:] <= 1e-6 * s[0]), "d = 196 < n: the trailing singular values must be zero"
    print("ok   inspect.h5 of the flow: at the flow MAP; J v_i equal PyTorch's to 1e-8")
    distance = f["range_distance"].attrs["relative_distance"]
    kind = f["range_distance"].attrs["best_start_kind"]
    assert distance < 1e-8, "a flow's range is the whole image space, relative distance %g" % distance
    assert kind == "inverse", "a flow's range distance starts at its inverse, not %s" % kind
    print("ok   inspect.h5 of the flow: relative distance to the range %.2g from the inverse" % distance)
PY

# 8. A study with flow_laplace and a VAE fails before its results file exists.
cat >mismatch.toml <<TOML
[study]
name = "mismatch"
seed = 1
[model]
file = "$vae"
[data]
training = "fashion-mnist"
training_limit = 100
[truth]
kinds = ["test"]
test_indices = [0]
[operator]
name = "identity"
[noise]
sigmas = [0.1]
[[method]]
name = "flow_laplace"
TOML
expect_failure "mismatch.toml: method 'flow_laplace' with model $vae: flow_laplace: needs a normalizing flow" \
  run mismatch.toml -o mismatch.h5
[ ! -e mismatch.h5 ] || { echo "FAIL: a refused study left mismatch.h5" >&2; exit 1; }

# 9. The same study with the flow named ([models.flow]) and chosen by the flow method:
#    it runs beside the VAE's latent_map on the same tasks; the results record which model
#    each method used and the SHA-256 of both; a changed flow file refuses the resume.
#    Truths of both generators (generated, generated.flow); each method's range distance
#    is to its own generator's range, and the latent credible level of z† is recorded only
#    for a method of the model that made the truth ([models.twin] is the VAE's file under
#    another name: a model of its own).
cp flow.pt named-flow.pt
sed -e 's/^name = "mismatch"/name = "families"/' -e '/^name = "flow_laplace"/a model = "flow"' \
  -e 's/^kinds = \["test"\]/kinds = ["test", "generated", "generated.flow"]\ngenerated_count = 1/' \
  mismatch.toml >families.toml
cat >>families.toml <<TOML
[models.flow]
file = "named-flow.pt"
[models.twin]
file = "$vae"
[[method]]
name = "latent_map"
[[method]]
name = "latent_laplace"
[[method]]
name = "latent_laplace"
label = "twin_laplace"
model = "twin"
TOML
"$priorbench" run families.toml -o families.h5 >families.log
"$python" - <<'PY'
import hashlib

import h5py
import numpy as np

def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()

def text(attribute):
    return attribute.decode() if isinstance(attribute, bytes) else attribute

vae = [line.split('"')[1] for line in open("families.toml") if line.startswith("file")][0]
with h5py.File("families.h5", "r") as f:
    assert text(f["methods/flow_laplace"].attrs["model"]) == "models.flow", f["methods/flow_laplace"].attrs["model"]
    assert text(f["methods/latent_map"].attrs["model"]) == "model", f["methods/latent_map"].attrs["model"]
    lines = "model %s\nmodels.flow %s\nmodels.twin %s\n" % (sha(vae), sha("named-flow.pt"), sha(vae))
    assert text(f.attrs["model_sha256"]) == hashlib.sha256(lines.encode()).hexdigest(), "model_sha256 is not over the models"
    assert "models.flow named-flow.pt " + sha("named-flow.pt") in text(f.attrs["models"]), f.attrs["models"]
    assert np.all(f["metrics/converged"][()] == 1), "a method of the families study did not converge"
    print("ok   families.h5: flow_laplace ran with [models.flow], latent_map with [model]; all hashed")

    names = text(f["tasks"].attrs["truth_kind_names"])
    assert names == "test,generated,generated_noisy,generated.flow", names
    assert list(f["tasks/truth_kind"][()]) == [0, 1, 3], f["tasks/truth_kind"][()]
    labels = text(f["methods"].attrs["labels"]).split(",")
    column = {label: i for i, label in enumerate(labels)}
    distance = f["metrics/range_distance"][()]
    norm = f["tasks/truth_norm"][()]
    for label in ("latent_map", "latent_laplace", "twin_laplace"):
        assert np.array_equal(distance[:, column[label]], f["tasks/range_distance"][()]), label
    assert np.all(distance[:, column["flow_laplace"]] / norm < 1e-8), "a flow's range is the whole image space"
    assert distance[2, column["latent_map"]] / norm[2] > 1e-3, "a flow's truth is not on the VAE's range"
    level = f["metrics/latent_credible_level"][()]
    assert np.isfinite(level[1, column["latent_laplace"]]), "no latent level for the VAE's own truth"
    assert np.all(np.isnan(np.delete(level[:, column["latent_laplace"]], 1))), "a latent level off the VAE's truths"
    assert np.all(np.isnan(level[:, column["twin_laplace"]])), "a latent level for another model's truth"
    print("ok   families.h5: truths of both generators; range distance and latent level per method's own model")
PY
cp python-flow.pt named-flow.pt
expect_failure "resuming would mix two models: restore those models or use another output file" \
  run families.toml -o families.h5
echo "cli.train_flow: all checks passed"
