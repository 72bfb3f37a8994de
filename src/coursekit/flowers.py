"""Old home of :mod:`coursekit.data.flowers`, kept so notebooks saved before December 2026 still
run: ``coursekit.flowers`` is that module itself, not a copy."""

import sys

from .data import flowers

sys.modules[__name__] = flowers
