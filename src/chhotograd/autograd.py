"""The graph machinery: grad mode, the topological order, the backward loop, DOT pictures.

Nothing here knows any operation. A node is any object with these attributes, which
:class:`chhotograd.Tensor` provides:

- ``data`` (ndarray) and ``grad`` (ndarray or None);
- ``requires_grad`` (bool);
- ``_parents``: the tensors the node was computed from (empty for a leaf);
- ``_backward``: None for a leaf, else a function ``g -> grads`` that takes the gradient of
  the final output with respect to this node (same shape as ``data``) and returns one gradient
  per parent (same shape as that parent), or None for a parent that needs none;
- ``_op``: a short name of the operation, for error messages and pictures;
- ``_retains_grad``: True when a non-leaf should keep its gradient in ``grad``.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

# Read by every operation: when False, results are recorded without parents or a backward rule.
_grad_enabled = True


@contextmanager
def no_grad():
    """Within this block (or decorated function) operations record no graph.

    Results have ``requires_grad=False``; use it for evaluation and for optimizer updates.
    """
    global _grad_enabled
    previous = _grad_enabled
    _grad_enabled = False
    try:
        yield
    finally:
        _grad_enabled = previous


def is_grad_enabled() -> bool:
    """True unless inside :func:`no_grad`."""
    return _grad_enabled


def topological_order(root) -> list:
    """Every node that ``root`` depends on through ``requires_grad`` edges, root included.

    Each node comes after all of its parents. The depth-first search keeps its own stack, so a
    chain of any length works (a recursive version stops at Python's recursion limit, ~1000).
    """
    order = []
    visited = set()
    stack = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        # Come back to this node once everything pushed above it (its parents) is placed.
        stack.append((node, True))
        for parent in node._parents:
            if parent.requires_grad and id(parent) not in visited:
                stack.append((parent, False))
    return order


def backward(root, seed: np.ndarray) -> None:
    """Add d(root)/d(leaf), weighted by ``seed``, into ``.grad`` of every leaf behind ``root``.

    ``seed`` has ``root``'s shape. Each node's gradient is the sum over its children, so a node
    is processed only after all its children: the reverse of the topological order.
    """
    grads = {id(root): seed}
    for node in reversed(topological_order(root)):
        g = grads.pop(id(node), None)
        if g is None:  # every path to root went through a rule that returned None
            continue
        if node._backward is None or node._retains_grad:
            _store_grad(node, g)
        if node._backward is None:
            continue
        for parent, parent_grad in zip(node._parents, node._backward(g), strict=True):
            if parent_grad is None or not parent.requires_grad:
                continue
            if np.shape(parent_grad) != parent.data.shape:
                raise RuntimeError(
                    f"the backward rule of {node._op!r} returned a gradient of shape "
                    f"{np.shape(parent_grad)} for an input of shape {parent.data.shape}"
                )
            key = id(parent)
            # Out of place: parent_grad may be the very array another input also received.
            grads[key] = parent_grad if key not in grads else grads[key] + parent_grad


def _store_grad(node, g) -> None:
    """Add ``g`` into ``node.grad``, in the node's dtype."""
    g = np.asarray(g, dtype=node.data.dtype)
    # Copy the first gradient, so that each .grad is an array of its own: g may be the caller's
    # seed, the very array another input received too (a + b hands both the same g), or a view
    # (reshape). A later gradient is added out of place, which makes a new array anyway.
    node.grad = g.copy() if node.grad is None else node.grad + g


def to_dot(root, names: dict | None = None) -> str:
    """Graphviz DOT text of the graph that produced ``root``: one box per tensor, with its
    operation (or its name from ``names``, a mapping name -> tensor), shape and dtype, and an
    arrow from each input to the result. Render it with any Graphviz viewer.
    """
    label_of = {id(t): name for name, t in (names or {}).items()}
    # Walk every parent, including constants, so the picture shows the whole computation.
    order, seen, stack = [], set(), [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        order.append(node)
        stack.extend(node._parents)
    number = {id(node): i for i, node in enumerate(reversed(order))}
    lines = ["digraph chhotograd {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
    for node in reversed(order):
        title = label_of.get(id(node)) or node._op or ("leaf" if node.requires_grad else "const")
        shape = "×".join(str(n) for n in node.data.shape) or "scalar"
        style = ', style=filled, fillcolor="#dbeafe"' if node.requires_grad else ""
        label = f"{title}\\n{shape} {node.data.dtype}".replace('"', '\\"')
        lines.append(f'  t{number[id(node)]} [label="{label}"{style}];')
        for parent in node._parents:
            lines.append(f"  t{number[id(parent)]} -> t{number[id(node)]};")
    lines.append("}")
    return "\n".join(lines) + "\n"
