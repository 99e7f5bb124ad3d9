#!/usr/bin/env python3
"""Scripts a generator in PyTorch under the contract of docs/model-format.md and saves it,
with inputs and the outputs PyTorch computes for them, so that priorbench can be checked
against PyTorch on a model it did not write.

    make_python_model.py MODEL.pt VALUES.h5 [--break ATTRIBUTE] [--no-encoder]

VALUES.h5 gets z (5 x m), x (3 x H x W), and PyTorch's means (5 x H x W), log_variances
(5 x H x W, per pixel), encoder_means and encoder_log_variances (3 x m). With --break the
named attribute is left out (a model that breaks the contract); with --no-encoder the model
has no `encode` method (a decoder-only generator). Either way only MODEL.pt is written.
"""
import argparse

import h5py
import torch


class PythonVae(torch.nn.Module):
    def __init__(self, leave_out):
        super().__init__()
        attributes = {"format_version": 1, "latent_dim": 3, "image_height": 4, "image_width": 5,
                      "variance_kind": "per_pixel", "description": "scripted in PyTorch by make_python_model.py"}
        for name, value in attributes.items():
            if name != leave_out:
                setattr(self, name, value)
        generator = torch.Generator().manual_seed(7)
        self.decoder = torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.Tanh(), torch.nn.Linear(16, 20))
        self.variance_head = torch.nn.Linear(3, 20)
        self.encoder = torch.nn.Linear(20, 6)
        with torch.no_grad():
            for parameter in self.parameters():
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.5)

    @torch.jit.export
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.decoder(z)).reshape(z.shape[0], 4, 5)

    @torch.jit.export
    def decoder_log_variance(self, z: torch.Tensor) -> torch.Tensor:
        return (self.variance_head(z) - 4.0).reshape(z.shape[0], 4, 5)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.decode(z)


class PythonVaeWithEncoder(PythonVae):
    @torch.jit.export
    def encode(self, x: torch.Tensor):
        out = self.encoder(x.reshape(x.shape[0], 20))
        return out[:, :3], out[:, 3:]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("values")
    parser.add_argument("--break", dest="leave_out", default="")
    parser.add_argument("--no-encoder", action="store_true")
    args = parser.parse_args()
    kind = PythonVae if args.no_encoder else PythonVaeWithEncoder
    module = torch.jit.script(kind(args.leave_out).double())
    torch.jit.save(module, args.model)
    if args.leave_out or args.no_encoder:
        return
    generator = torch.Generator().manual_seed(3)
    z = torch.randn(5, 3, generator=generator, dtype=torch.float64)
    x = torch.rand(3, 4, 5, generator=generator, dtype=torch.float64)
    with torch.no_grad():
        means = module.decode(z)
        log_variances = module.decoder_log_variance(z)
        encoder_means, encoder_log_variances = module.encode(x)
    with h5py.File(args.values, "w") as f:
        f["z"] = z.numpy()
        f["x"] = x.numpy()
        f["means"] = means.numpy()
        f["log_variances"] = log_variances.numpy()
        f["encoder_means"] = encoder_means.numpy()
        f["encoder_log_variances"] = encoder_log_variances.numpy()


if __name__ == "__main__":
    main()
