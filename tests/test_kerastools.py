"""coursekit.kerastools.print_history: the per-epoch lines chapters 10-12 print."""

from __future__ import annotations

import pytest

from coursekit.kerastools import history_lines, print_history

HISTORY = {
    "loss": [1.4321, 1.2],
    "accuracy": [0.381, 0.5],
    "learning_rate": [0.01, 0.008],
    "val_loss": [1.29, 1.1],
    "val_accuracy": [0.45, 0.5],
}


class FakeFit:  # what model.fit returns: an object with a .history dict
    history = HISTORY


def test_known_columns_in_a_fixed_order_in_both_languages(capsys):
    print_history(FakeFit(), "en")
    assert capsys.readouterr().out.splitlines() == [
        "epoch  1: learning rate 1.0e-02, loss 1.432, accuracy 0.381   "
        "validation: loss 1.290, accuracy 0.450",
        "epoch  2: learning rate 8.0e-03, loss 1.200, accuracy 0.500   "
        "validation: loss 1.100, accuracy 0.500",
    ]
    assert history_lines(HISTORY, "bn")[0] == (
        "এপক  1: লার্নিং রেট 1.0e-02, লস 1.432, অ্যাকুরেসি 0.381   ভ্যালিডেশন: লস 1.290, অ্যাকুরেসি 0.450"
    )


def test_columns_pick_and_order_and_unknown_metrics_keep_their_names():
    history = {"loss": [1.0], "auc": [0.75], "val_cross_entropy": [0.9], "val_loss": [0.95]}
    assert history_lines(history, columns=["val_cross_entropy", "loss"]) == [
        "epoch  1: loss 1.000   validation: cross-entropy 0.900"
    ]
    assert history_lines(history)[0].startswith("epoch  1: loss 1.000, auc 0.75   ")


@pytest.mark.parametrize(
    ("history", "columns", "error", "words"),
    [
        ({}, None, ValueError, "recorded no epoch"),
        ({"loss": []}, None, ValueError, "recorded no epoch"),
        ({"loss": [1.0, 2.0], "val_loss": [1.0]}, None, ValueError, "different lengths"),
        (HISTORY, ["val_auc"], ValueError, "no column 'val_auc'"),
        ([1.0, 2.0], None, TypeError, "what model.fit returns"),
    ],
)
def test_bad_histories_are_refused_with_a_clear_message(history, columns, error, words):
    with pytest.raises(error, match=words):
        history_lines(history, "en", columns)
    with pytest.raises(error):
        history_lines(history, "bn", columns)


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError, match="not one of the course's languages"):
        history_lines(HISTORY, "fr")
