#!/usr/bin/env python3
"""Renders the figures of a trained model from the report of `priorbench train --report`.

    render_model_figures.py REPORT.h5 PREFIX

writes PREFIX-samples.png (an 8x8 grid of decoder means mu(z), z ~ N(0, I)) and
PREFIX-reconstructions.png (rows of test images, each followed by a row of their
reconstructions mu(E[z|x])). Grey scale, pixel values in [0, 1] clipped. Images of side
up to 32 (Fashion-MNIST) have each pixel drawn as a 2x2 block and 16 per row; larger ones
(MRI slices, 64 and 128) are drawn at 1x1, 16 per row up to side 64, else 8. Needs only
h5py and numpy: the PNG writer is below (zlib + struct).
"""
import struct
import sys
import zlib

import h5py
import numpy as np


def write_png(path, image):
    """Writes an 8-bit grey-scale PNG of a 2-D array with values in [0, 1]."""
    pixels = np.clip(np.rint(np.asarray(image) * 255.0), 0, 255).astype(np.uint8)
    height, width = pixels.shape
    raw = b"".join(b"\x00" + pixels[row].tobytes() for row in range(height))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    with open(path, "wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) +
                  chunk(b"IEND", b""))


def grid(images, columns, gap=2, scale=2):
    """Tiles a stack of images (count x H x W) row by row, white gaps between them."""
    count, height, width = images.shape
    rows = (count + columns - 1) // columns
    canvas = np.ones((rows * (height + gap) + gap, columns * (width + gap) + gap))
    for index in range(count):
        r, c = divmod(index, columns)
        top, left = gap + r * (height + gap), gap + c * (width + gap)
        canvas[top:top + height, left:left + width] = images[index]
    return np.kron(canvas, np.ones((scale, scale)))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    report, prefix = sys.argv[1], sys.argv[2]
    with h5py.File(report, "r") as f:
        samples = f["sample_means"][()]
        images = f["test_images"][()]
        reconstructions = f["test_reconstructions"][()]
    side = max(images.shape[1:])
    scale = 2 if side <= 32 else 1
    columns = 16 if side <= 64 else 8
    write_png(prefix + "-samples.png", grid(samples[:64], 8, scale=scale))
    interleaved = []
    for start in range(0, len(images), columns):
        interleaved.extend(images[start:start + columns])
        interleaved.extend(reconstructions[start:start + columns])
    write_png(prefix + "-reconstructions.png", grid(np.array(interleaved), columns, scale=scale))
    print("wrote %s-samples.png and %s-reconstructions.png" % (prefix, prefix))


if __name__ == "__main__":
    main()
