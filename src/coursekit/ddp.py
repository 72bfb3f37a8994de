"""Data-parallel training on one machine with ``torch.distributed`` (chapter 7, section 7.12).

- :func:`launch` starts ``nprocs`` processes with ``torch.multiprocessing`` (the spawn start
  method), joins them into one process group and returns what each returned, by rank. It picks a
  free port on the loopback address (the system's choice when binding to port 0), so that two
  notebooks or test workers running at once meet on different ports, and needs no network. A
  worker's exception comes back as :class:`WorkerError` with its message; processes that hang are
  stopped after ``timeout_s`` seconds and reported as ``TimeoutError``.
- :func:`sgd_step` is a worker: one SGD step under ``DistributedDataParallel`` (DDP) on this
  process's share of a global batch. :func:`one_step` is the same step in one process, and
  :func:`largest_gaps` compares the two.
- :class:`ByValue` carries a function defined in a notebook to spawned processes, which could
  otherwise not find it (spawn sends functions by name); the exercise check of chapter 7 uses it.

Spawn pickles the worker function *by reference*, as its module and name: every spawned process
imports that module and looks the name up. So a worker must live in an importable module like this
one, not in a notebook cell. With two or more CUDA GPUs, :func:`backend_and_size` chooses the
``nccl`` backend and one process per GPU; otherwise ``gloo`` with processes on the CPU.
"""

from __future__ import annotations

import copy
import datetime
import marshal
import os
import pickle
import socket
import tempfile
import time
import traceback
import types
from contextlib import nullcontext
from pathlib import Path
from typing import Any

LOOPBACK = "127.0.0.1"


class WorkerError(RuntimeError):
    """A worker process failed. ``rank`` says which, ``error_type`` and ``error_message`` what
    it raised (empty when it died without raising), ``details`` its traceback."""

    def __init__(
        self,
        message: str,
        *,
        rank: int | None = None,
        error_type: str = "",
        error_message: str = "",
        details: str = "",
    ):
        super().__init__(message)
        self.rank = rank
        self.error_type = error_type
        self.error_message = error_message
        self.details = details


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that nothing listens on now: the one the system gives when binding to port 0."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def loopback_interface() -> str | None:
    """The name of the loopback network interface ("lo" on Linux, "lo0" on macOS), or None."""
    try:
        names = [name for _, name in socket.if_nameindex()]
    except (AttributeError, OSError):  # no interface list on this system
        return None
    return next((name for name in names if name in ("lo", "lo0")), None)


def loopback_env() -> dict[str, str]:
    """``{"GLOO_SOCKET_IFNAME": <the loopback interface>}``: gloo's traffic then stays on this
    machine and needs no network. Empty when GLOO_SOCKET_IFNAME is set already (your choice wins)
    or no loopback interface is found."""
    interface = loopback_interface()
    if interface is None or "GLOO_SOCKET_IFNAME" in os.environ:
        return {}
    return {"GLOO_SOCKET_IFNAME": interface}


def local_env(port: int) -> dict[str, str]:
    """The environment variables with which ``init_process_group`` (its ``env://`` method) meets
    on this machine only: MASTER_ADDR 127.0.0.1, MASTER_PORT ``port``, and :func:`loopback_env`."""
    return {"MASTER_ADDR": LOOPBACK, "MASTER_PORT": str(port), **loopback_env()}


def backend_and_size(cpu_processes: int = 2) -> tuple[str, int]:
    """``("nccl", number of GPUs)`` where two or more CUDA GPUs and NCCL are present (one process
    per GPU); otherwise ``("gloo", cpu_processes)``: processes on the CPU."""
    import torch
    import torch.distributed as dist

    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if gpus >= 2 and dist.is_nccl_available():
        return "nccl", gpus
    return "gloo", cpu_processes


def device_for(rank: int, backend: str):
    """The device a process works on: GPU number ``rank`` for nccl, the CPU for gloo."""
    import torch

    return torch.device("cuda", rank) if backend == "nccl" else torch.device("cpu")


def _entry(rank, worker, world_size, port, backend, folder, timeout_s, args):
    """What each spawned process runs: join the group, call the worker, write what it returned
    (or the error it raised) to ``folder``, leave the group."""
    import torch
    import torch.distributed as dist

    os.environ.update(local_env(port))
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // world_size))
    if backend == "nccl":
        torch.cuda.set_device(rank)
    report: dict[str, Any]
    try:
        dist.init_process_group(
            backend,
            init_method="env://",
            rank=rank,
            world_size=world_size,
            timeout=datetime.timedelta(seconds=timeout_s),
        )
        report = {"result": worker(rank, world_size, *args)}
    except BaseException as exc:  # reported to the parent, which raises WorkerError
        report = {
            "error": type(exc).__name__,
            "message": str(exc),
            "details": traceback.format_exc(),
            "time": time.time(),
        }
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
    try:
        torch.save(report, Path(folder) / f"rank{rank}.pt")
    except Exception as exc:  # a result that cannot be pickled
        error = {"error": type(exc).__name__, "message": f"its result could not be saved: {exc}"}
        torch.save(
            {**error, "details": traceback.format_exc(), "time": time.time()},
            Path(folder) / f"rank{rank}.pt",
        )


def launch(
    worker,
    nprocs: int = 2,
    args: tuple = (),
    *,
    backend: str = "gloo",
    timeout_s: float = 120.0,
) -> list[Any]:
    """Run ``worker(rank, world_size, *args)`` in ``nprocs`` new processes that form one process
    group (``torch.distributed``); return the list of what they returned, by rank.

    ``worker`` must be importable (defined in a module, not in a notebook): spawn sends it by
    name. ``args`` are pickled, so tensors, models made of PyTorch's layers, numbers and strings
    travel; what a worker returns must be tensors, numbers, strings, and lists, tuples or dicts of
    them. Raises :class:`WorkerError` with the worker's message when one raises (the first one to
    fail), and ``TimeoutError`` when they are not all done after ``timeout_s`` seconds; the
    processes are stopped either way.
    """
    import torch.multiprocessing as mp

    if _is_local(worker):
        module = getattr(worker, "__module__", None)
        name = getattr(worker, "__qualname__", repr(worker))
        raise ValueError(
            f"the worker {name} is defined in {module or 'no module'}, where a spawned process "
            "cannot find it: spawn pickles a function by reference (its module and name). Put it "
            "in a .py file and import it from there."
        )
    with tempfile.TemporaryDirectory(prefix="coursekit-ddp-") as folder:
        context = mp.start_processes(
            _entry,
            args=(worker, nprocs, free_port(), backend, folder, timeout_s, args),
            nprocs=nprocs,
            join=False,
            start_method="spawn",
        )
        deadline = time.monotonic() + timeout_s
        try:
            while not context.join(timeout=0.05):
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"the {nprocs} processes were not done after {timeout_s:g} s (is one "
                        "waiting for another that never takes part?); they were stopped."
                    )
        except (mp.ProcessExitedException, mp.ProcessRaisedException) as exc:
            # A process died before its report was written (it could not start, or was killed).
            raise WorkerError(f"a worker process failed: {str(exc).strip()}") from None
        finally:
            _stop(context.processes)
        reports = [_read_report(Path(folder) / f"rank{rank}.pt", rank) for rank in range(nprocs)]
    failed = [
        (report["time"], rank, report) for rank, report in enumerate(reports) if "error" in report
    ]
    if failed:
        _, rank, report = min(failed, key=lambda item: (item[0], item[1]))
        raise WorkerError(
            f"process {rank} of {nprocs} raised {report['error']}: {report['message']}",
            rank=rank,
            error_type=report["error"],
            error_message=report["message"],
            details=report["details"],
        )
    return [report["result"] for report in reports]


def _read_report(path: Path, rank: int) -> dict:
    import torch

    if not path.exists():
        raise WorkerError(f"process {rank} ended without a report (killed?)", rank=rank)
    try:
        return torch.load(path, weights_only=True)
    except Exception as exc:  # an object torch.load refuses to rebuild
        raise WorkerError(
            f"process {rank} returned something other than tensors, numbers, strings and lists, "
            f"tuples or dicts of them, which torch.load(weights_only=True) refuses "
            f"({type(exc).__name__}).",
            rank=rank,
        ) from None


def _stop(processes, grace_s: float = 5.0) -> None:
    """Terminate the processes still running, then kill those that ignore it."""
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(grace_s)
        if process.is_alive():
            process.kill()
            process.join()


# One SGD step, in one process or under DDP ---------------------------------------------------


def one_step(model, inputs, targets, loss_fn, lr: float, *, forward=None) -> dict:
    """One SGD step of ``model`` (changed in place) on ``(inputs, targets)``.

    Returns ``{"loss", "grads", "params"}``: the loss, each parameter's gradient and each
    parameter after the step, as CPU tensors keyed by the parameter's name in ``model``.
    ``forward`` is the module that computes the outputs (a DDP wrapper of ``model``), if not
    ``model`` itself.
    """
    import torch

    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    optimizer.zero_grad()
    loss = loss_fn((forward or model)(inputs), targets)
    loss.backward()
    grads = {name: p.grad.detach().cpu().clone() for name, p in model.named_parameters()}
    optimizer.step()
    params = {name: p.detach().cpu().clone() for name, p in model.named_parameters()}
    return {"loss": loss.item(), "grads": grads, "params": params}


def sgd_step(rank, world_size, model, inputs, targets, loss_fn, lr, backend="gloo", sync=True):
    """A worker for :func:`launch`: one SGD step under DDP on this process's share of the global
    batch ``(inputs, targets)``. Returns :func:`one_step`'s dict and ``"indices"``, the rows of the
    global batch this process used. ``sync=False`` runs the step inside DDP's ``no_sync()``,
    which skips the all-reduce: each process then keeps its own gradient."""
    import torch
    from torch.nn.parallel import DistributedDataParallel as DDP
    from torch.utils.data import DistributedSampler, TensorDataset

    device = device_for(rank, backend)
    # torch.multiprocessing hands tensors to the processes in shared memory: copy the model
    # before changing it, or every process would step the same parameters.
    model = copy.deepcopy(model).to(device)
    ddp_model = DDP(model, device_ids=[device.index] if device.type == "cuda" else None)
    # Every process takes every world_size-th row, starting at its rank.
    sampler = DistributedSampler(
        TensorDataset(inputs, targets), num_replicas=world_size, rank=rank, shuffle=False
    )
    indices = list(sampler)
    share = inputs[indices].to(device), targets[indices].to(device)
    with ddp_model.no_sync() if not sync else nullcontext():
        step = one_step(model, *share, loss_fn, lr, forward=ddp_model)
    return {**step, "indices": torch.tensor(indices)}


def largest_gaps(results: list[dict], single: dict) -> dict[str, float]:
    """How far the processes' steps are from the single-process ``single``, and from each other.

    ``"grads"`` and ``"params"``: the largest difference between a process's gradient (parameter
    after the step) and the single-process one, over every parameter and process, divided by the
    largest single-process value of that parameter; ``"between_ranks"``: the largest difference
    between two processes' parameters after the step. All zero when the steps are the same.
    """
    gaps = {"grads": 0.0, "params": 0.0, "between_ranks": 0.0}
    for key in ("grads", "params"):
        for name, expected in single[key].items():
            scale = expected.abs().max().item() or 1.0
            for result in results:
                gap = (result[key][name] - expected).abs().max().item() / scale
                gaps[key] = max(gaps[key], gap)
    first = results[0]["params"]
    for result in results[1:]:
        for name, value in result["params"].items():
            gaps["between_ranks"] = max(
                gaps["between_ranks"], (value - first[name]).abs().max().item()
            )
    return gaps


# A notebook's function, sent by value -----------------------------------------------------------


class ByValue:
    """A function carried to another process by value: its compiled code and what it uses.

    Spawned processes find a function by its module and name, which a function defined in a
    notebook does not have. ``ByValue(fn)`` keeps ``fn``'s code object (``marshal``, so the other
    process must run the same Python, as spawned processes do), its default arguments, the values
    it closes over and the global names it uses: modules by their name, functions of the notebook
    by value in turn, other values pickled. Calling the ``ByValue`` object in the other process
    rebuilds ``fn`` there and calls it. A global that cannot be pickled is left out, so using it
    raises NameError there.
    """

    def __init__(self, fn):
        if not isinstance(fn, types.FunctionType):
            raise TypeError(f"expected a Python function, got {type(fn).__name__}")
        self.name = fn.__name__
        self.code = marshal.dumps(fn.__code__)
        self.defaults = pickle.dumps(fn.__defaults__)
        self.kwdefaults = pickle.dumps(fn.__kwdefaults__)
        self.closure = [_carry(cell.cell_contents, fn) for cell in fn.__closure__ or ()]
        self.globals = {}
        for name in _global_names(fn.__code__):
            if name in fn.__globals__:  # else a builtin, or the name of an attribute
                try:
                    self.globals[name] = _carry(fn.__globals__[name], fn)
                except Exception:  # cannot be pickled: left out, NameError if used
                    pass
        self._fn = None

    def __getstate__(self):
        return {key: value for key, value in self.__dict__.items() if key != "_fn"}

    def __setstate__(self, state):
        self.__dict__.update(state, _fn=None)

    def function(self):
        """The function, rebuilt in this process (once)."""
        if self._fn is None:
            namespace = {"__builtins__": __builtins__, "__name__": "__main__"}
            cells = [types.CellType() for _ in self.closure]
            fn = types.FunctionType(
                marshal.loads(self.code),
                namespace,
                self.name,
                pickle.loads(self.defaults),
                tuple(cells) or None,
            )
            fn.__kwdefaults__ = pickle.loads(self.kwdefaults)
            self._fn = fn  # before the globals, so that a recursive function finds itself
            for cell, carried in zip(cells, self.closure, strict=True):
                cell.cell_contents = _uncarry(carried, fn)
            for name, carried in self.globals.items():
                namespace[name] = _uncarry(carried, fn)
        return self._fn

    def __call__(self, *args, **kwargs):
        return self.function()(*args, **kwargs)


def _carry(value, fn) -> tuple[str, Any]:
    """``value``, as ``fn`` uses it, in a form that pickles: see :class:`ByValue`."""
    if value is fn:
        return ("itself", None)
    if isinstance(value, types.ModuleType):
        return ("module", value.__name__)
    if isinstance(value, types.FunctionType) and _is_local(value):
        return ("function", ByValue(value))
    return ("value", pickle.dumps(value))


def _uncarry(carried: tuple[str, Any], fn):
    import importlib

    kind, value = carried
    if kind == "itself":
        return fn
    if kind == "module":
        return importlib.import_module(value)
    if kind == "function":
        return value.function()
    return pickle.loads(value)


def portable(fn):
    """``fn`` in a form spawned processes can call: a :class:`ByValue` when it was defined in a
    notebook (or inside another function), else ``fn`` itself, which pickles by reference."""
    if isinstance(fn, types.FunctionType) and _is_local(fn):
        return ByValue(fn)
    return fn


def _is_local(fn) -> bool:
    """True for a function another process cannot import by name (a notebook's, a nested one)."""
    module = getattr(fn, "__module__", None)
    return module in (None, "__main__") or "<locals>" in getattr(fn, "__qualname__", "<locals>")


def _global_names(code) -> set[str]:
    """Every name ``code`` and the code nested in it (inner functions, comprehensions) look up."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names
