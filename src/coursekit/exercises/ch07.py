"""Checks for chapter 7: the PyTorch training loop.

Every expected value is computed here by another route than the student's loop: the closed-form
least-squares line (NumPy) for exercise 1, a single full-batch pass with NumPy's sort for
exercise 2, the tensors the checker itself wrote for exercise 3, and for exercise 4 the gradient
of the whole global batch in this one process (the answer runs in two processes of its own).
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from .. import ddp
from ..checks import (
    as_numpy,
    call_answer,
    check_callable,
    compare,
    fail,
    message,
    passed,
    read_answer,
    unanswered,
)
from ..lang import Messages

# Messages this chapter needs beyond those of coursekit.checks.
_MESSAGES = {
    "en": {
        "pair": "expected two numbers (slope, intercept), got {got}.",
        "line": "the line is not close enough to the least-squares line: {detail}",
        "train_mode": (
            "the model was in training mode while you evaluated it, so dropout changed the "
            "outputs: call model.eval() first."
        ),
        "grad_on": (
            "your function recorded a computational graph while evaluating: put the loop inside "
            "`with torch.no_grad():`."
        ),
        "not_called": "your function never called the model.",
        "ran_code": (
            "loading the file ran Python code hidden in it. A checkpoint from someone else could "
            "do anything this way: load with torch.load(path, weights_only=True)."
        ),
        "accepted_other": (
            "a checkpoint of another architecture (Linear(5, 3) weights into Linear(4, 3)) loaded "
            "without an error; keep load_state_dict strict so that a mismatch is reported."
        ),
        "returned": "return the model with the loaded weights, got {got}.",
        "weights": "the loaded {param}: {detail}",
        "processes": "{n} processes",
        "ranks_differ": (
            "after your function the {n} processes hold different gradients ({param} differs by "
            "up to {gap:.3g}): all-reduce every parameter's .grad with dist.all_reduce, so that "
            "every process gets the same sum."
        ),
        "not_divided": (
            "the gradients are {n} times the average over the global batch: dist.all_reduce adds "
            "up the {n} processes' gradients, so divide each .grad by dist.get_world_size() too."
        ),
        "gradient": "the averaged gradient of {param}: {detail}",
        "timeout": (
            "the {n} processes did not finish within {s:g} s: does every process call "
            "dist.all_reduce for the same parameters, in the same order?"
        ),
        "mismatch": (
            "a process stopped waiting for the other ({error}): does every process call "
            "dist.all_reduce for the same parameters, in the same order?"
        ),
    },
    "bn": {
        "pair": "দুটি সংখ্যা (ঢাল, ইন্টারসেপ্ট) হওয়ার কথা, পাওয়া গেছে {got}।",
        "line": "রেখাটি লিস্ট-স্কয়ার্স রেখার যথেষ্ট কাছে নয়: {detail}",
        "train_mode": (
            "মূল্যায়নের সময় মডেল ট্রেনিং মোডে ছিল, তাই ড্রপআউট আউটপুট বদলে দিয়েছে: আগে model.eval() ডাকুন।"
        ),
        "grad_on": (
            "মূল্যায়নের সময় আপনার ফাংশন কম্পিউটেশনাল গ্রাফ রেকর্ড করেছে: লুপটি "
            "`with torch.no_grad():`-এর ভেতরে রাখুন।"
        ),
        "not_called": "আপনার ফাংশন মডেলটিকে একবারও ডাকেনি।",
        "ran_code": (
            "ফাইলটি লোড করতে গিয়ে তার ভেতরে লুকানো Python কোড চলে গেছে। অন্যের দেওয়া "
            "চেকপয়েন্ট এভাবে যা খুশি করতে পারে: torch.load(path, weights_only=True) দিয়ে লোড করুন।"
        ),
        "accepted_other": (
            "অন্য আর্কিটেকচারের একটি চেকপয়েন্ট (Linear(5, 3)-এর ওয়েট Linear(4, 3)-এ) কোনো "
            "error ছাড়াই লোড হয়ে গেছে; load_state_dict-কে strict রাখুন, যাতে অমিল ধরা পড়ে।"
        ),
        "returned": "লোড করা ওয়েটসহ মডেলটি ফেরত দিন, পাওয়া গেছে {got}।",
        "weights": "লোড করা {param}: {detail}",
        "processes": "{n}টি প্রসেস",
        "ranks_differ": (
            "আপনার ফাংশনের পরে {n}টি প্রসেসের গ্রেডিয়েন্ট আলাদা ({param}-এ পার্থক্য {gap:.3g} পর্যন্ত): "
            "প্রতিটি প্যারামিটারের .grad dist.all_reduce দিয়ে অল-রিডিউস করুন, যাতে প্রতিটি প্রসেস একই "
            "যোগফল পায়।"
        ),
        "not_divided": (
            "গ্রেডিয়েন্টগুলো গ্লোবাল ব্যাচের গড়ের {n} গুণ: dist.all_reduce {n}টি প্রসেসের গ্রেডিয়েন্ট "
            "যোগ করে, তাই প্রতিটি .grad-কে dist.get_world_size() দিয়ে ভাগও করুন।"
        ),
        "gradient": "{param}-এর গড় গ্রেডিয়েন্ট: {detail}",
        "timeout": (
            "{n}টি প্রসেস {s:g} s-এর মধ্যে শেষ হয়নি: প্রতিটি প্রসেস কি একই প্যারামিটারগুলোর জন্য, "
            "একই ক্রমে dist.all_reduce ডাকছে?"
        ),
        "mismatch": (
            "একটি প্রসেস অন্যটির অপেক্ষা ছেড়ে দিয়েছে ({error}): প্রতিটি প্রসেস কি একই "
            "প্যারামিটারগুলোর জন্য, একই ক্রমে dist.all_reduce ডাকছে?"
        ),
    },
}


_text = Messages(_MESSAGES)


# Exercise 1: fit a line with a DataLoader ---------------------------------------------------


def _line_cases():
    """(description, x, y) with known lines; x and y are 1-D float32 tensors."""
    rng = np.random.default_rng(7)
    cases = []
    for n, slope, intercept, x_mean, noise in [
        (200, -2.0, 0.5, 0.0, 0.3),
        (150, 0.7, 4.0, 1.0, 0.5),
        (256, 3.0, 0.0, 0.0, 1.0),
    ]:
        x = rng.normal(x_mean, 1.0, size=n)
        y = slope * x + intercept + noise * rng.normal(size=n)
        cases.append(
            (
                f"y = {slope}·x + {intercept} + ε, N = {n}",
                torch.tensor(x, dtype=torch.float32),
                torch.tensor(y, dtype=torch.float32),
            )
        )
    return cases


def least_squares_line(x, y) -> np.ndarray:
    """(slope, intercept) of the least-squares line through the points (x[i], y[i])."""
    x64 = np.asarray(as_numpy(x, float64=True), dtype=np.float64)
    y64 = np.asarray(as_numpy(y, float64=True), dtype=np.float64)
    design = np.stack([x64, np.ones_like(x64)], axis=1)
    return np.linalg.lstsq(design, y64, rcond=None)[0]


def check_fit_line(fn, lang: str = "en", tolerance: float = 0.1) -> None:
    """Exercise 1: fn(x, y) -> (slope, intercept), within ``tolerance`` of least squares."""
    name = "fit_line"
    for case, x, y in _line_cases():
        expected = least_squares_line(x, y)
        got = call_answer(fn, (x.clone(), y.clone()), name=name, lang=lang, case=case)
        # Two numbers in any layout: a pair, a tensor of shape (2,) or (2, 1), two 1-element ones.
        pair, problem = read_answer(got, lang=lang)
        if problem == message(lang, "wrong_type", got=type(got).__name__) or (
            problem is None and pair.size != 2
        ):
            problem = _text(lang, "pair", got=type(got).__name__)
        if problem is not None:
            fail(lang, name, problem, case=case)
        problem = compare(pair.reshape(2), expected, lang=lang, rtol=0.0, atol=tolerance)
        if problem is not None:
            fail(lang, name, _text(lang, "line", detail=problem), case=case)
    passed(lang, name)


# Exercise 2: top-k accuracy, evaluated properly ------------------------------------------------


class _Probe(nn.Module):
    """Wraps a network and records, at every call, whether it was in training mode and whether
    autograd was recording."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net
        self.calls: list[tuple[bool, bool]] = []

    def forward(self, x):
        self.calls.append((self.training, torch.is_grad_enabled()))
        return self.net(x)


def _probe_model(seed: int = 0) -> _Probe:
    gen = torch.Generator().manual_seed(seed)
    net = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 6))
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.5)
    probe = _Probe(net)
    probe.train()  # as a model is left after training
    return probe


def _probe_data(n: int = 103, seed: int = 1):
    gen = torch.Generator().manual_seed(seed)
    inputs = torch.randn(n, 8, generator=gen)
    targets = torch.randint(0, 6, (n,), generator=gen)
    return inputs, targets


def topk_expected(model: nn.Module, inputs, targets, k: int) -> float:
    """Fraction of rows whose target is among the k largest outputs (ties broken by NumPy)."""
    model.eval()
    with torch.no_grad():
        scores = model(inputs).double().numpy()
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return float(np.mean(np.any(top == targets.numpy()[:, None], axis=1)))


def check_topk_accuracy(fn, lang: str = "en") -> None:
    """Exercise 2: fn(model, loader, k) -> fraction of samples whose label is in the top k."""
    name = "topk_accuracy"
    inputs, targets = _probe_data()
    # 103 samples in batches of 10: the last batch holds 3, so averaging per-batch accuracies
    # (instead of counting samples) gives a different number.
    for k in (1, 2, 6):
        case = f"k={k}"
        expected = topk_expected(_probe_model(), inputs, targets, k)
        model = _probe_model()
        loader = DataLoader(TensorDataset(inputs, targets), batch_size=10, shuffle=False)
        got = call_answer(fn, (model, loader, k), name=name, lang=lang, case=case)
        if not model.calls:
            fail(lang, name, _text(lang, "not_called"), case=case)
        if any(training for training, _ in model.calls):
            fail(lang, name, _text(lang, "train_mode"), case=case)
        if any(grad for _, grad in model.calls):
            fail(lang, name, _text(lang, "grad_on"), case=case)
        problem = compare(got, expected, lang=lang, rtol=0.0, atol=1e-6)
        if problem is not None:
            fail(lang, name, problem, case=case)
    passed(lang, name)


# Exercise 3: load a checkpoint safely ---------------------------------------------------------

_TRIPPED: list[str] = []


def _tripwire(note: str) -> str:
    """Called only if a checkpoint is unpickled with code execution allowed (harmless here)."""
    _TRIPPED.append(note)
    return note


class _HiddenCode:
    """Pickles as a call to _tripwire: what a malicious checkpoint does with a worse function."""

    def __reduce__(self):
        return (_tripwire, ("this could have been any code",))


def _reference_linear(seed: int, n_in: int = 4) -> nn.Linear:
    torch.manual_seed(seed)
    return nn.Linear(n_in, 3)


def check_load_weights(fn, lang: str = "en") -> None:
    """Exercise 3: fn(model, path) loads the state_dict at ``path`` into ``model``, refuses
    files that hide code, refuses weights of another architecture, and returns ``model``."""
    name = "load_weights"
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)

        # 1) A good checkpoint must load, and the model must come back with its weights.
        saved = _reference_linear(11)
        good = folder / "good.pt"
        torch.save(saved.state_dict(), good)
        target = _reference_linear(12)
        case = good.name
        got = call_answer(fn, (target, str(good)), name=name, lang=lang, case=case)
        if not isinstance(got, nn.Module):
            fail(lang, name, _text(lang, "returned", got=type(got).__name__), case=case)
        for param in ("weight", "bias"):
            if not hasattr(got, param):  # a module, but not the model it was given
                fail(lang, name, _text(lang, "returned", got=type(got).__name__), case=case)
            problem = compare(
                getattr(got, param),
                as_numpy(getattr(saved, param), float64=True),
                lang=lang,
                rtol=0.0,
                atol=0.0,
            )
            if problem is not None:
                fail(lang, name, _text(lang, "weights", param=param, detail=problem), case=case)

        # 2) A file whose pickle calls a function must be refused (any exception is a refusal).
        hidden = folder / "hidden.pt"
        torch.save({**saved.state_dict(), "note": _HiddenCode()}, hidden)
        _TRIPPED.clear()
        try:
            fn(_reference_linear(13), str(hidden))
        except Exception:  # refusing is right; which error does not matter
            pass
        if _TRIPPED:
            _TRIPPED.clear()
            fail(lang, name, _text(lang, "ran_code"), case=hidden.name)

        # 3) Weights of another architecture must not load silently.
        other = folder / "other.pt"
        torch.save(_reference_linear(14, n_in=5).state_dict(), other)
        try:
            fn(_reference_linear(15), str(other))
        except Exception:
            pass
        else:
            fail(lang, name, _text(lang, "accepted_other"), case=other.name)
    passed(lang, name)


# Exercise 4: average the gradients over the processes by hand ---------------------------------


def _gradient_model(seed: int = 0) -> nn.Module:
    """A small float64 classifier: 6 inputs, 8 tanh units, 4 classes."""
    gen = torch.Generator().manual_seed(seed)
    net = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 4)).double()
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64))
    return net


def _gradient_data(n: int = 16, seed: int = 1):
    gen = torch.Generator().manual_seed(seed)
    inputs = torch.randn(n, 6, generator=gen, dtype=torch.float64)
    targets = torch.randint(0, 4, (n,), generator=gen)
    return inputs, targets


def average_gradients_worker(rank, world_size, answer, model, inputs, targets):
    """Runs in each of the check's processes: the gradient of the mean loss over this process's
    share of the global batch (every world_size-th row from ``rank``, as DistributedSampler
    takes them), then the answer on the model; returns the gradients the answer left."""
    model = copy.deepcopy(model)  # the processes received the parameters in shared memory
    outputs = model(inputs[rank::world_size])
    nn.functional.cross_entropy(outputs, targets[rank::world_size]).backward()
    answer(model)
    nan = float("nan")  # a gradient the answer removed counts as not a number
    return {
        name: p.grad.detach().clone() if p.grad is not None else torch.full_like(p, nan)
        for name, p in model.named_parameters()
    }


def global_batch_gradients(model, inputs, targets) -> dict:
    """The gradient of the mean loss over the whole global batch, in this one process."""
    model = copy.deepcopy(model)
    nn.functional.cross_entropy(model(inputs), targets).backward()
    return {name: p.grad.detach().clone() for name, p in model.named_parameters()}


def check_average_gradients(
    fn, lang: str = "en", processes: int = 2, timeout_s: float = 60.0
) -> None:
    """Exercise 4: fn(model) all-reduces every parameter's ``.grad`` over the processes and divides
    by their number, so that every process holds the gradient of the whole global batch.

    The answer runs in ``processes`` gloo processes on the CPU (``coursekit.ddp.launch``), each
    with the gradient of its own share of a global batch; the result is compared between the
    processes and with the gradient of the whole batch computed here in one process."""
    name = "average_gradients"
    case = _text(lang, "processes", n=processes)
    model, (inputs, targets) = _gradient_model(), _gradient_data()
    check_callable(fn, (model,), name=name, lang=lang)
    try:
        results = ddp.launch(
            average_gradients_worker,
            processes,
            args=(ddp.portable(fn), model, inputs, targets),
            timeout_s=timeout_s,
        )
    except ddp.WorkerError as err:
        if err.error_type == "AnswerStub":
            fail(lang, name, unanswered(lang))
        if err.error_type == "RuntimeError" and "gloo" in err.error_message:
            # A collective gave up on a process that left or never came: keep the first sentence.
            error = err.error_message.split("] ", 1)[-1].split(". ")[0]
            fail(lang, name, _text(lang, "mismatch", error=error), case=case)
        error = f"{err.error_type}: {err.error_message}" if err.error_type else str(err)
        fail(lang, name, message(lang, "raised", error=error), case=case)
    except TimeoutError:
        fail(lang, name, _text(lang, "timeout", n=processes, s=timeout_s), case=case)
    expected = global_batch_gradients(model, inputs, targets)
    for param, want in expected.items():
        scale = want.abs().max().item()
        gap = max((result[param] - results[0][param]).abs().max().item() for result in results)
        if gap > 1e-9 * scale:
            detail = _text(lang, "ranks_differ", n=processes, param=param, gap=gap)
            fail(lang, name, detail, case=case)
    got = results[0]
    if all(torch.allclose(got[p], processes * want, rtol=1e-9) for p, want in expected.items()):
        fail(lang, name, _text(lang, "not_divided", n=processes), case=case)
    for param, want in expected.items():
        problem = compare(got[param], as_numpy(want), lang=lang, rtol=1e-9, atol=1e-12)
        if problem is not None:
            fail(lang, name, _text(lang, "gradient", param=param, detail=problem), case=case)
    passed(lang, name)
