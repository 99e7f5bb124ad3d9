#!/usr/bin/env python3
"""Writes the hostile model files and volumes of tests/cli/bad_inputs.sh into DIR.

    make_hostile_inputs.py DIR

Models (TorchScript, 28x28 images, latent_dim 3, scalar variance, docs/model-format.md):
  good.pt          obeys the contract, with an encoder
  no-encoder.pt    obeys the contract, no `encode`
  hang.pt          `decode` never returns (a scripted endless loop)
  huge-latent.pt   declares latent_dim = 2^40
  nan-away.pt      finite at z = 0 (the contract probe), NaN wherever |z|_1 > 0.5
Volumes (NIfTI-1, float32, 16 x 16 x 8, a smooth blob):
  nan.nii          one voxel NaN
  inf.nii          one voxel +inf
"""
import math
import os
import struct
import sys

import torch

SIDE = 28


class Decoder(torch.nn.Module):
    def __init__(self, latent_dim: int = 3):
        super().__init__()
        self.format_version = 1
        self.latent_dim = latent_dim
        self.image_height = SIDE
        self.image_width = SIDE
        self.variance_kind = "scalar"
        generator = torch.Generator().manual_seed(5)
        self.weight = torch.nn.Parameter(torch.randn(3, SIDE * SIDE, generator=generator, dtype=torch.float64) * 0.3)
        self.log_gamma2 = torch.nn.Parameter(torch.tensor([-4.0], dtype=torch.float64))

    @torch.jit.export
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(z @ self.weight).reshape(z.shape[0], 28, 28)

    @torch.jit.export
    def decoder_log_variance(self, z: torch.Tensor) -> torch.Tensor:
        return self.log_gamma2.expand(z.shape[0])

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.decode(z)


class WithEncoder(Decoder):
    @torch.jit.export
    def encode(self, x: torch.Tensor):
        flat = x.reshape(x.shape[0], 784)
        mean = flat @ self.weight.t() / 784.0
        return mean, torch.zeros_like(mean) - 2.0


class Hangs(Decoder):
    @torch.jit.export
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        # Never true: the loop runs until the process is stopped.
        while bool(z.abs().sum() > -1.0):
            z = z + 0.0
        return torch.sigmoid(z @ self.weight).reshape(z.shape[0], 28, 28)


class NanAwayFromZero(Decoder):
    @torch.jit.export
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        mean = torch.sigmoid(z @ self.weight)
        far = z.abs().sum(dim=1, keepdim=True) > 0.5
        return torch.where(far, mean * float("nan"), mean).reshape(z.shape[0], 28, 28)


def write_nifti(path, bad_value):
    """A NIfTI-1 single file (.nii): 348-byte header, 4 bytes of extension flags, float32 data."""
    nx, ny, nz = 16, 16, 8
    values = []
    for k in range(nz):
        for j in range(ny):
            for i in range(nx):
                values.append(math.exp(-((i - 8) ** 2 + (j - 8) ** 2 + 4 * (k - 4) ** 2) / 30.0))
    values[nx * ny * 4 + nx * 8 + 8] = bad_value
    header = bytearray(348)
    struct.pack_into("<i", header, 0, 348)
    struct.pack_into("<8h", header, 40, 3, nx, ny, nz, 1, 1, 1, 1)
    struct.pack_into("<hh", header, 70, 16, 32)  # datatype FLOAT32, bitpix
    struct.pack_into("<8f", header, 76, 1, 1, 1, 1, 1, 1, 1, 1)  # qfac, pixdim (mm)
    struct.pack_into("<f", header, 108, 352.0)  # vox_offset
    struct.pack_into("<f", header, 112, 1.0)  # scl_slope
    header[344:348] = b"n+1\0"
    with open(path, "wb") as f:
        f.write(bytes(header) + b"\0\0\0\0" + struct.pack(f"<{len(values)}f", *values))


def main():
    out = sys.argv[1]
    torch.jit.save(torch.jit.script(WithEncoder()), os.path.join(out, "good.pt"))
    torch.jit.save(torch.jit.script(Decoder()), os.path.join(out, "no-encoder.pt"))
    torch.jit.save(torch.jit.script(Hangs()), os.path.join(out, "hang.pt"))
    torch.jit.save(torch.jit.script(Decoder(latent_dim=2**40)), os.path.join(out, "huge-latent.pt"))
    torch.jit.save(torch.jit.script(NanAwayFromZero()), os.path.join(out, "nan-away.pt"))
    write_nifti(os.path.join(out, "nan.nii"), float("nan"))
    write_nifti(os.path.join(out, "inf.nii"), float("inf"))


if __name__ == "__main__":
    main()
