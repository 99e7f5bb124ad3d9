#!/usr/bin/env python3
"""Scripts a normalizing flow in PyTorch under the contract of docs/model-format.md
(version 2, kind "flow": decode, inverse, log_det_jacobian; m = n, variance_kind "none")
and saves it, with latents and what PyTorch computes from them, so that priorbench can be
checked against PyTorch on a flow it did not write.

    make_python_flow.py MODEL.pt VALUES.h5 [--broken-inverse]

The flow on 4 x 5 images: an elementwise affine map, then one affine coupling of the last
10 pixels on the first 10 (a small softplus network, tanh scale). VALUES.h5 gets z (5 x 20),
PyTorch's images decode(z) (5 x 4 x 5) and log_det_jacobian(decode(z)) (5).
--broken-inverse writes a flow whose inverse is off by a factor (only MODEL.pt).
"""
import argparse

import h5py
import torch


class PythonFlow(torch.nn.Module):
    def __init__(self, broken: bool):
        super().__init__()
        self.format_version = 2
        self.kind = "flow"
        self.latent_dim = 20
        self.image_height = 4
        self.image_width = 5
        self.variance_kind = "none"
        self.description = "flow scripted in PyTorch by make_python_flow.py"
        self.inverse_factor = 1.5 if broken else 1.0
        generator = torch.Generator().manual_seed(13)
        self.log_scale = torch.nn.Parameter(torch.randn(20, generator=generator) * 0.3)
        self.shift = torch.nn.Parameter(torch.randn(20, generator=generator) * 0.3)
        self.net = torch.nn.Sequential(torch.nn.Linear(10, 16), torch.nn.Softplus(), torch.nn.Linear(16, 20))
        with torch.no_grad():
            for parameter in self.net.parameters():
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.4)

    def coupling(self, a: torch.Tensor):
        c = self.net(a)
        return torch.tanh(c[:, :10]), c[:, 10:]

    @torch.jit.export
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        s, t = self.coupling(z[:, :10])
        h = torch.cat([z[:, :10], z[:, 10:] * torch.exp(s) + t], 1)
        return (h * torch.exp(self.log_scale) + self.shift).reshape(z.shape[0], 4, 5)

    @torch.jit.export
    def inverse_and_log_det(self, x: torch.Tensor):
        h = (x.reshape(x.shape[0], 20) - self.shift) * torch.exp(-self.log_scale)
        s, t = self.coupling(h[:, :10])
        z = torch.cat([h[:, :10], (h[:, 10:] - t) * torch.exp(-s)], 1)
        return z * self.inverse_factor, -self.log_scale.sum() - s.sum(1)

    @torch.jit.export
    def inverse(self, x: torch.Tensor) -> torch.Tensor:
        return self.inverse_and_log_det(x)[0]

    @torch.jit.export
    def log_det_jacobian(self, x: torch.Tensor) -> torch.Tensor:
        return self.inverse_and_log_det(x)[1]

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.decode(z)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("values")
    parser.add_argument("--broken-inverse", action="store_true")
    args = parser.parse_args()
    module = torch.jit.script(PythonFlow(args.broken_inverse).double())
    torch.jit.save(module, args.model)
    if args.broken_inverse:
        return
    z = torch.randn(5, 20, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    with torch.no_grad():
        images = module.decode(z)
        log_dets = module.log_det_jacobian(images)
    with h5py.File(args.values, "w") as f:
        f["z"] = z.numpy()
        f["means"] = images.numpy()
        f["log_dets"] = log_dets.numpy()


if __name__ == "__main__":
    main()
