"""Chapter 8's exercise checks pass on correct answers (not only the reference one) and fail, with a
message in the reader's language, on wrong ones."""

from __future__ import annotations

import re

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from coursekit.checks import CheckFailed, stub, success, unanswered
from coursekit.exercises import ch08

# --- a small ResNet of our own, written independently of the chapter -----------------------------


class Block(nn.Module):
    def __init__(self, c_in, c_out, stride=1, projection=True):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(),
            nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False),
            nn.BatchNorm2d(c_out),
        )
        self.stride, self.c_out = stride, c_out
        changes = stride != 1 or c_in != c_out
        if changes and projection:
            self.skip = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out)
            )
        elif changes:
            # Option A of the paper: subsample and pad the new channels with zeros (no weights).
            self.skip = lambda x: F.pad(x[:, :, ::stride, ::stride], (0, 0, 0, 0, 0, c_out - c_in))
        else:
            self.skip = nn.Identity()

    def forward(self, x):
        return F.relu(self.body(x) + self.skip(x))


def resnet(blocks, num_classes, projection=True):
    layers = [
        nn.Conv2d(3, 64, 7, 2, 3, bias=False),
        nn.BatchNorm2d(64),
        nn.ReLU(),
        nn.MaxPool2d(3, 2, 1),
    ]
    c_in = 64
    for stage, n in enumerate(blocks):
        c_out = 64 * 2**stage
        for i in range(n):
            stride = 2 if stage > 0 and i == 0 else 1
            layers.append(Block(c_in, c_out, stride, projection))
            c_in = c_out
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c_in, num_classes)]
    return nn.Sequential(*layers)


class ResNet18Modules(nn.Module):
    """The same network organised differently: named stages in a ModuleDict, a separate head."""

    def __init__(self, num_classes):
        super().__init__()
        body = resnet((2, 2, 2, 2), num_classes)
        self.parts = nn.ModuleDict({"features": body[:-1], "head": body[-1]})

    def forward(self, x):
        return self.parts["head"](self.parts["features"](x))


# --- exercise 1 ----------------------------------------------------------------------------------


def block_formula(c_in, c_out, stride):
    total = 9 * c_in * c_out + 9 * c_out**2 + 4 * c_out
    if stride != 1 or c_in != c_out:
        total += c_in * c_out + 2 * c_out
    return total


def block_counted(c_in, c_out, stride):
    # An equivalent answer: build a block and count, returned as a 0-d tensor.
    return torch.tensor(sum(p.numel() for p in Block(c_in, c_out, stride).parameters()))


@pytest.mark.parametrize("answer", [block_formula, block_counted])
def test_block_check_accepts_equivalent_answers(answer, capsys):
    ch08.check_block_parameters(answer, lang="en")
    assert success("en", "block_parameters") in capsys.readouterr().out


def test_block_check_rejects_missing_projection_in_bengali():
    def no_projection(c_in, c_out, stride):
        return 9 * c_in * c_out + 9 * c_out**2 + 4 * c_out

    with pytest.raises(CheckFailed, match=r"«\(64, 128, 2\)»-এর ক্ষেত্রে"):
        ch08.check_block_parameters(no_projection, lang="bn")


def test_block_check_rejects_forgotten_batch_norm_and_stub():
    def no_batch_norm(c_in, c_out, stride):
        return block_formula(c_in, c_out, stride) - 4 * c_out

    with pytest.raises(CheckFailed, match=r"case «\(64, 64, 1\)»"):
        ch08.check_block_parameters(no_batch_norm, lang="en")
    with pytest.raises(CheckFailed, match=re.escape(unanswered("en"))):
        ch08.check_block_parameters(lambda c_in, c_out, stride: stub("en"), lang="en")
    with pytest.raises(CheckFailed, match=re.escape(unanswered("bn"))):
        ch08.check_block_parameters(lambda c_in, c_out, stride: stub("bn"), lang="bn")


def test_reference_block_count_matches_the_formula():
    for case in [(64, 64, 1), (64, 128, 2), (3, 16, 1), (32, 32, 2)]:
        assert ch08.reference_block_parameters(*case) == block_formula(*case)


# --- exercise 2 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [lambda k: resnet((2, 2, 2, 2), k), ResNet18Modules],
    ids=["sequential", "module-dict"],
)
def test_resnet18_check_accepts_equivalent_models(answer, capsys):
    ch08.check_resnet18(answer, lang="bn")
    assert success("bn", "make_resnet18") in capsys.readouterr().out


def test_published_count_is_what_our_independent_resnet18_has():
    assert sum(p.numel() for p in resnet((2, 2, 2, 2), 1000).parameters()) == 11_689_512
    assert sum(p.numel() for p in resnet((3, 4, 6, 3), 1000).parameters()) == 21_797_672


def test_resnet18_check_names_resnet34():
    with pytest.raises(CheckFailed, match="That is ResNet-34's count"):
        ch08.check_resnet18(lambda k: resnet((3, 4, 6, 3), k), lang="en")


def test_resnet18_check_rejects_zero_padding_shortcuts():
    with pytest.raises(CheckFailed, match="11,689,512 parameters; yours has"):
        ch08.check_resnet18(lambda k: resnet((2, 2, 2, 2), k, projection=False), lang="en")


def test_resnet18_check_rejects_a_fixed_classifier_and_non_models():
    with pytest.raises(CheckFailed, match="a ResNet-18 for 10 classes"):
        ch08.check_resnet18(lambda k: resnet((2, 2, 2, 2), 1000), lang="en")
    with pytest.raises(CheckFailed, match="torch.nn.Module ফেরত দেওয়ার কথা"):
        ch08.check_resnet18(lambda k: "resnet18", lang="bn")
    with pytest.raises(CheckFailed, match=re.escape(unanswered("en"))):
        ch08.check_resnet18(lambda k: stub("en"), lang="en")


def test_resnet18_check_rejects_wrong_layer_counts():
    def extra_layer(k):
        # Same parameter count, but the classifier split into a linear layer and a 1×1 convolution.
        body = resnet((2, 2, 2, 2), k)
        return nn.Sequential(body[:-3], nn.Conv2d(512, k, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten())

    with pytest.raises(CheckFailed, match="17 convolutions on its main path"):
        ch08.check_resnet18(extra_layer, lang="en")


# --- exercise 3 ----------------------------------------------------------------------------------


def loss_with_cross_entropy(logits, targets, weights):
    losses = [F.cross_entropy(s, targets[:, k]) for k, s in enumerate(logits)]
    return sum(w * loss for w, loss in zip(weights, losses, strict=True)) / sum(weights)


def loss_by_hand(logits, targets, weights):
    # log-softmax and gather, weights as a tensor, result of shape [1]: still correct.
    w = torch.tensor(weights, dtype=torch.float32)
    per_head = torch.stack(
        [
            -s.log_softmax(dim=1).gather(1, targets[:, k : k + 1]).mean()
            for k, s in enumerate(logits)
        ]
    )
    return ((w * per_head).sum() / w.sum()).reshape(1)


@pytest.mark.parametrize("answer", [loss_with_cross_entropy, loss_by_hand])
def test_loss_check_accepts_equivalent_answers(answer, capsys):
    ch08.check_weighted_heads_loss(answer, lang="en")
    assert success("en", "weighted_heads_loss") in capsys.readouterr().out


def test_loss_check_rejects_unweighted_and_unnormalised_losses():
    def unweighted(logits, targets, weights):
        return loss_with_cross_entropy(logits, targets, (1.0, 1.0, 1.0))

    def not_normalised(logits, targets, weights):
        return loss_with_cross_entropy(logits, targets, weights) * sum(weights)

    with pytest.raises(CheckFailed, match=r"B=5, weights=\(2.0, 1.0, 1.0\).*wrong loss"):
        ch08.check_weighted_heads_loss(unweighted, lang="en")
    with pytest.raises(CheckFailed, match="লসের মান ভুল"):
        ch08.check_weighted_heads_loss(not_normalised, lang="bn")


def test_loss_check_rejects_numbers_and_detached_tensors():
    def as_number(logits, targets, weights):
        return loss_with_cross_entropy(logits, targets, weights).item()

    def detached(logits, targets, weights):
        return loss_with_cross_entropy(logits, targets, weights).detach()

    with pytest.raises(CheckFailed, match="return a PyTorch tensor"):
        ch08.check_weighted_heads_loss(as_number, lang="en")
    with pytest.raises(CheckFailed, match="যুক্ত নয়"):
        ch08.check_weighted_heads_loss(detached, lang="bn")


def test_loss_check_rejects_per_sample_losses_and_a_stub():
    def per_sample(logits, targets, weights):
        losses = [F.cross_entropy(s, targets[:, k], reduction="none") for k, s in enumerate(logits)]
        return sum(w * loss for w, loss in zip(weights, losses, strict=True)) / sum(weights)

    with pytest.raises(CheckFailed, match="single number"):
        ch08.check_weighted_heads_loss(per_sample, lang="en")
    with pytest.raises(CheckFailed, match=re.escape(unanswered("bn"))):
        ch08.check_weighted_heads_loss(lambda logits, targets, weights: stub("bn"), lang="bn")


def test_loss_check_catches_a_wrong_gradient():
    # The right value, but a gradient that never reaches the vowel head's scores.
    def value_without_vowel_gradient(logits, targets, weights):
        root, vowel, consonant = logits
        good = loss_with_cross_entropy((root, vowel.detach(), consonant), targets, weights)
        return good

    with pytest.raises(CheckFailed, match="vowel diacritic scores is wrong"):
        ch08.check_weighted_heads_loss(value_without_vowel_gradient, lang="en")
