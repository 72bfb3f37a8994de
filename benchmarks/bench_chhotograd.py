"""How fast is a chhotograd training step, next to PyTorch eager on the CPU?

Run from the repository root::

    python benchmarks/bench_chhotograd.py            # well under a minute
    python benchmarks/bench_chhotograd.py --quick    # a few seconds, fewer repetitions

One training step is: zero the gradients, forward, loss, backward, SGD update. Two models:

- an MLP 64-256-256-10 (ReLU) with cross-entropy on a batch of 128, float32;
- a small CNN: Conv2d(3, 8, 3, padding=1), ReLU, MaxPool2d(2), Flatten, Linear(2048, 10) with
  cross-entropy on a batch of 32 images of 3×32×32, float32.

Each model is timed in chhotograd, in PyTorch eager, and (MLP only) in plain NumPy with the
backward pass written out by hand: the floor that any NumPy autograd could reach. A scalar
engine in the style of micrograd (its own code below, one Python object per number) runs the
same MLP for comparison; it is too slow for a batch of 128 in a benchmark, so it is timed on a
few samples and scaled linearly to 128 (its cost is per sample: no work is shared in a batch).

Fairness: every library uses one thread: PyTorch through ``torch.set_num_threads(1)``, NumPy's
BLAS (the matrix products) through ``threadpoolctl.threadpool_limits(1)``; NumPy's elementwise
operations use one thread anyway. All models start from the same weights and see the same
batch. The steps of the libraries are timed in turns (rounds of a block of steps each), after a
warm-up, and the median over the rounds is reported, so that a slow moment of the machine does
not favour one of them. Python's garbage collector is paused while timing, as ``timeit`` does:
it matters only to the scalar engine, whose millions of objects (each held in a reference
cycle by its own backward closure) it would otherwise scan again and again, about 7 times its
own run time. The ratio is time per step divided by PyTorch's (lower is better).
"""

import argparse
import gc
import math
import os
import platform
import statistics
import time

import numpy as np
import torch
from threadpoolctl import threadpool_limits

import chhotograd as cg

torch.set_num_threads(1)


def paused_gc(fn):
    """``fn`` with Python's garbage collector paused while it runs, as ``timeit`` does."""

    def wrapper(*args, **kwargs):
        gc.collect()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            gc.enable()

    return wrapper


# --------------------------------------------------------------------- the steps being timed
def train_step(model, loss_fn, optimizer, x, y):
    """One step; the same code drives PyTorch and chhotograd, whose APIs match."""
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()


def numpy_mlp_step(params, x, y, lr):
    """The MLP step with NumPy only: the same arithmetic as chhotograd, no graph."""
    w1, b1, w2, b2, w3, b3 = params
    h1 = x @ w1.T
    h1 += b1
    a1 = np.maximum(h1, 0)
    h2 = a1 @ w2.T
    h2 += b2
    a2 = np.maximum(h2, 0)
    logits = a2 @ w3.T
    logits += b3
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    total = e.sum(axis=1, keepdims=True)
    rows = np.arange(len(y))
    _loss = (np.log(total[:, 0]) - shifted[rows, y]).mean()
    g = e / total
    g[rows, y] -= 1
    g *= 1 / len(y)
    grads = [None] * 6
    grads[4], grads[5] = g.T @ a2, g.sum(axis=0)
    g = (g @ w3) * (a2 > 0)
    grads[2], grads[3] = g.T @ a1, g.sum(axis=0)
    g = (g @ w2) * (a1 > 0)
    grads[0], grads[1] = g.T @ x, g.sum(axis=0)
    for p, grad in zip(params, grads, strict=True):
        p -= lr * grad


# --------------------------------------------------------------------- a scalar engine
class Value:
    """One number and its gradient, in the style of micrograd (for comparison only)."""

    __slots__ = ("data", "grad", "_parents", "_backward")

    def __init__(self, data, parents=()):
        self.data, self.grad, self._parents, self._backward = data, 0.0, parents, None

    def __add__(self, other):
        out = Value(self.data + other.data, (self, other))

        def backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = backward
        return out

    def __mul__(self, other):
        out = Value(self.data * other.data, (self, other))

        def backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = backward
        return out

    def relu(self):
        out = Value(max(self.data, 0.0), (self,))

        def backward():
            self.grad += (out.data > 0) * out.grad

        out._backward = backward
        return out

    def exp(self):
        out = Value(math.exp(self.data), (self,))

        def backward():
            self.grad += out.data * out.grad

        out._backward = backward
        return out

    def log(self):
        out = Value(math.log(self.data), (self,))

        def backward():
            self.grad += out.grad / self.data

        out._backward = backward
        return out

    def shift(self, c):
        out = Value(self.data + c, (self,))

        def backward():
            self.grad += out.grad

        out._backward = backward
        return out

    def scale(self, c):
        out = Value(self.data * c, (self,))

        def backward():
            self.grad += c * out.grad

        out._backward = backward
        return out

    def backward(self):
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
            elif node not in seen:
                seen.add(node)
                stack.append((node, True))
                stack.extend((p, False) for p in node._parents)
        self.grad = 1.0
        for node in reversed(order):
            if node._backward is not None:
                node._backward()


def scalar_mlp(weights):
    """Scalar parameters (list of (W rows, b) per layer) made from NumPy arrays."""
    return [
        ([[Value(float(v)) for v in row] for row in w], [Value(float(v)) for v in b])
        for w, b in weights
    ]


def scalar_sample_loss(layers, x, label):
    """Cross-entropy of one sample through the scalar MLP."""
    a = [Value(float(v)) for v in x]
    for k, (w, b) in enumerate(layers):
        out = []
        for row, bias in zip(w, b, strict=True):
            s = bias
            for wi, ai in zip(row, a, strict=True):
                s = s + wi * ai
            out.append(s.relu() if k < len(layers) - 1 else s)
        a = out
    top = max(v.data for v in a)
    exps = [v.shift(-top).exp() for v in a]
    total = exps[0]
    for e in exps[1:]:
        total = total + e
    return total.log() + a[label].shift(-top).scale(-1.0)


@paused_gc
def scalar_step_parts(layers, x, y, lr, samples):
    """Seconds for forward+backward of ``samples`` samples, and for one SGD update."""
    params = [p for w, b in layers for p in [v for row in w for v in row] + b]
    for p in params:
        p.grad = 0.0
    start = time.perf_counter()
    for n in range(samples):
        scalar_sample_loss(layers, x[n], int(y[n])).scale(1 / len(y)).backward()
    per_samples = time.perf_counter() - start
    start = time.perf_counter()
    for p in params:
        p.data -= lr * p.grad
    return per_samples, time.perf_counter() - start


# --------------------------------------------------------------------- timing
@paused_gc
def timed_rounds(steps: dict, rounds: int, block: int, warmup: int) -> dict:
    """Median seconds per call of each function, timing them in turns."""
    for fn in steps.values():
        for _ in range(warmup):
            fn()
    times = {name: [] for name in steps}
    for _ in range(rounds):
        for name, fn in steps.items():
            start = time.perf_counter()
            for _ in range(block):
                fn()
            times[name].append((time.perf_counter() - start) / block)
    return {name: statistics.median(values) for name, values in times.items()}


def mlp_benchmark(rounds, block, scalar_samples):
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((128, 64)).astype(np.float32)
    y_np = rng.integers(0, 10, 128)
    lr = 0.01

    torch.manual_seed(0)
    t_model = torch.nn.Sequential(
        torch.nn.Linear(64, 256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, 256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, 10),
    )
    state = {k: v.detach().numpy().copy() for k, v in t_model.state_dict().items()}
    c_model = cg.nn.Sequential(
        cg.nn.Linear(64, 256),
        cg.nn.ReLU(),
        cg.nn.Linear(256, 256),
        cg.nn.ReLU(),
        cg.nn.Linear(256, 10),
    )
    c_model.load_state_dict(state)
    np_params = [state[k].copy() for k in state]

    t_args = (
        t_model,
        torch.nn.CrossEntropyLoss(),
        torch.optim.SGD(t_model.parameters(), lr=lr),
        torch.from_numpy(x_np),
        torch.from_numpy(y_np),
    )
    c_args = (
        c_model,
        cg.nn.CrossEntropyLoss(),
        cg.optim.SGD(c_model.parameters(), lr=lr),
        cg.tensor(x_np),
        y_np,
    )
    medians = timed_rounds(
        {
            "PyTorch eager": lambda: train_step(*t_args),
            "chhotograd": lambda: train_step(*c_args),
            "plain NumPy, backward by hand": lambda: numpy_mlp_step(np_params, x_np, y_np, lr),
        },
        rounds,
        block,
        warmup=20,
    )
    weights = [(state[f"{i}.weight"], state[f"{i}.bias"]) for i in (0, 2, 4)]
    layers = scalar_mlp(weights)
    runs = [scalar_step_parts(layers, x_np, y_np, lr, scalar_samples) for _ in range(3)]
    per_sample = statistics.median(r[0] for r in runs) / scalar_samples
    medians["scalar engine (micrograd-style)*"] = per_sample * 128 + statistics.median(
        r[1] for r in runs
    )
    return medians


def cnn_benchmark(rounds, block):
    rng = np.random.default_rng(1)
    x_np = rng.standard_normal((32, 3, 32, 32)).astype(np.float32)
    y_np = rng.integers(0, 10, 32)
    lr = 0.01

    torch.manual_seed(1)
    t_model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(8 * 16 * 16, 10),
    )
    c_model = cg.nn.Sequential(
        cg.nn.Conv2d(3, 8, 3, padding=1),
        cg.nn.ReLU(),
        cg.nn.MaxPool2d(2),
        cg.nn.Flatten(),
        cg.nn.Linear(8 * 16 * 16, 10),
    )
    c_model.load_state_dict({k: v.detach().numpy() for k, v in t_model.state_dict().items()})
    t_args = (
        t_model,
        torch.nn.CrossEntropyLoss(),
        torch.optim.SGD(t_model.parameters(), lr=lr),
        torch.from_numpy(x_np),
        torch.from_numpy(y_np),
    )
    c_args = (
        c_model,
        cg.nn.CrossEntropyLoss(),
        cg.optim.SGD(c_model.parameters(), lr=lr),
        cg.tensor(x_np),
        y_np,
    )
    return timed_rounds(
        {
            "PyTorch eager": lambda: train_step(*t_args),
            "chhotograd": lambda: train_step(*c_args),
        },
        rounds,
        block,
        warmup=5,
    )


def print_table(title, medians, rounds, block):
    reference = medians["PyTorch eager"]
    print(f"{title} (median of {rounds} rounds of {block} steps)")
    print(f"  {'':36s}{'ms/step':>14s}{'ratio to PyTorch':>20s}")
    for name, seconds in medians.items():
        print(f"  {name:36s}{seconds * 1e3:14,.3f}{seconds / reference:20,.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, for a smoke test")
    args = parser.parse_args()
    rounds, block, samples = (5, 5, 1) if args.quick else (31, 40, 2)

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
    except (OSError, StopIteration):
        pass
    print(
        f"CPU: {cpu}, {os.cpu_count()} logical cores; one thread used. Python "
        f"{platform.python_version()}, NumPy {np.__version__}, PyTorch {torch.__version__}, "
        f"chhotograd {cg.__version__}."
    )
    cnn_block = max(block // 4, 2)
    with threadpool_limits(limits=1):
        mlp = mlp_benchmark(rounds, block, samples)
        cnn = cnn_benchmark(rounds, cnn_block)
    print()
    print_table("MLP 64-256-256-10, batch 128, float32, cross-entropy, SGD", mlp, rounds, block)
    print(f"  * timed on {samples} sample(s), scaled to 128 (about 170,000 Values per sample)")
    print()
    print_table(
        "CNN 3x32x32: Conv2d(3, 8, 3, padding=1), ReLU, MaxPool2d(2), Linear(2048, 10), batch 32",
        cnn,
        rounds,
        cnn_block,
    )


if __name__ == "__main__":
    main()
