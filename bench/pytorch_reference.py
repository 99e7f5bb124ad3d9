#!/usr/bin/env python3
"""The per-replicate cost of the methods of DESIGN §2, written as a researcher would in an
afternoon with PyTorch and NumPy/SciPy: the reference side of the ratios in
docs/performance.md. It solves the problem bench_methods solves (read from the file that
bench_methods writes when PRIORBENCH_BENCH_PROBLEM is set; bench/compare_with_pytorch.sh
runs both in one go).

    pytorch_reference.py PROBLEM.h5 [--repeats N] [--json OUT.json]

The idiomatic implementation, one thread each (torch.set_num_threads(1),
OPENBLAS_NUM_THREADS=1):
  white, empirical   the data-space form with scipy.linalg.cho_factor on the d×d system
                     K = A C0 Aᵀ + σ² I, the mean and the exact pixel std (C0 of empirical,
                     the full-rank sample covariance + δ² I, formed once, not per replicate);
  latent_map         torch.optim.LBFGS with the strong Wolfe line search from z = 0 (one
                     start; priorbench runs four), objective ½‖y − A μ(z)‖²/σ² + ½‖z‖²;
  laplace            the latent MAP, J = torch.autograd.functional.jacobian (vectorized),
                     the prior N(μ(z0) − J z0, J Jᵀ + Γ(z0)) and its Gaussian posterior as above;
  latent_laplace     the latent MAP, Σ_z = (MᵀM/σ² + I)⁻¹ with M = A J, pixel variance diag(J Σ_z Jᵀ);
  decoder            one decode (batch 1), decode + gradient (one backward), the Jacobian.
Times are the median over repeats, in milliseconds, after one warm-up.
"""
import argparse
import gzip
import json
import os
import statistics
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import scipy.linalg  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)


def read_idx_images(path, limit):
    with gzip.open(path, "rb") as f:
        data = f.read()
    count, rows, cols = (int.from_bytes(data[4 * i:4 * i + 4], "big") for i in (1, 2, 3))
    pixels = np.frombuffer(data, dtype=np.uint8, offset=16).reshape(count, rows * cols)
    return pixels[:limit].astype(np.float64) / 255.0


def timed(function, repeats):
    function()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(1e3 * (time.perf_counter() - start))
    return statistics.median(times)


class Problem:
    def __init__(self, path):
        with h5py.File(path, "r") as f:
            self.observed = f["observed"][()].astype(np.int64)
            self.n = int(f.attrs["pixels"])
            self.sigmas = [float(s) for s in f["sigmas"][()]]
            self.data = {s: f[f"y/{i}"][()] for i, s in enumerate(self.sigmas)}
            self.model_path = f.attrs["model"].decode() if isinstance(f.attrs["model"], bytes) else f.attrs["model"]
            self.training_path = f.attrs["training_images"]
            if isinstance(self.training_path, bytes):
                self.training_path = self.training_path.decode()
            self.training_count = int(f.attrs["training_count"])
            self.delta = float(f.attrs["empirical_delta"])
        self.d = len(self.observed)
        self.model = torch.jit.load(self.model_path).double().eval()
        self.index = torch.as_tensor(self.observed)
        training = read_idx_images(self.training_path, self.training_count)
        self.tau2 = float(np.mean(training**2))
        self.training_mean = training.mean(axis=0)
        centered = training - self.training_mean
        self.c0 = centered.T @ centered / (len(training) - 1) + self.delta**2 * np.eye(self.n)  # once per study

    def decode(self, z):
        return self.model.decode(z.reshape(1, -1)).reshape(-1)

    # ---- Gaussian posteriors by the data-space Cholesky ------------------------------
    def gaussian_posterior(self, mean0, c0_rows, c0_diag, y, sigma):
        """mean0 + C0 Aᵀ K⁻¹ (y − A mean0) and sqrt diag(C0 − C0 Aᵀ K⁻¹ A C0); c0_rows = A C0 (d×n)."""
        k = c0_rows[:, self.observed] + sigma**2 * np.eye(self.d)
        factor = scipy.linalg.cho_factor(k, lower=True)
        u = scipy.linalg.cho_solve(factor, y - mean0[self.observed])
        mean = mean0 + c0_rows.T @ u
        g = scipy.linalg.solve_triangular(factor[0], c0_rows, lower=True)
        return mean, np.sqrt(np.maximum(c0_diag - np.einsum("ij,ij->j", g, g), 0.0))

    def white(self, y, sigma):
        c0_rows = np.zeros((self.d, self.n))
        c0_rows[np.arange(self.d), self.observed] = self.tau2
        return self.gaussian_posterior(np.zeros(self.n), c0_rows, np.full(self.n, self.tau2), y, sigma)

    def empirical(self, y, sigma):
        return self.gaussian_posterior(self.training_mean, self.c0[self.observed], np.diag(self.c0), y, sigma)

    # ---- latent methods ---------------------------------------------------------------
    def latent_map(self, y, sigma):
        target = torch.as_tensor(y)
        z = torch.zeros(self.model.latent_dim, requires_grad=True)
        optimizer = torch.optim.LBFGS([z], line_search_fn="strong_wolfe", max_iter=1000, tolerance_grad=1e-8,
                                      tolerance_change=1e-12, history_size=10)

        def closure():
            optimizer.zero_grad()
            residual = target - self.decode(z)[self.index]
            loss = 0.5 * residual.dot(residual) / sigma**2 + 0.5 * z.dot(z)
            loss.backward()
            return loss

        optimizer.step(closure)
        return z.detach()

    def jacobian(self, z):
        return torch.autograd.functional.jacobian(self.decode, z, vectorize=True).numpy()

    def laplace(self, y, sigma):
        z0 = self.latent_map(y, sigma)
        j = self.jacobian(z0)
        mean0 = self.decode(z0).detach().numpy() - j @ z0.numpy()
        gamma = torch.exp(self.model.decoder_log_variance(z0.reshape(1, -1))).detach().numpy().reshape(-1)
        gamma = np.broadcast_to(gamma, (self.n,))
        ja = j[self.observed]
        c0_rows = ja @ j.T
        c0_rows[np.arange(self.d), self.observed] += gamma[self.observed]
        c0_diag = np.einsum("ij,ij->i", j, j) + gamma
        return self.gaussian_posterior(mean0, c0_rows, c0_diag, y, sigma)

    def latent_laplace(self, y, sigma):
        z = self.latent_map(y, sigma)
        j = self.jacobian(z)
        m = j[self.observed]
        precision = m.T @ m / sigma**2 + np.eye(j.shape[1])
        covariance = scipy.linalg.cho_solve(scipy.linalg.cho_factor(precision), np.eye(j.shape[1]))
        return self.decode(z).detach().numpy(), np.sqrt(np.einsum("ij,jk,ik->i", j, covariance, j))

    # ---- the decoder ------------------------------------------------------------------
    def decode_and_gradient(self, z, cotangent):
        z = z.clone().requires_grad_(True)
        image = self.decode(z)
        (gradient,) = torch.autograd.grad(image, z, cotangent)
        return gradient


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("problem")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json")
    args = parser.parse_args()
    p = Problem(args.problem)
    results = {}
    for sigma in p.sigmas:
        y = p.data[sigma]
        for name in ("white", "empirical", "latent_map", "laplace", "latent_laplace"):
            method = getattr(p, name)
            results[f"method/{name}/sigma:{sigma:g}"] = timed(lambda: method(y, sigma), args.repeats)
            print(f"pytorch_reference: {name} sigma={sigma:g}: {results[f'method/{name}/sigma:{sigma:g}']:.3f} ms",
                  file=sys.stderr)
    z = torch.zeros(p.model.latent_dim)
    cotangent = torch.ones(p.n)
    with torch.no_grad():
        results["decode/batch:1"] = timed(lambda: p.decode(z), 20 * args.repeats)
    results["decode_and_vjp/batch:1"] = timed(lambda: p.decode_and_gradient(z, cotangent), 20 * args.repeats)
    results["jacobian"] = timed(lambda: p.jacobian(z), 20 * args.repeats)
    text = json.dumps(results, indent=1, sort_keys=True)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text)
    print(text)


if __name__ == "__main__":
    main()
