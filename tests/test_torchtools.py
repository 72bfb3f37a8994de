"""coursekit.torchtools: device choice, seeding, a training epoch that learns, safe checkpoints."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from coursekit import torchtools


def test_cpu_is_chosen_without_an_accelerator(monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert torchtools.pick_device().type == "cpu"
    assert "device: cpu" in capsys.readouterr().out


def test_seed_everything_repeats_random_numbers():
    torchtools.seed_everything(3)
    first = torch.rand(4)
    torchtools.seed_everything(3)
    assert torch.equal(first, torch.rand(4))


def make_data():
    torchtools.seed_everything(0)
    x = torch.randn(256, 2)
    y = (x[:, 0] + x[:, 1] > 0).long()
    return DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)


def test_training_epochs_learn_a_separable_problem(monkeypatch):
    monkeypatch.setenv("TQDM_DISABLE", "1")
    loader = make_data()
    model = nn.Linear(2, 2)
    loss_fn = nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    before, _ = torchtools.evaluate(model, loader, loss_fn, "cpu")
    for _ in range(5):
        torchtools.train_epoch(model, loader, loss_fn, opt, "cpu")
    after, accuracy = torchtools.evaluate(model, loader, loss_fn, "cpu")
    assert after < before and accuracy > 0.95
    assert model.training is False


def test_checkpoint_round_trip_and_clear_errors(tmp_path):
    model = nn.Linear(3, 2)
    path = torchtools.save_checkpoint(model, tmp_path / "ckpt" / "model.pt")
    assert [p.name for p in path.parent.iterdir()] == ["model.pt"]
    copy = torchtools.load_checkpoint(nn.Linear(3, 2), path)
    assert torch.equal(copy.weight, model.weight)
    with pytest.raises(RuntimeError, match="does not fit this model"):
        torchtools.load_checkpoint(nn.Linear(4, 2), path)
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        torchtools.load_checkpoint(model, tmp_path / "missing.pt")


def test_checkpoint_refuses_pickled_code(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"weight": torch.zeros(2, 3), "payload": object()}, path)
    with pytest.raises(Exception, match="(?i)not a plain state_dict.*only load checkpoints"):
        torchtools.load_checkpoint(nn.Linear(3, 2), path)
