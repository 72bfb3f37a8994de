"""Chapter 7's exercise checks pass on correct answers (not only the reference one) and fail,
with a message in the reader's language, on wrong ones."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest
import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from coursekit import torchtools
from coursekit.checks import UNANSWERED, CheckFailed, stub, success, unanswered
from coursekit.exercises import ch07

# Exercise 1: fit_line --------------------------------------------------------------------------


def fit_line_sgd(x, y, lr=0.02, epochs=150, batch_size=16):
    """The chapter's way: nn.Linear, MSELoss, SGD, mini-batches from a DataLoader."""
    torch.manual_seed(0)
    model = nn.Linear(1, 1)
    loader = DataLoader(TensorDataset(x[:, None], y[:, None]), batch_size=batch_size, shuffle=True)
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(epochs):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()
    return model.weight.item(), model.bias.item()


def fit_line_closed_form(x, y):
    # Another correct answer: the normal equations, returned as a tensor.
    design = torch.stack([x, torch.ones_like(x)], dim=1).double()
    return torch.linalg.lstsq(design, y.double()[:, None]).solution.ravel()


def fit_line_swapped(x, y):
    slope, intercept = fit_line_closed_form(x, y).tolist()
    return intercept, slope


def fit_line_too_short(x, y):
    return fit_line_sgd(x, y, lr=0.001, epochs=2)


@pytest.mark.parametrize("answer", [fit_line_sgd, fit_line_closed_form])
@pytest.mark.parametrize("lang", ["en", "bn"])
def test_fit_line_accepts_correct_answers(answer, lang, capsys):
    ch07.check_fit_line(answer, lang=lang)
    assert success(lang, "fit_line") in capsys.readouterr().out


def test_least_squares_line_matches_numpy_polyfit():
    for _, x, y in ch07._line_cases():
        assert np.allclose(ch07.least_squares_line(x, y), np.polyfit(x.numpy(), y.numpy(), 1))


def test_fit_line_rejects_wrong_answers():
    with pytest.raises(CheckFailed, match="least-squares line: wrong value at index"):
        ch07.check_fit_line(fit_line_swapped, lang="en")
    with pytest.raises(CheckFailed, match="লিস্ট-স্কয়ার্স রেখার যথেষ্ট কাছে নয়"):
        ch07.check_fit_line(fit_line_too_short, lang="bn")
    with pytest.raises(CheckFailed, match="expected two numbers"):
        ch07.check_fit_line(lambda x, y: (1.0, 2.0, 3.0), lang="en")
    with pytest.raises(CheckFailed, match="দুটি সংখ্যা"):
        ch07.check_fit_line(lambda x, y: None, lang="bn")


@pytest.mark.parametrize("lang", ["en", "bn"])
def test_fit_line_reports_a_stub(lang):
    with pytest.raises(CheckFailed, match=re.escape(unanswered(lang))):
        ch07.check_fit_line(lambda x, y: stub(lang), lang=lang)


# Exercise 2: topk_accuracy ---------------------------------------------------------------------


def topk_accuracy(model, loader, k):
    model.eval()
    device = next(model.parameters()).device
    correct, count = 0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            top = model(inputs).topk(k, dim=1).indices
            correct += (top == targets[:, None]).any(dim=1).sum().item()
            count += len(targets)
    return correct / count


def topk_accuracy_by_rank(model, loader, k):
    # Another correct answer: count the outputs larger than the target's, as a tensor.
    model.eval()
    hits = []
    with torch.inference_mode():
        for inputs, targets in loader:
            scores = model(inputs)
            target_scores = scores.gather(1, targets[:, None])
            hits.append((scores > target_scores).sum(dim=1) < k)
    return torch.cat(hits).float().mean()


def _topk_without_eval(model, loader, k):
    correct, count = 0, 0
    for inputs, targets in loader:
        top = model(inputs).topk(k, dim=1).indices
        correct += (top == targets[:, None]).any(dim=1).sum().item()
        count += len(targets)
    return correct / count


def topk_accuracy_train_mode(model, loader, k):
    with torch.no_grad():
        return _topk_without_eval(model, loader, k)


def topk_accuracy_with_grad(model, loader, k):
    model.eval()
    return _topk_without_eval(model, loader, k)


def topk_accuracy_batch_mean(model, loader, k):
    model.eval()
    with torch.no_grad():
        means = [
            (model(x).topk(k, dim=1).indices == t[:, None]).any(dim=1).float().mean().item()
            for x, t in loader
        ]
    return float(np.mean(means))


@pytest.mark.parametrize("answer", [topk_accuracy, topk_accuracy_by_rank])
@pytest.mark.parametrize("lang", ["en", "bn"])
def test_topk_accepts_correct_answers(answer, lang, capsys):
    ch07.check_topk_accuracy(answer, lang=lang)
    assert success(lang, "topk_accuracy") in capsys.readouterr().out


def test_topk_names_the_missing_eval_and_no_grad():
    with pytest.raises(CheckFailed, match=r"model\.eval\(\)"):
        ch07.check_topk_accuracy(topk_accuracy_train_mode, lang="en")
    with pytest.raises(CheckFailed, match="ট্রেনিং মোডে"):
        ch07.check_topk_accuracy(topk_accuracy_train_mode, lang="bn")
    with pytest.raises(CheckFailed, match=r"torch\.no_grad\(\)"):
        ch07.check_topk_accuracy(topk_accuracy_with_grad, lang="en")
    with pytest.raises(CheckFailed, match="গ্রাফ রেকর্ড করেছে"):
        ch07.check_topk_accuracy(topk_accuracy_with_grad, lang="bn")


def test_topk_rejects_averaging_batch_accuracies():
    with pytest.raises(CheckFailed, match="«k=1»: expected about"):
        ch07.check_topk_accuracy(topk_accuracy_batch_mean, lang="en")


def test_topk_rejects_a_function_that_never_calls_the_model():
    with pytest.raises(CheckFailed, match="never called the model"):
        ch07.check_topk_accuracy(lambda model, loader, k: 1.0, lang="en")


@pytest.mark.parametrize("lang", ["en", "bn"])
def test_topk_reports_a_stub(lang):
    with pytest.raises(CheckFailed, match=re.escape(unanswered(lang))):
        ch07.check_topk_accuracy(lambda model, loader, k: stub(lang), lang=lang)


# Exercise 3: load_weights ----------------------------------------------------------------------


def load_weights(model, path):
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model


def load_weights_with_coursekit(model, path):
    # Another correct answer: the course's saved helper.
    return torchtools.load_checkpoint(model, path)


def load_weights_unsafely(model, path):
    model.load_state_dict(torch.load(path, weights_only=False))
    return model


def load_weights_shape_blind(model, path):
    # Copies whatever fits and ignores the rest: wrong architectures load silently.
    state = torch.load(path, weights_only=True)
    own = model.state_dict()
    model.load_state_dict({k: v if v.shape == own[k].shape else own[k] for k, v in state.items()})
    return model


def load_weights_returns_nothing(model, path):
    load_weights(model, path)


@pytest.mark.parametrize("answer", [load_weights, load_weights_with_coursekit])
@pytest.mark.parametrize("lang", ["en", "bn"])
def test_load_weights_accepts_correct_answers(answer, lang, capsys):
    ch07.check_load_weights(answer, lang=lang)
    assert success(lang, "load_weights") in capsys.readouterr().out


def test_load_weights_rejects_running_hidden_code():
    with pytest.raises(CheckFailed, match="weights_only=True"):
        ch07.check_load_weights(load_weights_unsafely, lang="en")
    with pytest.raises(CheckFailed, match="লুকানো Python কোড"):
        ch07.check_load_weights(load_weights_unsafely, lang="bn")
    assert ch07._TRIPPED == []


def test_load_weights_rejects_silent_mismatches():
    with pytest.raises(CheckFailed, match="another architecture"):
        ch07.check_load_weights(load_weights_shape_blind, lang="en")
    with pytest.raises(CheckFailed, match="অন্য আর্কিটেকচারের"):
        ch07.check_load_weights(load_weights_shape_blind, lang="bn")


def test_load_weights_rejects_a_missing_return():
    with pytest.raises(CheckFailed, match="return the model"):
        ch07.check_load_weights(load_weights_returns_nothing, lang="en")


def test_load_weights_rejects_ignoring_the_file():
    with pytest.raises(CheckFailed, match="the loaded weight: wrong value"):
        ch07.check_load_weights(lambda model, path: model, lang="en")


@pytest.mark.parametrize("lang", ["en", "bn"])
def test_load_weights_reports_a_stub(lang):
    with pytest.raises(CheckFailed, match=re.escape(unanswered(lang))):
        ch07.check_load_weights(lambda model, path: stub(lang), lang=lang)


# Exercise 4: average_gradients -----------------------------------------------------------------
# Each check starts two gloo processes (a few seconds), so every case below runs one check.


def average_gradients_sum(model):
    world_size = dist.get_world_size()
    for param in model.parameters():
        dist.all_reduce(param.grad, op=dist.ReduceOp.SUM)
        param.grad /= world_size


def average_gradients_avg(model):
    # Another correct answer: gloo averages by itself with ReduceOp.AVG (supported since 2025,
    # so in Colab's PyTorch 2.11 and in the pinned 2.13).
    for param in model.parameters():
        dist.all_reduce(param.grad, op=dist.ReduceOp.AVG)


def average_gradients_undivided(model):
    for param in model.parameters():
        dist.all_reduce(param.grad)


def average_gradients_local(model):
    for param in model.parameters():
        param.grad /= dist.get_world_size()


def average_gradients_weights_only(model):
    # All-reduces only the weights: the biases keep each process's own gradient.
    for name, param in model.named_parameters():
        if name.endswith("weight"):
            dist.all_reduce(param.grad)
            param.grad /= dist.get_world_size()


def average_gradients_raises(model):
    raise KeyError("no such layer")


def average_gradients_rank0_only(model):
    if dist.get_rank() == 0:
        average_gradients_sum(model)


def average_gradients_hangs(model):
    if dist.get_rank() == 0:
        average_gradients_sum(model)
    else:
        time.sleep(600)


@pytest.mark.parametrize(
    "answer, lang",
    [(average_gradients_sum, "en"), (average_gradients_avg, "en"), (average_gradients_sum, "bn")],
)
def test_average_gradients_accepts_correct_answers(answer, lang, capsys):
    ch07.check_average_gradients(answer, lang=lang)
    assert success(lang, "average_gradients") in capsys.readouterr().out


def test_average_gradients_accepts_a_function_defined_in_a_notebook(capsys):
    # A notebook's function has no module a spawned process can import: the check sends it by
    # value, with the modules it uses (here `dist` under another name) and its closure.
    namespace = {"__name__": "__main__"}
    exec(
        "import torch.distributed as tdist\n"
        "def average_gradients(model, divide=True):\n"
        "    for param in model.parameters():\n"
        "        tdist.all_reduce(param.grad)\n"
        "        if divide:\n"
        "            param.grad /= tdist.get_world_size()\n",
        namespace,
    )
    ch07.check_average_gradients(namespace["average_gradients"], lang="en")
    assert success("en", "average_gradients") in capsys.readouterr().out


@pytest.mark.parametrize("lang, text", [("en", "2 times the average"), ("bn", "গড়ের 2 গুণ")])
def test_average_gradients_names_a_missing_division(lang, text):
    with pytest.raises(CheckFailed, match=text):
        ch07.check_average_gradients(average_gradients_undivided, lang=lang)


@pytest.mark.parametrize(
    "answer, lang, text",
    [
        (average_gradients_local, "en", r"processes hold different gradients \(0\.weight"),
        (average_gradients_weights_only, "bn", "গ্রেডিয়েন্ট আলাদা \\(0\\.bias"),
    ],
)
def test_average_gradients_names_a_missing_all_reduce(answer, lang, text):
    with pytest.raises(CheckFailed, match=text):
        ch07.check_average_gradients(answer, lang=lang)


def test_average_gradients_shows_the_answers_error():
    with pytest.raises(CheckFailed, match="your function raised KeyError: 'no such layer'"):
        ch07.check_average_gradients(average_gradients_raises, lang="en")


def test_average_gradients_reports_processes_that_do_not_meet():
    start = time.monotonic()
    with pytest.raises(CheckFailed, match="stopped waiting for the other .*same order"):
        ch07.check_average_gradients(average_gradients_rank0_only, lang="en")
    with pytest.raises(CheckFailed, match="did not finish within 6 s"):
        ch07.check_average_gradients(average_gradients_hangs, lang="en", timeout_s=6)
    assert time.monotonic() - start < 60


@pytest.mark.parametrize("lang", ["en", "bn"])
def test_average_gradients_reports_a_stub(lang):
    with pytest.raises(CheckFailed, match=re.escape(unanswered(lang))):
        ch07.check_average_gradients(lambda model: stub(lang), lang=lang)


def test_average_gradients_reports_an_unanswered_name_and_wrong_arguments():
    with pytest.raises(CheckFailed, match=re.escape(unanswered("en"))):
        ch07.check_average_gradients(UNANSWERED, lang="en")
    with pytest.raises(CheckFailed, match="with 1 argument"):
        ch07.check_average_gradients(lambda model, world_size: None, lang="en")
