#!/usr/bin/python3
"""Writes the seed corpora of the fuzzers (fuzz/corpus/NAME/, docs/fuzzing.md).

Every seed is small (a few hundred bytes to a few KiB) and made here from the formats'
own definitions, the project's test layouts and its shipped studies, so the corpora can
be rebuilt and reviewed: `fuzz/make_corpus.py` (Debian's python3 with h5py and numpy).
The HDF5 harnesses take a layout script, not a file; their seeds are such scripts (see
fuzz/hdf5_layout.hpp) and the empty input, which is the valid baseline file.
"""

import gzip
import pathlib
import shutil
import struct

HERE = pathlib.Path(__file__).resolve().parent
CORPUS = HERE / "corpus"


def seed(reader, name, data):
    directory = CORPUS / reader
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(data if isinstance(data, bytes) else data.encode())


# --- IDX -------------------------------------------------------------------------------

def idx(magic, extents, payload):
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", e) for e in extents) + payload


def idx_seeds():
    pixels = bytes((i * 13) % 256 for i in range(3 * 4 * 5))
    images = idx(0x803, [3, 4, 5], pixels)
    labels = idx(0x801, [3], bytes([0, 9, 4]))
    seed("idx", "three-4x5-with-labels", images + b"#labels#" + labels)
    seed("idx", "three-4x5-gzip", gzip.compress(images, mtime=0))
    seed("idx", "three-4x5-gzip-with-labels", gzip.compress(images, mtime=0) + b"#labels#" +
         gzip.compress(labels, mtime=0))
    seed("idx", "truncated", images[:-7])
    seed("idx", "labels-count-mismatch", images + b"#labels#" + idx(0x801, [4], bytes(4)))
    # The first test image of Fashion-MNIST, as a file of one image.
    fashion = pathlib.Path("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")
    if fashion.exists():
        first = gzip.decompress(fashion.read_bytes())[16:16 + 28 * 28]
        seed("idx", "fashion-mnist-test-0", idx(0x803, [1, 28, 28], first))


# --- NIfTI -----------------------------------------------------------------------------

DT = {"uint8": (2, 8, "B"), "int16": (4, 16, "h"), "float32": (16, 32, "f"), "float64": (64, 64, "d")}


def nifti1(extent, datatype, values, slope=0.0, inter=0.0, sform=False):
    code, bitpix, fmt = DT[datatype]
    header = bytearray(348)
    struct.pack_into("<i", header, 0, 348)
    struct.pack_into("<8h", header, 40, 3, *extent, 1, 1, 1, 1)
    struct.pack_into("<hh", header, 70, code, bitpix)
    struct.pack_into("<8f", header, 76, 1, 1.0, 2.0, 3.0, 1, 1, 1, 1)
    struct.pack_into("<fff", header, 108, 352.0, slope, inter)
    if sform:
        struct.pack_into("<h", header, 254, 4)
        struct.pack_into("<12f", header, 280, -1, 0, 0, 40, 0, 2, 0, -50, 0, 0, 3, -10)
    header[344:348] = b"n+1\0"
    data = struct.pack("<%d%s" % (len(values), fmt), *values)
    return bytes(header) + bytes(4) + data


def nifti2(extent, values):
    header = bytearray(540)
    struct.pack_into("<i", header, 0, 540)
    header[4:12] = b"n+2\0\r\n\x1a\n"
    struct.pack_into("<hh", header, 12, 16, 32)
    struct.pack_into("<8q", header, 16, 3, *extent, 1, 1, 1, 1)
    struct.pack_into("<8d", header, 104, 1, 1.0, 1.0, 1.0, 1, 1, 1, 1)
    struct.pack_into("<q", header, 168, 544)
    return bytes(header) + bytes(4) + struct.pack("<%df" % len(values), *values)


def nifti_seeds():
    extent = (4, 3, 2)
    ramp = [float(i) for i in range(24)]
    seed("nifti", "float32-ramp.nii", nifti1(extent, "float32", ramp))
    seed("nifti", "int16-scaled-sform.nii", nifti1(extent, "int16", range(-12, 12), 0.5, 3.0, sform=True))
    seed("nifti", "uint8.nii", nifti1(extent, "uint8", range(24)))
    seed("nifti", "float64.nii", nifti1(extent, "float64", ramp, 1e30))
    with_nan = list(ramp)
    with_nan[5] = float("nan")
    with_nan[7] = float("inf")
    seed("nifti", "float32-nan-inf.nii", nifti1(extent, "float32", with_nan))
    seed("nifti", "float32-ramp.nii.gz", gzip.compress(nifti1(extent, "float32", ramp), mtime=0))
    seed("nifti", "nifti2-float32.nii", nifti2(extent, ramp))
    seed("nifti", "truncated.nii", nifti1(extent, "float32", ramp)[:-10])


# --- study files and image specifications -----------------------------------------------

def study_seeds():
    for study in sorted((HERE.parent / "studies").glob("*.toml")):
        seed("study_toml", study.name, study.read_text())
    seed("study_toml", "accelerations.toml", """[study]
name = "fourier"
replicates = 2
save_reconstructions = 1

[data]
training = "mri:ch2better:2:64:train"
test = "mri:ch2better:2:64:test"
training_limit = 100

[truth]
kinds = ["test", "generated_noisy"]
test_indices = [0, 5]
generated_count = 1

[model]
file = "models/mri-vae.pt"

[operator]
name = "fourier"
fourier_mask = "lines"
fourier_center_fraction = 0.08
accelerations = [2, 4]

[noise]
sigmas = [0.1]

[[method]]
name = "empirical"
rank = 8
delta = 0.01

[[method]]
name = "latent_mcmc"
chains = 4
""")


def image_spec_seeds():
    specifications = [
        "fashion-mnist:test:2", "fashion-mnist:train", "fashion-mnist",
        "mri:ch2better:2:8:train", "mri:all:all:8:test:1", "mri:volume.nii:0:6:all:2:seed=3:slab=4:period=2",
        "mri:ch2:1:5:train:augment=2:threshold=0.2:fraction=0.1:guard=1",
        "fastmri:fastmri.h5:8:1", "fastmri:fastmri.h5:4",
        "stack.h5:stack:2", "stack.h5:/stack", "stack.h5:single", "./stack.h5:single",
    ]
    for number, specification in enumerate(specifications):
        seed("image_spec", "spec-%02d" % number, specification)


def layout_seeds():
    # The empty script: the baseline file, unedited.
    for reader in ("hdf5_images", "csr", "fastmri", "results_report", "results_merge", "model_contract"):
        seed(reader, "baseline", b"")


def main():
    shutil.rmtree(CORPUS, ignore_errors=True)
    idx_seeds()
    nifti_seeds()
    study_seeds()
    image_spec_seeds()
    layout_seeds()


if __name__ == "__main__":
    main()
