"""CMATERdb 3.1.1: 6,000 handwritten Bengali digits ০–৯, 32×32 colour images (chapters 7–8)."""

from __future__ import annotations

import numpy as np

from .store import DataError, RemoteFile, fetch, load_npz

CMATERDB_URL = (
    "https://raw.githubusercontent.com/prabhuomkar/CMATERdb/master/datasets/bangla-numerals/"
)
CMATERDB_FILES = {
    "train": RemoteFile(
        "cmaterdb-bangla-numerals/training-images.npz",
        CMATERDB_URL + "training-images.npz",
        489_289,
        "502957392649eecad013ac425b54fecc6d06dbc06bc647a46b0cfc6b96e2c130",
    ),
    "test": RemoteFile(
        "cmaterdb-bangla-numerals/testing-images.npz",
        CMATERDB_URL + "testing-images.npz",
        98_295,
        "d1c9780ba5decc135175a021bd29961cd7316db009f428d8c04b84ba36a6d67a",
    ),
}
BENGALI_DIGITS = "০১২৩৪৫৬৭৮৯"
CMATERDB_CREDIT = (
    "CMATERdb 3.1.1 handwritten Bengali numerals, CMATER (Center for Microprocessor Applications "
    "for Training Education and Research), Jadavpur University, Kolkata; free for non-commercial "
    "use. Das et al., 'A genetic algorithm based region sampling for selection of local features "
    "in handwritten digit recognition application', Applied Soft Computing 12(5), 2012."
)


def load_cmaterdb(split: str = "train", *, download: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """CMATERdb handwritten Bengali digits ০–৯.

    Returns ``images`` of shape (N, 32, 32, 3), dtype uint8, and ``labels`` of shape (N,),
    int64 in 0..9; N is 5,000 for ``"train"`` and 1,000 for ``"test"``.
    """
    if split not in CMATERDB_FILES:
        raise ValueError(f"split={split!r}: choose 'train' or 'test'.")
    path = fetch(CMATERDB_FILES[split], download=download)
    arrays = load_npz(path, ("images", "labels"))
    images, labels = arrays["images"], arrays["labels"]
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1:] != (32, 32, 3):
        raise DataError(f"{path}: images have shape {images.shape} and dtype {images.dtype}.")
    if labels.shape != (images.shape[0],) or labels.min() < 0 or labels.max() > 9:
        raise DataError(f"{path}: labels have shape {labels.shape}, range outside 0..9.")
    return images, labels.astype(np.int64)
