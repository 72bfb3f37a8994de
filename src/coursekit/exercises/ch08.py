"""Checks for chapter 8: residual blocks, ResNet-18 and a weighted loss for three heads.

Every expected value is computed here by another route than the student's code: exercise 1 builds
the block's layers from PyTorch's own modules and counts them, exercise 2 compares with the
published parameter count of ResNet-18, and exercise 3 computes the cross-entropies and their
gradients with NumPy in float64.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..checks import call_answer, check_function, compare, fail, passed
from ..lang import Messages

# ResNet-18 for 1,000 ImageNet classes, as published (torchvision's resnet18).
RESNET18_PARAMETERS = 11_689_512
RESNET34_PARAMETERS = 21_797_672
GRAPHEME_CLASSES = (168, 11, 7)  # grapheme root, vowel diacritic, consonant diacritic

# Messages this chapter needs beyond those of coursekit.checks.
_MESSAGES = {
    "en": {
        "not_module": "make_resnet18({classes}) should return a torch.nn.Module, got {got}.",
        "params": (
            "a ResNet-18 for {classes} classes has {expected:,} parameters; yours has {got:,}."
        ),
        "params_34": " That is ResNet-34's count: use 2 blocks in every stage.",
        "layers": (
            "ResNet-18 has 17 convolutions on its main path and 1 linear layer (18 layers with "
            "weights) plus 3 1×1 projection shortcuts; yours has {main} convolutions larger than "
            "1×1, {linear} linear layer(s) and {proj} 1×1 convolutions."
        ),
        "output": (
            "for an input of shape {input}, the output should have shape {expected}, got {got}."
        ),
        "crashed": "the model raised {error} for an input of shape {input}.",
        "not_tensor": (
            "return a PyTorch tensor (got {got}): keep the computation in PyTorch so that "
            ".backward() can reach the scores."
        ),
        "no_graph": (
            "the loss is not connected to the scores (no gradient can flow back): do not use "
            ".item(), .detach() or NumPy inside your function."
        ),
        "not_scalar": "the loss should hold a single number, got shape {got}.",
        "value": "wrong loss: {detail}",
        "called_backward": (
            "your function already called backward(): return the loss without calling it. The "
            "training step calls loss.backward() once; a second call would add the gradients "
            "twice, or fail once the graph has been freed."
        ),
        "graph_used": (
            "the graph behind your loss was already used by a backward pass inside your function "
            "(backward() or torch.autograd.grad): return the loss without running one."
        ),
        "backward_raised": "computing the gradient of your loss raised {error}.",
        "gradient": (
            "the gradient of your loss with respect to the {head} scores is wrong: {detail}"
        ),
        "heads": ("grapheme root", "vowel diacritic", "consonant diacritic"),
    },
    "bn": {
        "not_module": (
            "make_resnet18({classes}) একটি torch.nn.Module ফেরত দেওয়ার কথা, পাওয়া গেছে {got}।"
        ),
        "params": ("{classes}টি ক্লাসের ResNet-18-এ প্যারামিটার {expected:,}টি; আপনার মডেলে {got:,}টি।"),
        "params_34": " এটি ResNet-34-এর সংখ্যা: প্রতিটি স্টেজে 2টি করে ব্লক নিন।",
        "layers": (
            "ResNet-18-এর মূল পথে 17টি কনভোলিউশন আর 1টি লিনিয়ার লেয়ার (মোট 18টি ওয়েটওয়ালা "
            "লেয়ার), সঙ্গে 3টি 1×1 প্রজেকশন শর্টকাট; আপনার মডেলে 1×1-এর চেয়ে বড় কনভোলিউশন "
            "{main}টি, লিনিয়ার লেয়ার {linear}টি, 1×1 কনভোলিউশন {proj}টি।"
        ),
        "output": "{input} আকৃতির ইনপুটে আউটপুটের আকৃতি হওয়ার কথা {expected}, পাওয়া গেছে {got}।",
        "crashed": "{input} আকৃতির ইনপুটে মডেলটি {error} তুলেছে।",
        "not_tensor": (
            "একটি PyTorch টেনসর ফেরত দিন (পাওয়া গেছে {got}): হিসাবটি PyTorch-এর ভেতরেই রাখুন, "
            "যাতে .backward() স্কোর পর্যন্ত পৌঁছাতে পারে।"
        ),
        "no_graph": (
            "লসটি স্কোরগুলোর সঙ্গে যুক্ত নয় (গ্রেডিয়েন্ট পেছনে যেতে পারবে না): ফাংশনের ভেতরে "
            ".item(), .detach() বা NumPy ব্যবহার করবেন না।"
        ),
        "not_scalar": "লসে একটিমাত্র সংখ্যা থাকার কথা, পাওয়া গেছে আকৃতি {got}।",
        "value": "লসের মান ভুল: {detail}",
        "called_backward": (
            "আপনার ফাংশন নিজেই backward() ডেকেছে: backward() না ডেকে শুধু লসটি ফেরত দিন। ট্রেনিং "
            "ধাপ loss.backward() একবারই ডাকে; দ্বিতীয়বার ডাকলে গ্রেডিয়েন্ট দুবার যোগ হয়, আর গ্রাফ "
            "মুছে যাওয়ার পরে ডাকলে error ওঠে।"
        ),
        "graph_used": (
            "আপনার লসের পেছনের গ্রাফটি ফাংশনের ভেতরেই একটি ব্যাকওয়ার্ড পাসে (backward() বা "
            "torch.autograd.grad) ব্যবহার হয়ে গেছে: কোনো ব্যাকওয়ার্ড পাস না চালিয়ে শুধু লসটি ফেরত দিন।"
        ),
        "backward_raised": "আপনার লসের গ্রেডিয়েন্ট হিসাব করতে গিয়ে {error} উঠেছে।",
        "gradient": "{head}-এর স্কোরের সাপেক্ষে আপনার লসের গ্রেডিয়েন্ট ভুল: {detail}",
        "heads": ("গ্রাফিম রুট", "ভাওয়েল ডায়াক্রিটিক", "কনসোন্যান্ট ডায়াক্রিটিক"),
    },
}


_text = Messages(_MESSAGES)


def _count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# --- Exercise 1 ----------------------------------------------------------------------------------


def reference_block_parameters(in_channels: int, out_channels: int, stride: int) -> int:
    """Parameters of a basic block, counted on PyTorch's own layers: two bias-free 3×3
    convolutions, two batch norms, and a 1×1 projection with batch norm when the shape changes."""
    layers = [
        nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
    ]
    if stride != 1 or in_channels != out_channels:
        layers += [
            nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
            nn.BatchNorm2d(out_channels),
        ]
    return _count(nn.Sequential(*layers))


def check_block_parameters(fn, lang: str = "en") -> None:
    """Exercise 1: fn(in_channels, out_channels, stride) -> parameters of a BasicBlock."""
    cases = []
    for c_in, c_out, stride in [
        (64, 64, 1),
        (64, 128, 2),
        (256, 512, 2),
        (3, 16, 1),  # channels change at stride 1: still a projection
        (32, 32, 2),  # stride 2 with the same channels: still a projection
    ]:
        expected = reference_block_parameters(c_in, c_out, stride)
        cases.append((f"({c_in}, {c_out}, {stride})", (c_in, c_out, stride), expected))
    check_function(fn, cases, name="block_parameters", lang=lang, rtol=0.0, atol=0.5)


# --- Exercise 2 ----------------------------------------------------------------------------------


def _layer_counts(model: nn.Module) -> tuple[int, int, int]:
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    main = sum(1 for c in convs if c.kernel_size != (1, 1))
    proj = sum(1 for c in convs if c.kernel_size == (1, 1))
    linear = sum(1 for m in model.modules() if isinstance(m, nn.Linear))
    return main, linear, proj


def check_resnet18(fn, lang: str = "en") -> None:
    """Exercise 2: fn(num_classes) -> a ResNet-18 for 224×224 RGB images (ImageNet stem)."""
    name = "make_resnet18"
    # Changing the classifier from 1,000 to k outputs removes (512 + 1)·(1000 − k) parameters.
    for classes, size in [(1000, 224), (10, 64)]:
        model = call_answer(fn, (classes,), name=name, lang=lang, case=f"num_classes={classes}")
        if not isinstance(model, nn.Module):
            fail(lang, name, _text(lang, "not_module", classes=classes, got=type(model).__name__))
        expected = RESNET18_PARAMETERS - 513 * (1000 - classes)
        got = _count(model)
        if got != expected:
            detail = _text(lang, "params", classes=classes, expected=expected, got=got)
            if got == RESNET34_PARAMETERS - 513 * (1000 - classes):
                detail += _text(lang, "params_34")
            fail(lang, name, detail)
        main, linear, proj = _layer_counts(model)
        if (main, linear, proj) != (17, 1, 3):
            fail(lang, name, _text(lang, "layers", main=main, linear=linear, proj=proj))
        shape = (2, 3, size, size)
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                out = model(torch.randn(*shape, generator=torch.Generator().manual_seed(0)))
        except Exception as exc:  # the student's model may raise anything
            fail(
                lang,
                name,
                _text(lang, "crashed", error=f"{type(exc).__name__}: {exc}", input=shape),
            )
        finally:
            model.train(was_training)
        got_shape = tuple(getattr(out, "shape", ()))
        if got_shape != (2, classes):
            fail(
                lang, name, _text(lang, "output", input=shape, expected=(2, classes), got=got_shape)
            )
    passed(lang, name)


# --- Exercise 3 ----------------------------------------------------------------------------------


def _cross_entropy_np(scores: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of float64 scores [B, K] and its gradient with respect to the scores."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    batch = np.arange(len(labels))
    loss = -log_probs[batch, labels].mean()
    grad = np.exp(log_probs)
    grad[batch, labels] -= 1.0
    return float(loss), grad / len(labels)


def reference_weighted_loss(
    logits: list[np.ndarray], targets: np.ndarray, weights
) -> tuple[float, list[np.ndarray]]:
    """The weighted mean of the heads' cross-entropies, and its gradient for each head."""
    total_weight = float(sum(weights))
    loss, grads = 0.0, []
    for k, (scores, w) in enumerate(zip(logits, weights, strict=True)):
        head_loss, head_grad = _cross_entropy_np(scores, targets[:, k])
        loss += w * head_loss / total_weight
        grads.append(w * head_grad / total_weight)
    return loss, grads


def check_weighted_heads_loss(fn, lang: str = "en") -> None:
    """Exercise 3: fn(logits, targets, weights) -> (w1·L_root + w2·L_vowel + w3·L_consonant) / Σw,
    a one-number tensor through which .backward() reaches the scores."""
    name = "weighted_heads_loss"
    rng = np.random.default_rng(8)
    for batch, weights in [(5, (2.0, 1.0, 1.0)), (32, (1.0, 1.0, 1.0)), (7, (0.5, 3.0, 1.0))]:
        case = f"B={batch}, weights={weights}"
        scores_np = [3.0 * rng.normal(size=(batch, k)) for k in GRAPHEME_CLASSES]
        targets_np = np.stack([rng.integers(0, k, size=batch) for k in GRAPHEME_CLASSES], axis=1)
        expected, expected_grads = reference_weighted_loss(scores_np, targets_np, weights)

        scores = tuple(torch.tensor(s, dtype=torch.float32, requires_grad=True) for s in scores_np)
        targets = torch.from_numpy(targets_np.astype(np.int64))
        got = call_answer(fn, (scores, targets, weights), name=name, lang=lang, case=case)

        if not isinstance(got, torch.Tensor):
            fail(lang, name, _text(lang, "not_tensor", got=type(got).__name__), case=case)
        if got.numel() != 1:
            fail(lang, name, _text(lang, "not_scalar", got=tuple(got.shape)), case=case)
        problem = compare(got.reshape(()), expected, lang=lang, rtol=1e-5)
        if problem is not None:
            fail(lang, name, _text(lang, "value", detail=problem), case=case)
        if got.grad_fn is None:
            fail(lang, name, _text(lang, "no_graph"), case=case)
        if any(tensor.grad is not None for tensor in scores):
            fail(lang, name, _text(lang, "called_backward"), case=case)
        # torch.autograd.grad leaves .grad alone and tells a freed graph from a broken one.
        try:
            grads = torch.autograd.grad(got.reshape(()), scores, allow_unused=True)
        except RuntimeError as exc:
            if "second time" in str(exc):
                fail(lang, name, _text(lang, "graph_used"), case=case)
            error = f"{type(exc).__name__}: {exc}"
            fail(lang, name, _text(lang, "backward_raised", error=error), case=case)
        for head, got_grad, grad in zip(_text(lang, "heads"), grads, expected_grads, strict=True):
            got_grad = np.zeros_like(grad) if got_grad is None else got_grad
            problem = compare(got_grad, grad, lang=lang, rtol=1e-4, atol=1e-7)
            if problem is not None:
                fail(lang, name, _text(lang, "gradient", head=head, detail=problem), case=case)
    passed(lang, name)
