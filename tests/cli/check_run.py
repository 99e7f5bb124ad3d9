"""Helpers of tests/cli/run.sh, reading study results files with h5py.

  same A.h5 B.h5            every metric but the timings is identical, all tasks done
  count-done FILE           prints how many tasks are done
  count-tasks FILE          prints the number of tasks
  wait-done FILE N SECONDS  waits until at least N tasks are done, prints the count
"""

import sys
import time

import h5py
import numpy as np

TIMINGS = {"seconds", "ess_per_second"}  # wall-clock: may differ between runs (docs/results-format.md)


def count_done(path):
    with h5py.File(path, "r") as f:
        return int(np.sum(f["tasks/done"][()]))


def main():
    command = sys.argv[1]
    if command == "same":
        with h5py.File(sys.argv[2], "r") as a, h5py.File(sys.argv[3], "r") as b:
            assert np.all(a["tasks/done"][()] == 1) and np.all(b["tasks/done"][()] == 1), "tasks left undone"
            for name in a["metrics"]:
                if name in TIMINGS:
                    continue
                x, y = a["metrics"][name][()], b["metrics"][name][()]
                assert np.array_equal(x, y, equal_nan=True), f"metric {name} differs"
            for name in ("truth_kind", "data_size", "sigma", "truth_norm"):
                assert np.array_equal(a["tasks"][name][()], b["tasks"][name][()], equal_nan=True), name
            for name in ("truth", "backprojection", "zero_filled", "sampling", "mean", "std"):
                x, y = a["reconstructions"][name][()], b["reconstructions"][name][()]
                assert np.array_equal(x, y, equal_nan=True), f"reconstruction {name} differs"
            assert not np.any(np.isnan(a["metrics/relative_error"][()])), "missing metrics"
        print(f"check_run: {sys.argv[2]} and {sys.argv[3]} agree")
    elif command == "count-done":
        print(count_done(sys.argv[2]))
    elif command == "count-tasks":
        with h5py.File(sys.argv[2], "r") as f:
            print(len(f["tasks/done"]))
    elif command == "wait-done":
        path, wanted, limit = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
        start = time.time()
        while time.time() - start < limit:
            try:
                done = count_done(path)
                if done >= wanted:
                    print(done)
                    return
            except (OSError, KeyError):
                pass  # not created yet
            time.sleep(0.05)
        raise SystemExit(f"check_run: fewer than {wanted} tasks done after {limit} s")
    else:
        raise SystemExit(f"check_run: unknown command {command}")


if __name__ == "__main__":
    main()
