"""coursekit.ddp: two processes under DistributedDataParallel take the same step as one process on
the whole global batch, the comparison notices when the all-reduce is skipped, and a worker's
failure comes back as an error with its message instead of a hang.

The workers below are module-level functions: the spawned processes import this file to find
them, as they import coursekit.ddp for its own workers.
"""

from __future__ import annotations

import copy
import os
import pickle
import time

import pytest
import torch
from torch import nn

from coursekit import ddp

LR = 0.5


def _problem(seed: int = 0):
    """A small float64 CNN and a global batch of 8 images in 3 classes."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Conv2d(1, 3, kernel_size=3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 6 * 6, 3)
    ).double()
    inputs = torch.randn(8, 1, 6, 6, generator=gen, dtype=torch.float64)
    targets = torch.randint(0, 3, (8,), generator=gen)
    return model, inputs, targets


def _two_process_step(sync: bool):
    model, inputs, targets = _problem()
    loss_fn = nn.CrossEntropyLoss()
    results = ddp.launch(
        ddp.sgd_step, 2, args=(model, inputs, targets, loss_fn, LR, "gloo", sync), timeout_s=60
    )
    single = ddp.one_step(copy.deepcopy(model), inputs, targets, loss_fn, LR)
    return results, single, model


def test_two_processes_take_the_same_step_as_one_process_on_the_global_batch():
    results, single, model = _two_process_step(sync=True)
    gaps = ddp.largest_gaps(results, single)
    assert gaps["grads"] < 1e-12 and gaps["params"] < 1e-12
    assert gaps["between_ranks"] == 0.0  # every process holds the same all-reduced gradient
    # Each process took every second row, and together they saw the global batch once.
    assert results[0]["indices"].tolist() == [0, 2, 4, 6]
    assert results[1]["indices"].tolist() == [1, 3, 5, 7]
    # The step changed the weights, and the model handed to the processes stayed as it was.
    before = dict(model.named_parameters())
    assert all(not torch.equal(single["params"][k], before[k]) for k in before)
    assert torch.equal(model[0].weight, _problem()[0][0].weight)


def test_the_comparison_reports_a_step_without_the_all_reduce():
    # Under no_sync() each process keeps the gradient of its own half of the batch.
    results, single, _ = _two_process_step(sync=False)
    gaps = ddp.largest_gaps(results, single)
    assert gaps["grads"] > 1e-3 and gaps["params"] > 1e-4
    assert gaps["between_ranks"] > 1e-4


def test_largest_gaps_is_zero_for_equal_steps_and_names_any_difference():
    model, inputs, targets = _problem()
    loss_fn = nn.CrossEntropyLoss()
    single = ddp.one_step(copy.deepcopy(model), inputs, targets, loss_fn, LR)
    assert ddp.largest_gaps([single, single], single) == {
        "grads": 0.0,
        "params": 0.0,
        "between_ranks": 0.0,
    }
    other = ddp.one_step(copy.deepcopy(model), inputs[:4], targets[:4], loss_fn, LR)
    gaps = ddp.largest_gaps([single, other], single)
    assert gaps["grads"] > 1e-3 and gaps["between_ranks"] > 0


def fail_on_rank_one(rank, world_size):
    import torch.distributed as dist

    if rank == 1:
        raise ValueError("the data of rank 1 are missing")
    dist.all_reduce(torch.ones(2))  # waits for rank 1, which has left
    return rank


def test_a_worker_error_comes_back_with_its_message_not_a_hang():
    start = time.monotonic()
    with pytest.raises(
        ddp.WorkerError, match="process 1 of 2 raised ValueError: the data of rank 1"
    ):
        ddp.launch(fail_on_rank_one, 2, timeout_s=60)
    assert time.monotonic() - start < 30
    try:
        ddp.launch(fail_on_rank_one, 2, timeout_s=60)
    except ddp.WorkerError as err:
        assert (err.rank, err.error_type) == (1, "ValueError")
        assert "fail_on_rank_one" in err.details  # the worker's traceback


def sleep_forever(rank, world_size, folder):
    (folder / f"pid{rank}").write_text(str(os.getpid()))
    time.sleep(600)


def test_a_hanging_worker_times_out_and_is_stopped(tmp_path):
    start = time.monotonic()
    with pytest.raises(TimeoutError, match="not done after 8 s"):
        ddp.launch(sleep_forever, 2, args=(tmp_path,), timeout_s=8)
    assert time.monotonic() - start < 30
    pids = [int((tmp_path / f"pid{rank}").read_text()) for rank in range(2)]
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def return_rank_and_size(rank, world_size):
    import torch.distributed as dist

    return {"rank": rank, "size": world_size, "group": dist.get_world_size()}


def test_results_come_back_by_rank():
    results = ddp.launch(return_rank_and_size, 3, timeout_s=60)
    assert results == [{"rank": r, "size": 3, "group": 3} for r in range(3)]


def return_a_lambda(rank, world_size):
    return lambda: rank


def return_an_object(rank, world_size):
    return {"rank": rank, "thing": object()}


def test_a_result_that_cannot_travel_back_is_reported():
    with pytest.raises(ddp.WorkerError, match="result could not be saved"):
        ddp.launch(return_a_lambda, 2, timeout_s=60)
    with pytest.raises(ddp.WorkerError, match=r"weights_only=True\) refuses"):
        ddp.launch(return_an_object, 2, timeout_s=60)


def test_a_function_spawn_cannot_import_is_refused_before_starting():
    def nested(rank, world_size):
        return rank

    for worker in (nested, lambda rank, world_size: rank):
        with pytest.raises(ValueError, match="pickles a function by reference"):
            ddp.launch(worker, 2)


def test_free_port_can_be_bound_on_the_loopback_address():
    import socket

    port = ddp.free_port()
    with socket.socket() as sock:
        sock.bind((ddp.LOOPBACK, port))
    env = ddp.local_env(port)
    assert env["MASTER_ADDR"] == "127.0.0.1" and env["MASTER_PORT"] == str(port)


def test_gloo_stays_on_the_loopback_interface_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv("GLOO_SOCKET_IFNAME", raising=False)
    monkeypatch.setattr(ddp, "loopback_interface", lambda: "lo")
    assert ddp.local_env(1234)["GLOO_SOCKET_IFNAME"] == "lo"
    monkeypatch.setenv("GLOO_SOCKET_IFNAME", "eth7")
    assert "GLOO_SOCKET_IFNAME" not in ddp.local_env(1234) and ddp.loopback_env() == {}
    monkeypatch.delenv("GLOO_SOCKET_IFNAME")
    monkeypatch.setattr(ddp, "loopback_interface", lambda: None)
    assert ddp.loopback_env() == {}


def test_the_loopback_interface_is_found_here():
    import socket

    names = [name for _, name in socket.if_nameindex()]
    assert ddp.loopback_interface() in names


def test_nccl_and_one_process_per_gpu_where_there_are_gpus(monkeypatch):
    import torch.distributed as dist

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert ddp.backend_and_size(2) == ("gloo", 2)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 4)
    monkeypatch.setattr(dist, "is_nccl_available", lambda: True)
    assert ddp.backend_and_size(2) == ("nccl", 4)
    assert ddp.device_for(3, "nccl") == torch.device("cuda", 3)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert ddp.backend_and_size(2) == ("gloo", 2)


SCALE = 3.0


def test_by_value_rebuilds_a_function_with_its_globals_defaults_and_closure():
    import math

    offset = 0.5

    def helper(x):  # a function spawn could not import: carried by value too
        return math.sqrt(x) * SCALE

    def answer(x, power=2):
        return helper(x) ** power + offset

    carried = pickle.loads(pickle.dumps(ddp.ByValue(answer)))
    assert carried.globals == {}  # answer uses no global name; helper and offset are closed over
    assert sorted(kind for kind, _ in carried.closure) == ["function", "value"]
    inner = dict(carried.closure)["function"]
    assert inner.globals["SCALE"][0] == "value" and dict(inner.closure)["module"] == "math"
    assert carried(4.0) == answer(4.0) == 36.5
    assert carried(4.0, power=1) == 6.5
    with pytest.raises(TypeError, match="a Python function"):
        ddp.ByValue(len)


def factorial(n):
    return 1 if n <= 1 else n * factorial(n - 1)


def test_by_value_carries_a_recursive_function_and_modules_by_name():
    recursive = pickle.loads(pickle.dumps(ddp.ByValue(factorial)))
    assert recursive.globals == {"factorial": ("itself", None)}
    assert recursive(5) == 120
    uses_torch = pickle.loads(pickle.dumps(ddp.ByValue(lambda n: torch.ones(n).sum().item())))
    assert uses_torch.globals == {"torch": ("module", "torch")} and uses_torch(3) == 3.0


def test_portable_sends_only_what_spawn_cannot_import_by_value():
    assert ddp.portable(factorial) is factorial  # importable: pickled by reference
    assert ddp.portable(len) is len
    carried = ddp.portable(lambda n: factorial(n) + 1)
    assert isinstance(carried, ddp.ByValue) and pickle.loads(pickle.dumps(carried))(3) == 7
