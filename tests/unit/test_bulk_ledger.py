"""The sans-IO bookkeeping of bulk calls: outcomes, the four lists, compact success runs."""

from __future__ import annotations

import pickle

import pytest

from axhub_orm import BulkError, ConnectError, NotFoundError, ValidationError
from axhub_orm._bulk import BulkRunner, Ledger, outcome_of
from axhub_orm._errors import InternalError


def test_outcomes_follow_whether_the_request_could_have_been_written() -> None:
    """4xx and refusals before sending are failed; no answer, or a 5xx, is unknown."""
    assert outcome_of(NotFoundError("gone", code="not_found", status=404)) == "failed"
    assert outcome_of(ValidationError("bad", code="invalid_value")) == "failed"
    assert outcome_of(InternalError("boom", code="internal", status=500)) == "unknown"
    reset = ConnectError("reset", code="connection_error", request_sent=True)
    assert outcome_of(reset) == "unknown"
    refused = ConnectError("refused", code="connection_error", request_sent=False)
    assert outcome_of(refused) == "failed"
    assert outcome_of(RuntimeError("bug")) == "unknown"


def test_successes_without_results_are_kept_as_a_watermark() -> None:
    """Out-of-order completions keep only what is above the watermark, and expand in order."""
    ledger: Ledger[bool] = Ledger(keep_results=False)
    for index in [0, 2, 1, 3, 5, 4, 9, 6, 8]:
        ledger.success(index, True)
    ledger.error(7, "x", ValidationError("bad", code="invalid_value"))
    assert (ledger._below, ledger._ahead) == (10, set())
    assert [item.index for item in ledger.succeeded_items()] == [0, 1, 2, 3, 4, 5, 6, 8, 9]
    assert ledger.written == 9


def test_bulk_error_lists_every_item_once_and_pickles() -> None:
    """A broken run raises BulkError whose four lists partition the input; it round-trips."""

    def op(n: int) -> int:
        if n % 4 == 1:
            raise ValidationError("odd", code="invalid_value")
        return n

    inputs = list(range(10))
    ledger = BulkRunner(concurrency=3).run(inputs, op, keep_results=True)
    with pytest.raises(BulkError) as raised:
        ledger.raise_if_broken("demo")
    error = raised.value
    assert [i.index for i in error.failed] == [1, 5, 9]
    assert [i.input for i in error.succeeded] == [0, 2, 3, 4, 6, 7, 8]
    assert [i.result for i in error.succeeded] == [0, 2, 3, 4, 6, 7, 8]
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301  # our own bytes
    assert [i.index for i in copy.failed] == [1, 5, 9]
    assert copy.code == "bulk_incomplete"
