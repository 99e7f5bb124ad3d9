"""Helpers of tests/cli/integrity.sh, reading and damaging results files with h5py.

  verify FILE                 recomputes the checksum of every done task from the definition
                              in docs/results-format.md (independently of priorbench) and
                              checks it against /tasks/checksum; prints the number verified
  flip FILE DATASET ELEMENT   flips one bit of element ELEMENT (row-major) of DATASET in place
  attribute FILE NAME         prints a root attribute ("" when absent)
  set-format FILE FORMAT      rewrites the root attribute `format`
"""

import hashlib
import struct
import sys

import h5py
import numpy as np

QUIET_NAN = struct.pack("<Q", 0x7FF8000000000000)
IMAGES = ("truth", "backprojection", "zero_filled", "sampling", "mean", "std")


def reals(values):
    out = b""
    for value in np.asarray(values, dtype=np.float64).ravel():
        out += QUIET_NAN if np.isnan(value) else struct.pack("<d", value)
    return out


def integers(values):
    return b"".join(struct.pack("<q", int(v)) for v in values)


def checksum(f, task, saved):
    t = f["tasks"]
    data = integers([task, t["truth_kind"][task], t["truth_number"][task], t["test_index"][task],
                     t["replicate"][task]])
    data += reals([t["sigma"][task]]) + integers([t["data_size"][task], t["rank"][task]])
    data += reals([t["seconds"][task], t["truth_norm"][task], t["range_distance"][task]])
    for name in sorted(f["metrics"]):
        data += reals(f["metrics"][name][task, :])
    if task in saved:
        row = saved.index(task)
        for name in IMAGES:
            if name in f["reconstructions"]:
                data += reals(f["reconstructions"][name][row])
    value = int.from_bytes(hashlib.sha256(data).digest()[:8], "little")
    return value if value != 0 else 1


def main():
    command = sys.argv[1]
    if command == "verify":
        with h5py.File(sys.argv[2], "r") as f:
            saved = [int(v) for v in f["reconstructions/task"][()]]
            done = f["tasks/done"][()]
            recorded = f["tasks/checksum"][()]
            verified = 0
            for task in np.flatnonzero(done):
                assert checksum(f, int(task), saved) == int(recorded[task]), f"task {task}: checksum differs"
                verified += 1
        print(verified)
    elif command == "flip":
        path, name, element = sys.argv[2], sys.argv[3], int(sys.argv[4])
        with h5py.File(path, "r") as f:
            dataset = f[name]
            offset = dataset.id.get_offset() + element * dataset.dtype.itemsize
        with open(path, "r+b") as out:
            out.seek(offset)
            byte = out.read(1)[0]
            out.seek(offset)
            out.write(bytes([byte ^ 0x10]))
    elif command == "attribute":
        with h5py.File(sys.argv[2], "r") as f:
            value = f.attrs.get(sys.argv[3], b"")
            print(value.decode() if isinstance(value, bytes) else value)
    elif command == "set-format":
        with h5py.File(sys.argv[2], "r+") as f:
            f.attrs["format"] = np.bytes_(sys.argv[3])
    else:
        raise SystemExit(f"check_integrity: unknown command {command}")


if __name__ == "__main__":
    main()
