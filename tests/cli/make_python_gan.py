#!/usr/bin/env python3
"""Scripts a GAN generator in PyTorch under the contract of docs/model-format.md (version
2, kind "gan": decode only, variance_kind "none") and saves it, with latents and the
images PyTorch decodes from them, so that priorbench can be checked against PyTorch on a
GAN it did not write.

    make_python_gan.py MODEL.pt VALUES.h5 [--without ATTRIBUTE] [--set ATTRIBUTE=VALUE]

VALUES.h5 gets z (5 x m) and PyTorch's means (5 x H x W). --without leaves an attribute
out, --set overrides one (integers stay integers): models that break the contract. Then
only MODEL.pt is written.
"""
import argparse

import h5py
import torch


class PythonGan(torch.nn.Module):
    def __init__(self, without, overrides):
        super().__init__()
        attributes = {"format_version": 2, "kind": "gan", "latent_dim": 3, "image_height": 4, "image_width": 5,
                      "variance_kind": "none", "description": "GAN scripted in PyTorch by make_python_gan.py"}
        attributes.update(overrides)
        for name, value in attributes.items():
            if name != without:
                setattr(self, name, value)
        generator = torch.Generator().manual_seed(11)
        self.net = torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.Softplus(), torch.nn.Linear(16, 20))
        with torch.no_grad():
            for parameter in self.parameters():
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.5)

    @torch.jit.export
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.net(z)).reshape(z.shape[0], 4, 5)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.decode(z)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("values")
    parser.add_argument("--without", default="")
    parser.add_argument("--set", action="append", default=[])
    args = parser.parse_args()
    overrides = {}
    for item in args.set:
        name, value = item.split("=", 1)
        overrides[name] = int(value) if value.lstrip("-").isdigit() else value
    module = torch.jit.script(PythonGan(args.without, overrides).double())
    torch.jit.save(module, args.model)
    if args.without or overrides:
        return
    z = torch.randn(5, 3, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    with torch.no_grad():
        means = module.decode(z)
    with h5py.File(args.values, "w") as f:
        f["z"] = z.numpy()
        f["means"] = means.numpy()


if __name__ == "__main__":
    main()
