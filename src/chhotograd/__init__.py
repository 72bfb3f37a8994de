"""chhotograd ("ছোট" = small): the course's own small autograd library.

A NumPy array that remembers how it was computed (:class:`Tensor`), the reverse-mode walk that
turns that record into gradients, and just enough of ``torch.nn`` and ``torch.optim`` to train
networks, with PyTorch's names so that what you learn here transfers::

    import chhotograd as cg
    x = cg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    x.grad  # array([2., 4., 6.], dtype=float32)

Modules: :mod:`~chhotograd.engine` (the operations and their backward rules),
:mod:`~chhotograd.autograd` (the graph walk), :mod:`~chhotograd.functional` (neural-network
operations), :mod:`~chhotograd.nn`, :mod:`~chhotograd.optim`, and :mod:`~chhotograd.calculus`
(``jacobian``, ``vjp`` and ``gradcheck``, for any function from tensors to a tensor).

As in ``torch``, the package itself offers new tensors (``tensor``, ``zeros``, ``ones``,
``randn``, ``arange``, ``zeros_like``, ``ones_like``, ``randn_like``, from
:mod:`~chhotograd.creation`) and operations on several tensors (``cat``, ``stack``, ``where``,
``maximum``, ``minimum``). Tensor methods beyond arithmetic: ``sum``, ``mean``, ``max``, ``min``,
``argmax``, ``argmin``, ``logsumexp``, ``exp``, ``log``, ``sqrt``, ``abs``, ``tanh``,
``sigmoid``, ``relu``, ``clip`` (``clamp``), ``reshape``, ``permute``, ``transpose``, ``T``,
``flatten``, ``squeeze``, ``unsqueeze`` and indexing.
"""

from . import calculus, creation, functional, nn, optim
from .autograd import is_grad_enabled, no_grad, to_dot
from .calculus import GradcheckError, gradcheck, jacobian, vjp
from .creation import arange, ones, ones_like, randn, randn_like, zeros, zeros_like
from .engine import Tensor, cat, maximum, minimum, stack, tensor, where
from .nn import manual_seed

__version__ = "0.1.0"

__all__ = [
    "GradcheckError",
    "Tensor",
    "arange",
    "calculus",
    "cat",
    "creation",
    "functional",
    "gradcheck",
    "is_grad_enabled",
    "jacobian",
    "manual_seed",
    "maximum",
    "minimum",
    "nn",
    "no_grad",
    "ones",
    "ones_like",
    "optim",
    "randn",
    "randn_like",
    "stack",
    "tensor",
    "to_dot",
    "vjp",
    "where",
    "zeros",
    "zeros_like",
]
