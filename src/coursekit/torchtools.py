"""PyTorch helpers that the training chapters share (chapter 7 builds each of them step by step).

- :func:`pick_device`: CUDA, else Apple's MPS, else the CPU, and says which;
- :func:`seed_everything`: the same random numbers on every run;
- :func:`train_epoch` and :func:`evaluate`: one pass of training, one of evaluation;
- :func:`save_checkpoint` and :func:`load_checkpoint`: a model's ``state_dict`` written
  atomically and read back with ``torch.load(..., weights_only=True)``, which never runs code
  from the file.

Progress bars use ``tqdm.auto`` (a widget in Jupyter and Colab, text elsewhere). They can be
switched off with the environment variable ``TQDM_DISABLE=1``, which the course's build and tests
set so that the website shows the per-epoch summaries instead of progress-bar residue.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .files import atomic_path


def pick_device(verbose: bool = True):
    """The best device PyTorch can use here: ``cuda``, ``mps`` or ``cpu``."""
    import torch

    if torch.cuda.is_available():
        device = torch.device("cuda")
        name = torch.cuda.get_device_name(device)
    elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        device, name = torch.device("mps"), "Apple GPU (MPS)"
    else:
        device, name = torch.device("cpu"), f"CPU, {torch.get_num_threads()} threads"
    if verbose:
        print(f"device: {device} ({name})")
    return device


def seed_everything(seed: int = 0) -> None:
    """Seed Python's, NumPy's and PyTorch's random generators (all devices)."""
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds CUDA and MPS


def progress(iterable: Iterable, **kwargs):
    """A tqdm progress bar; none when the environment sets ``TQDM_DISABLE`` (not 0)."""
    from tqdm.auto import tqdm

    # tqdm's notebook bar ignores TQDM_DISABLE (it passes ``disable`` itself), so read it here.
    kwargs.setdefault("disable", os.environ.get("TQDM_DISABLE", "") not in ("", "0"))
    return tqdm(iterable, mininterval=0.5, **kwargs)


def train_epoch(model, loader, loss_fn, optimizer, device, desc: str = "train") -> float:
    """One pass over ``loader`` in training mode; returns the mean loss per sample."""
    model.train()
    total, count = 0.0, 0
    for inputs, targets in progress(loader, desc=desc, leave=False):
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(targets)
        count += len(targets)
    return total / count


def evaluate(model, loader, loss_fn, device) -> tuple[float, float]:
    """Mean loss and accuracy of a classifier over ``loader``, without recording a graph."""
    import torch

    model.eval()
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            outputs = model(inputs)
            total += loss_fn(outputs, targets).item() * len(targets)
            correct += (outputs.argmax(dim=1) == targets).sum().item()
            count += len(targets)
    return total / count, correct / count


def save_checkpoint(model, path: str | Path) -> Path:
    """Write ``model.state_dict()`` to ``path`` through a temporary file (no half-written file)."""
    import torch

    path = Path(path)
    with atomic_path(path) as tmp:
        torch.save(model.state_dict(), tmp)
    return path


_ONLY_YOURS = "Only load checkpoints you made with save_checkpoint()."


def load_checkpoint(model, path: str | Path, device=None):
    """Load a ``state_dict`` saved by :func:`save_checkpoint` into ``model``; returns ``model``.

    ``weights_only=True`` refuses anything but tensors and plain containers, so a checkpoint
    from an untrusted source cannot run code: such a file is refused with an error that says it
    is not a plain ``state_dict``. A missing or damaged file, or a checkpoint of another
    architecture, raises an error that says so.
    """
    import pickle

    import torch

    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; give the checkpoint file inside it.")
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}; train and save_checkpoint() first.")
    try:
        state = torch.load(path, map_location=device or "cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        if "global" not in str(err).lower():  # not a refused object: a damaged pickle
            raise RuntimeError(_damaged(path)) from None
        # PyTorch's own message here suggests loading the file unsafely; the course never does.
        raise pickle.UnpicklingError(
            f"{path} is not a plain state_dict: it holds Python objects that loading would have "
            f"to run as code, so it was refused. {_ONLY_YOURS}"
        ) from None
    except (EOFError, KeyError, IndexError, ValueError):  # damaged or foreign bytes
        raise RuntimeError(_damaged(path)) from None
    except RuntimeError as err:
        if "device" in str(err).lower():  # map_location: not about the file
            raise
        raise RuntimeError(_damaged(path)) from None
    if not isinstance(state, dict):
        raise TypeError(
            f"{path} holds a {type(state).__name__}, not a state_dict (a dict of tensors): "
            f"save_checkpoint(model, path) saves one. {_ONLY_YOURS}"
        )
    try:
        model.load_state_dict(state)
    except RuntimeError as err:
        raise RuntimeError(
            f"the checkpoint {path} does not fit this model (another architecture?): {err}"
        ) from None
    return model


def _damaged(path: Path) -> str:
    return (
        f"{path} is not a complete PyTorch checkpoint: it is damaged (an interrupted copy?) or "
        "another kind of file. If it is yours, save it again with save_checkpoint()."
    )
