"""numpy reference for `deno task bench:plan`: the design-default planning step on one thread.

Random shooting, 1,000 sequences x horizon 10, a ReLU [256, 256] MLP on normalised
(state, action) inputs with a Gaussian head (mean and PETS-bounded log-std of the state delta
and reward), one sample per row, CartPole-v1's termination rule and reward 1 per alive step;
float32 throughout. The weights are random (the cost does not depend on them).

Usage: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python3 lib/bench/numpy_plan_ref.py [steps]
Prints one JSON line: {"msPerStep": [...per round...], "matmulGflops": the BLAS rate on the
step's main product ([1000, 256] x [256, 256] + bias, relu; the fastest of 20), "numpy":
version, "threads", "coretype"}.
"""

import json
import os
import sys
import time

import numpy as np


def softplus(x):
    return np.logaddexp(x, 0.0)


def matmul_gflops(rng):
    """The fastest of 20 timings of the step's main product, as the bench times its own."""
    f = np.float32
    x = rng.standard_normal((1000, 256)).astype(f)
    w = rng.standard_normal((256, 256)).astype(f)
    b = np.zeros(256, f)
    best = float("inf")
    for _ in range(23):
        start = time.perf_counter()
        h = x @ w + b
        np.maximum(h, 0, out=h)
        best = min(best, time.perf_counter() - start)
    return 2 * 1000 * 256 * 256 / best / 1e9


def main():
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    rng = np.random.default_rng(0)
    f = np.float32
    n, horizon, d = 1000, 10, 4
    t = d + 1
    sizes = [d + 1, 256, 256, 2 * t]
    weights = [
        (rng.standard_normal((a, b)).astype(f) * f(np.sqrt(2.0 / a)), np.zeros(b, f))
        for a, b in zip(sizes[:-1], sizes[1:])
    ]
    in_mean, in_std = np.zeros(d + 1, f), np.ones(d + 1, f)
    out_mean, out_std = np.zeros(t, f), np.full(t, f(0.01))
    max_ls, min_ls = np.full(t, f(0.25)), np.full(t, f(-5.0))

    def plan(state):
        u = rng.uniform(-1.0, 1.0, (n, horizon)).astype(f)
        actions = (u > 0).astype(f)
        s = np.repeat(state[None, :], n, axis=0)
        alive = np.ones(n, bool)
        total = np.zeros(n, f)
        for k in range(horizon):
            x = (np.concatenate([s, actions[:, k : k + 1]], axis=1) - in_mean) / in_std
            h = x
            for i, (w, b) in enumerate(weights):
                h = h @ w + b
                if i < len(weights) - 1:
                    np.maximum(h, 0, out=h)
            mu, raw = h[:, :t], h[:, t:]
            upper = max_ls - softplus(max_ls - raw)
            log_std = min_ls + softplus(upper - min_ls)
            sample = mu + np.exp(log_std) * rng.standard_normal(mu.shape, dtype=f)
            delta = sample * out_std + out_mean
            s = s + delta[:, :d]
            total += alive.astype(f)
            done = (np.abs(s[:, 0]) > 2.4) | (np.abs(s[:, 2]) > 0.2095)
            alive &= ~done
        return int(np.argmax(total))

    state = np.array([0.01, 0.0, 0.02, 0.0], f)
    for _ in range(3):
        plan(state)
    per_round = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(steps):
            plan(state)
        per_round.append((time.perf_counter() - start) * 1000 / steps)
    print(
        json.dumps(
            {
                "msPerStep": per_round,
                "matmulGflops": matmul_gflops(rng),
                "numpy": np.__version__,
                "threads": os.environ.get("OPENBLAS_NUM_THREADS"),
                "coretype": os.environ.get("OPENBLAS_CORETYPE"),
            }
        )
    )


if __name__ == "__main__":
    main()
