"""The course's data sets, one module each, and the one way they are found and verified.

- :mod:`~coursekit.data.store`: where files are looked for (``COURSE_DATA_DIR``, the cache, the
  download address), size and sha256 checks, :class:`DataError` (and :class:`CacheNotWritable`
  for a cache that cannot be written).
- :mod:`~coursekit.data.diabetes`: the diabetes study shipped with scikit-learn (chapters 1, 6).
- :mod:`~coursekit.data.cmaterdb`: CMATERdb handwritten Bengali digits (chapters 7, 8).
- :mod:`~coursekit.data.flowers`: TensorFlow's flower photos (chapters 10-12); the checksums
  and licence it ships sit in ``flower_files/``.

The names chapters import are available from here: ``from coursekit.data import diabetes_xy``.
"""

from __future__ import annotations

from .cmaterdb import BENGALI_DIGITS, CMATERDB_CREDIT, load_cmaterdb
from .diabetes import DIABETES_FEATURES, diabetes_xy
from .store import CacheNotWritable, DataError, RemoteFile, cache_dir, fetch, search_dirs

__all__ = [
    "BENGALI_DIGITS",
    "CMATERDB_CREDIT",
    "CacheNotWritable",
    "DIABETES_FEATURES",
    "DataError",
    "RemoteFile",
    "cache_dir",
    "diabetes_xy",
    "fetch",
    "load_cmaterdb",
    "search_dirs",
]
