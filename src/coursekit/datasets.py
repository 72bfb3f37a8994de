"""Old home of the data helpers, kept so notebooks saved before December 2026 still run.

New code imports from :mod:`coursekit.data`.
"""

from __future__ import annotations

from .data.cmaterdb import BENGALI_DIGITS, CMATERDB_CREDIT, CMATERDB_FILES, load_cmaterdb  # noqa: F401
from .data.store import DataError, RemoteFile, cache_dir, fetch, load_npz, search_dirs  # noqa: F401
from .files import sha256_of  # noqa: F401
