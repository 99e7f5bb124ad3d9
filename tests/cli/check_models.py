#!/usr/bin/env python3
"""Checks model files across the C++/Python boundary (tests/cli/train.sh).

    check_models.py cpp-model MODEL.pt REPORT.h5
        A model written by `priorbench train` loads with torch.jit.load, declares the
        contract's attributes, and its decode and encode in PyTorch (float64) reproduce
        what priorbench computed into the report (samples, reconstructions).
    check_models.py python-model VALUES.h5 EVALUATION.h5
        What `priorbench model` computed for a model scripted in PyTorch equals what
        PyTorch computed (make_python_model.py).
    check_models.py cpp-gan MODEL.pt EVALUATION.h5
        A GAN written by `priorbench train --kind gan` loads with torch.jit.load, declares
        the version-2 contract (kind "gan", variance_kind "none", no encode), and its decode
        in PyTorch (float64) reproduces what `priorbench model --samples` computed.
    check_models.py python-gan VALUES.h5 EVALUATION.h5
        What `priorbench model` computed for a GAN scripted in PyTorch equals what PyTorch
        computed (make_python_gan.py), with a zero decoder variance.
    check_models.py cpp-flow MODEL.pt EVALUATION.h5
        A flow written by `priorbench train --kind flow` loads with torch.jit.load, declares
        the version-2 contract (kind "flow", m = n, variance_kind "none"); in PyTorch
        (float64) its decode reproduces what `priorbench model --samples` computed, inverse
        undoes it, and log_det_jacobian equals log|det| of the inverse's Jacobian by
        torch.autograd.functional.jacobian and torch.linalg.slogdet.
    check_models.py python-flow VALUES.h5 EVALUATION.h5
        What `priorbench model` computed for a flow scripted in PyTorch equals what PyTorch
        computed (make_python_flow.py).
    check_models.py same-parameters A.pt B.pt
        Two model files hold bitwise the same parameters (a resumed run equals an
        uninterrupted one).
"""
import sys

import h5py
import numpy as np
import torch

TOLERANCE = 1e-12


def close(name, actual, expected, tolerance=TOLERANCE):
    actual, expected = np.asarray(actual), np.asarray(expected)
    if actual.shape != expected.shape:
        sys.exit("FAIL %s: shape %s, expected %s" % (name, actual.shape, expected.shape))
    difference = float(np.max(np.abs(actual - expected)))
    if not difference <= tolerance:
        sys.exit("FAIL %s: max difference %.3g > %.3g" % (name, difference, tolerance))
    print("ok   %-40s max difference %.2g" % (name, difference))


def cpp_model(model_path, report_path):
    model = torch.jit.load(model_path)
    for name, kind in [("format_version", int), ("latent_dim", int), ("image_height", int), ("image_width", int),
                       ("variance_kind", str), ("description", str), ("training_log", str), ("test_elbo", float)]:
        value = getattr(model, name)
        if not isinstance(value, kind):
            sys.exit("FAIL attribute %s is %r, expected a %s" % (name, value, kind.__name__))
    if model.format_version != 2 or model.kind != "vae" or model.variance_kind not in ("scalar", "per_pixel"):
        sys.exit("FAIL contract attributes: %d %s %s" % (model.format_version, model.kind, model.variance_kind))
    if len(model.diagnostics_kl) != model.latent_dim:
        sys.exit("FAIL diagnostics_kl has %d entries for latent_dim %d" % (len(model.diagnostics_kl), model.latent_dim))
    model = model.double()  # priorbench evaluates in float64, from the stored float32 parameters
    with h5py.File(report_path, "r") as f:
        z = torch.from_numpy(f["sample_latents"][()])
        sample_means = f["sample_means"][()]
        images = torch.from_numpy(f["test_images"][()])
        encoder_means = f["test_encoder_means"][()]
        reconstructions = f["test_reconstructions"][()]
        if abs(f.attrs["test_elbo"] - model.test_elbo) > 1e-9 * abs(model.test_elbo):
            sys.exit("FAIL test_elbo: report %r, model %r" % (f.attrs["test_elbo"], model.test_elbo))
    with torch.no_grad():
        close("decode(z) PyTorch vs priorbench", model.decode(z).numpy(), sample_means)
        mean, log_variance = model.encode(images)
        close("encode(x) mean PyTorch vs priorbench", mean.numpy(), encoder_means)
        close("decode(encode(x)) PyTorch vs priorbench", model.decode(mean).numpy(), reconstructions)
        if not torch.all(torch.isfinite(log_variance)):
            sys.exit("FAIL encode(x) log variance not finite")


def python_model(values_path, evaluation_path):
    with h5py.File(values_path, "r") as expected, h5py.File(evaluation_path, "r") as actual:
        close("latents passed through", actual["latents"][()], expected["z"][()], 0.0)
        close("decode(z) priorbench vs PyTorch", actual["means"][()], expected["means"][()])
        close("decoder variance priorbench vs PyTorch", actual["decoder_variances"][()],
              np.exp(expected["log_variances"][()]))
        close("encode(x) mean priorbench vs PyTorch", actual["encoder_means"][()], expected["encoder_means"][()])
        close("encode(x) variance priorbench vs PyTorch", actual["encoder_variances"][()],
              np.exp(expected["encoder_log_variances"][()]))


def cpp_gan(model_path, evaluation_path):
    model = torch.jit.load(model_path)
    for name, kind in [("format_version", int), ("kind", str), ("latent_dim", int), ("image_height", int),
                       ("image_width", int), ("variance_kind", str), ("description", str), ("training_log", str),
                       ("training_seconds", float), ("architecture", str)]:
        value = getattr(model, name)
        if not isinstance(value, kind):
            sys.exit("FAIL attribute %s is %r, expected a %s" % (name, value, kind.__name__))
    if model.format_version != 2 or model.kind != "gan" or model.variance_kind != "none":
        sys.exit("FAIL contract attributes: %d %s %s" % (model.format_version, model.kind, model.variance_kind))
    if hasattr(model, "encode") or hasattr(model, "decoder_log_variance"):
        sys.exit("FAIL a GAN generator should have neither encode nor decoder_log_variance")
    for parameter in model.parameters():
        if parameter.dtype != torch.float32:
            sys.exit("FAIL parameters should be stored in float32, found %s" % parameter.dtype)
    model = model.double()
    with h5py.File(evaluation_path, "r") as f:
        z = torch.from_numpy(f["latents"][()])
        means = f["means"][()]
        close("GAN decoder variance from priorbench", f["decoder_variances"][()], np.zeros_like(means), 0.0)
    with torch.no_grad():
        close("GAN decode(z) PyTorch vs priorbench", model.decode(z).numpy(), means)


def python_gan(values_path, evaluation_path):
    with h5py.File(values_path, "r") as expected, h5py.File(evaluation_path, "r") as actual:
        close("latents passed through", actual["latents"][()], expected["z"][()], 0.0)
        close("GAN decode(z) priorbench vs PyTorch", actual["means"][()], expected["means"][()])
        close("GAN decoder variance (zero)", actual["decoder_variances"][()], np.zeros_like(expected["means"][()]), 0.0)


def cpp_flow(model_path, evaluation_path):
    model = torch.jit.load(model_path)
    for name, kind in [("format_version", int), ("kind", str), ("latent_dim", int), ("image_height", int),
                       ("image_width", int), ("variance_kind", str), ("description", str), ("training_log", str),
                       ("test_bits_per_dim", float), ("architecture", str), ("preprocessing", str)]:
        value = getattr(model, name)
        if not isinstance(value, kind):
            sys.exit("FAIL attribute %s is %r, expected a %s" % (name, value, kind.__name__))
    n = model.image_height * model.image_width
    if model.format_version != 2 or model.kind != "flow" or model.variance_kind != "none" or model.latent_dim != n:
        sys.exit("FAIL contract attributes: %d %s %s %d" % (model.format_version, model.kind, model.variance_kind,
                                                            model.latent_dim))
    model = model.double()
    with h5py.File(evaluation_path, "r") as f:
        z = torch.from_numpy(f["latents"][()])
        means = f["means"][()]
    with torch.no_grad():
        x = model.decode(z)
        close("flow decode(z) PyTorch vs priorbench", x.numpy(), means)
        close("flow inverse(decode(z)) = z", model.inverse(x).numpy(), z.numpy(), 1e-10)
    for k in range(2):
        point = x[k].reshape(n)
        jacobian = torch.autograd.functional.jacobian(lambda v: model.inverse(v.reshape(1, n)).reshape(n), point)
        close("flow log_det_jacobian vs slogdet (image %d)" % k,
              model.log_det_jacobian(point.reshape(1, n)).detach().numpy(),
              torch.linalg.slogdet(jacobian)[1].reshape(1).numpy(), 1e-8)


def python_flow(values_path, evaluation_path):
    with h5py.File(values_path, "r") as expected, h5py.File(evaluation_path, "r") as actual:
        close("latents passed through", actual["latents"][()], expected["z"][()], 0.0)
        close("flow decode(z) priorbench vs PyTorch", actual["means"][()], expected["means"][()])
        close("flow log_det_jacobian(decode(z)) priorbench vs PyTorch", actual["log_det_jacobians"][()],
              expected["log_dets"][()])


def same_parameters(first, second):
    a, b = torch.jit.load(first), torch.jit.load(second)
    pa, pb = dict(a.named_parameters()), dict(b.named_parameters())
    if pa.keys() != pb.keys():
        sys.exit("FAIL parameter names differ: %s vs %s" % (sorted(pa), sorted(pb)))
    for name in pa:
        if not torch.equal(pa[name], pb[name]):
            sys.exit("FAIL parameter %s differs between %s and %s" % (name, first, second))
    print("ok   %d parameters bitwise equal in %s and %s" % (len(pa), first, second))


if __name__ == "__main__":
    commands = {"cpp-model": cpp_model, "python-model": python_model, "cpp-gan": cpp_gan, "python-gan": python_gan,
                "cpp-flow": cpp_flow, "python-flow": python_flow, "same-parameters": same_parameters}
    if len(sys.argv) != 4 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](sys.argv[2], sys.argv[3])
