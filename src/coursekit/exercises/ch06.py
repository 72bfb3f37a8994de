"""Checks for chapter 6: training with chhotograd (confusion matrix, Adam, a PyTorch twin, the
gradient of a convolution's weights).

Every expected value is computed here by another route than the student's: counting with
``np.bincount`` for exercise 1, ``torch.optim.Adam`` itself for exercise 2, a forward pass of
the chapter's CNN written with NumPy alone for exercise 3, and PyTorch's autograd through
``torch.nn.functional.conv2d`` for exercise 4.
"""

from __future__ import annotations

import numpy as np

from ..checks import call_answer, check_function, compare, fail, passed, read_answer, unpack
from ..lang import Messages

# Messages and case descriptions this chapter needs beyond those of coursekit.checks.
_text = Messages(
    {
        "en": {
            "returned": "the returned {part}: {detail}",
            "not_module": "expected a PyTorch model (a torch.nn.Module), got {got}.",
            "model_raised": "on images of shape {shape}, your model raised {error}.",
            "dtype_hint": " Make the model float64 (model.double()): the images are float64.",
            "logits": "the logits: {detail}",
            "digits_cases": ("300 random digits", "50 digits without a 9"),
            "adam_cases": ("p of shape (3,)", "p of shape (2, 3)"),
            "adam_step": "{run}, step t={t}",
            "state": "a state dict of random weights",
            "cnn_inputs": ("40 digits", "8 noise images"),
            "conv_case": "x of shape {x}, grad_out of shape {g}, kernel_size={k}",
            "swapped": (
                " The first two axes look swapped: dL/dW has the shape of W, (O, C, kh, kw), with"
                " O = grad_out.shape[1] and C = x.shape[1]."
            ),
            "one_image": (
                " Your answer is the contribution of the image x[{i}] alone: add up the"
                " contributions of all N images."
            ),
            "mean_images": (
                " Your answer is the mean over the N images: dL/dW is their sum, not their mean."
            ),
        },
        "bn": {
            "returned": "ফেরত দেওয়া {part}: {detail}",
            "not_module": "একটি PyTorch মডেল (torch.nn.Module) হওয়ার কথা, পাওয়া গেছে {got}।",
            "model_raised": "{shape} আকৃতির ছবিতে আপনার মডেল এই error তুলেছে: {error}।",
            "dtype_hint": " মডেলটিকে float64 করুন (model.double()): ছবিগুলো float64।",
            "logits": "লজিট (logit): {detail}",
            "digits_cases": ("৩০০টি এলোমেলো অঙ্ক", "৯ ছাড়া ৫০টি অঙ্ক"),
            "adam_cases": ("(3,) আকৃতির p", "(2, 3) আকৃতির p"),
            "adam_step": "{run}, ধাপ t={t}",
            "state": "এলোমেলো ওয়েটের একটি state dict",
            "cnn_inputs": ("৪০টি অঙ্কের ছবি", "৮টি নয়েজ-ছবি"),
            "conv_case": "x-এর আকৃতি {x}, grad_out-এর আকৃতি {g}, kernel_size={k}",
            "swapped": (
                " প্রথম দুটি অক্ষ অদলবদল হয়ে গেছে মনে হচ্ছে: dL/dW-এর আকৃতি W-এরই আকৃতি,"
                " (O, C, kh, kw), যেখানে O = grad_out.shape[1] আর C = x.shape[1]।"
            ),
            "one_image": " আপনার উত্তর শুধু x[{i}] ছবিটির অবদান: N-টি ছবির সবগুলোর অবদান যোগ করুন।",
            "mean_images": " আপনার উত্তর N-টি ছবির গড়: dL/dW হলো তাদের যোগফল, গড় নয়।",
        },
    }
)


# Exercise 1 ------------------------------------------------------------------------------------


def confusion_counts(labels: np.ndarray, predictions: np.ndarray, num_classes: int) -> np.ndarray:
    """C[i, j] = number of samples with true class i predicted as j, shape (num_classes,)*2."""
    pairs = np.asarray(labels) * num_classes + np.asarray(predictions)
    return np.bincount(pairs, minlength=num_classes**2).reshape(num_classes, num_classes)


def check_confusion_matrix(fn, lang: str = "en") -> None:
    """Exercise 1: fn(labels, predictions, num_classes) -> counts C[true, predicted]."""
    rng = np.random.default_rng(6)
    small_labels = np.array([0, 0, 1, 2, 2, 2])
    small_predictions = np.array([0, 1, 1, 2, 0, 2])
    labels = rng.integers(0, 10, 300)
    # About 80% right, the rest a random digit: a realistic, far from symmetric matrix.
    predictions = np.where(rng.random(300) < 0.8, labels, rng.integers(0, 10, 300))
    no_nines = rng.integers(0, 9, 50)
    random_digits, without_nines = _text(lang, "digits_cases")
    cases = []
    for case, (lab, pred, k) in {
        "labels=[0, 0, 1, 2, 2, 2], predictions=[0, 1, 1, 2, 0, 2], num_classes=3": (
            small_labels,
            small_predictions,
            3,
        ),
        f"{random_digits}, num_classes=10": (labels, predictions, 10),
        f"{without_nines}, num_classes=10": (no_nines, (no_nines + 1) % 9, 10),
    }.items():
        expected = confusion_counts(lab, pred, k)
        cases.append((case, (lab.copy(), pred.copy(), k), expected))
    check_function(fn, cases, name="confusion_matrix", lang=lang, rtol=0.0, atol=1e-9)


# Exercise 2 ------------------------------------------------------------------------------------


def _adam_cases(lang: str):
    """(description, p0, gradients, settings) for the runs the check compares with PyTorch."""
    rng = np.random.default_rng(66)
    small, matrix = _text(lang, "adam_cases")
    return [
        (
            f"{small}, lr=0.01",
            rng.normal(size=3),
            [rng.normal(size=3) for _ in range(5)],
            {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
        ),
        (
            f"{matrix}, lr=0.1, beta1=0.8, beta2=0.99, eps=0.001",
            rng.normal(size=(2, 3)),
            [0.01 * rng.normal(size=(2, 3)) for _ in range(4)],
            {"lr": 0.1, "beta1": 0.8, "beta2": 0.99, "eps": 1e-3},
        ),
    ]


def check_adam_update(fn, lang: str = "en") -> None:
    """Exercise 2: fn(p, grad, m, v, t, lr, beta1, beta2, eps) -> (p, m, v) after one Adam step.

    Runs several steps in a row, feeding the returned m and v back in, and compares p, m and v
    after every step with torch.optim.Adam on the same gradients (float64).
    """
    import torch

    name = "adam_update"
    for case, p0, gradients, s in _adam_cases(lang):
        reference = torch.tensor(p0, dtype=torch.float64, requires_grad=True)
        optimizer = torch.optim.Adam(
            [reference], lr=s["lr"], betas=(s["beta1"], s["beta2"]), eps=s["eps"]
        )
        p, m, v = p0.copy(), np.zeros_like(p0), np.zeros_like(p0)
        for t, g in enumerate(gradients, start=1):
            reference.grad = torch.tensor(g, dtype=torch.float64)
            optimizer.step()
            state = optimizer.state[reference]
            expected = {
                "p": reference.detach().numpy().copy(),
                "m": state["exp_avg"].numpy().copy(),
                "v": state["exp_avg_sq"].numpy().copy(),
            }
            # Copies: an answer may update its arguments in place, as PyTorch does.
            args = (p.copy(), g.copy(), m.copy(), v.copy(), t) + tuple(
                s[k] for k in ("lr", "beta1", "beta2", "eps")
            )
            step = _text(lang, "adam_step", run=case, t=t)
            got = call_answer(fn, args, name=name, lang=lang, case=step)
            got = unpack(got, ("p", "m", "v"), name=name, lang=lang, case=step)
            # m and v first: a wrong average explains a wrong p.
            for part, value in (("m", got[1]), ("v", got[2]), ("p", got[0])):
                problem = compare(value, expected[part], lang=lang, rtol=1e-9, atol=1e-13)
                if problem is not None:
                    detail = _text(lang, "returned", part=part, detail=problem)
                    fail(lang, name, detail, case=step)
            p, m, v = (read_answer(part, lang=lang)[0] for part in got)
    passed(lang, name)


# Exercise 3 ------------------------------------------------------------------------------------


def cnn_state(seed: int = 606) -> dict[str, np.ndarray]:
    """Random float64 weights for the chapter's CNN, under its Sequential's parameter names."""
    rng = np.random.default_rng(seed)
    shapes = {
        "0.weight": (16, 1, 3, 3),
        "0.bias": (16,),
        "3.weight": (32, 16, 3, 3),
        "3.bias": (32,),
        "7.weight": (10, 128),
        "7.bias": (10,),
    }
    fan_in = {"0": 9, "3": 16 * 9, "7": 128}
    return {
        name: rng.uniform(-1, 1, shape) / np.sqrt(fan_in[name.split(".")[0]])
        for name, shape in shapes.items()
    }


def _conv3x3_same(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Cross-correlation with a 3×3 kernel, stride 1, zero padding 1: (N,C,H,W) -> (N,O,H,W)."""
    from numpy.lib.stride_tricks import sliding_window_view

    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    windows = sliding_window_view(padded, (3, 3), axis=(2, 3))  # (N, C, H, W, 3, 3)
    return np.einsum("nchwij,ocij->nohw", windows, weight) + bias[None, :, None, None]


def _max_pool2(x: np.ndarray) -> np.ndarray:
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def cnn_logits(state: dict[str, np.ndarray], images: np.ndarray) -> np.ndarray:
    """The chapter's CNN in NumPy: conv-relu-pool, conv-relu-pool, flatten, linear."""
    a = _max_pool2(np.maximum(_conv3x3_same(images, state["0.weight"], state["0.bias"]), 0))
    a = _max_pool2(np.maximum(_conv3x3_same(a, state["3.weight"], state["3.bias"]), 0))
    return a.reshape(len(a), -1) @ state["7.weight"].T + state["7.bias"]


def check_torch_cnn(fn, lang: str = "en") -> None:
    """Exercise 3: fn(state) -> a float64 PyTorch model with the logits of the chapter's CNN."""
    import torch
    from sklearn.datasets import load_digits

    name = "torch_cnn"
    state = cnn_state()
    digits = load_digits().images[:40, None] / 16.0
    noise = np.random.default_rng(7).normal(size=(8, 1, 8, 8))
    case = _text(lang, "state")
    model = call_answer(
        fn, ({k: v.copy() for k, v in state.items()},), name=name, lang=lang, case=case
    )
    if not isinstance(model, torch.nn.Module):
        fail(lang, name, _text(lang, "not_module", got=type(model).__name__), case=case)
    for case, images in zip(_text(lang, "cnn_inputs"), (digits, noise), strict=True):
        # Only the call runs the student's code; reading its output is compare's job.
        try:
            with torch.no_grad():
                got = model(torch.from_numpy(np.ascontiguousarray(images)))
        except Exception as exc:  # the student's model may raise anything
            error = f"{type(exc).__name__}: {exc}"
            detail = _text(lang, "model_raised", error=error, shape=images.shape)
            if any(word in str(exc) for word in ("dtype", "Double", "Float", "double", "float")):
                detail += _text(lang, "dtype_hint")
            fail(lang, name, detail, case=case)
        problem = compare(got, cnn_logits(state, images), lang=lang, rtol=1e-9, atol=1e-12)
        if problem is not None:
            fail(lang, name, _text(lang, "logits", detail=problem), case=case)
    passed(lang, name)


# Exercise 4 ------------------------------------------------------------------------------------

# (N, C, H, W, O, kh, kw): one image and channel as in the chapter's picture, then several
# images, channels and kernels, a kernel that is not square, and a large kernel.
_CONV_SHAPES = [
    (1, 1, 4, 4, 1, 3, 3),
    (2, 3, 5, 6, 4, 3, 3),
    (3, 2, 6, 5, 2, 2, 3),
    (4, 1, 7, 7, 3, 5, 5),
]


def conv_weight_gradients(x: np.ndarray, grad_out: np.ndarray, kernel_size) -> np.ndarray:
    """dL/dW (N, O, C, kh, kw), one gradient per image, of a convolution with stride 1 and no
    padding whose output has the gradient ``grad_out`` (N, O, Ho, Wo), by PyTorch's autograd.
    The weights' values do not matter: the output is linear in them."""
    import torch

    n, c = x.shape[:2]
    o = grad_out.shape[1]
    per_image = []
    for i in range(n):
        weight = torch.zeros((o, c, *kernel_size), dtype=torch.float64, requires_grad=True)
        out = torch.nn.functional.conv2d(torch.from_numpy(x[i : i + 1]), weight)
        out.backward(torch.from_numpy(grad_out[i : i + 1]))
        per_image.append(weight.grad.numpy())
    return np.stack(per_image)


def _conv_hint(got, contributions: np.ndarray, *, lang: str) -> str:
    """Why a wrong dL/dW may be wrong: O and C swapped, one image only, or the mean over the
    images instead of their sum; else ""."""
    arr, problem = read_answer(got, lang=lang)
    if problem is not None:
        return ""
    n, o, c = contributions.shape[:3]
    if o != c and arr.shape == (c, o, *contributions.shape[3:]):
        return _text(lang, "swapped")
    if arr.shape != contributions.shape[1:] or n == 1:
        return ""
    for i, one in enumerate(contributions):
        if np.allclose(arr, one, rtol=1e-7, atol=1e-10):
            return _text(lang, "one_image", i=i)
    if np.allclose(arr * n, contributions.sum(axis=0), rtol=1e-7, atol=1e-10):
        return _text(lang, "mean_images")
    return ""


def check_conv_weight_grad(fn, lang: str = "en") -> None:
    """Exercise 4: fn(x, grad_out, kernel_size) -> dL/dW (O, C, kh, kw) of a convolution with
    stride 1 and no padding, compared with PyTorch's autograd on inputs of several shapes."""
    name = "conv_weight_grad"
    rng = np.random.default_rng(64)
    for n, c, h, w, o, kh, kw in _CONV_SHAPES:
        x = rng.normal(size=(n, c, h, w))
        grad_out = rng.normal(size=(n, o, h - kh + 1, w - kw + 1))
        kernel_size = (kh, kw)
        case = _text(lang, "conv_case", x=x.shape, g=grad_out.shape, k=kernel_size)
        args = (x.copy(), grad_out.copy(), kernel_size)
        got = call_answer(
            fn, args, name=name, lang=lang, case=case, read_only={0: "x", 1: "grad_out"}
        )
        contributions = conv_weight_gradients(x, grad_out, kernel_size)
        expected = contributions.sum(axis=0)
        problem = compare(got, expected, lang=lang, rtol=1e-7, atol=1e-10)
        if problem is not None:
            fail(lang, name, problem + _conv_hint(got, contributions, lang=lang), case=case)
    passed(lang, name)


__all__ = [
    "check_adam_update",
    "check_confusion_matrix",
    "check_conv_weight_grad",
    "check_torch_cnn",
    "cnn_logits",
    "cnn_state",
    "confusion_counts",
    "conv_weight_gradients",
]
