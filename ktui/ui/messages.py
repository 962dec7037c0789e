"""Small messages from the cluster layer to the app, and from the app to the screens."""

from __future__ import annotations

from collections.abc import Callable

from textual.message import Message

from ktui.cluster.batcher import ChangeBatch
from ktui.model.read_ahead import BatchFacts
from ktui.model.workloads import TreeChanges


class BatchArrived(Message):
    """Posted by the batcher thread to the app: a coalesced batch from the watch caches, with
    what the model reads of its objects, read on that thread (`ktui.model.read_ahead`; None:
    the model reads it when it applies the batch)."""

    def __init__(
        self, generation: int, batch: ChangeBatch, facts: BatchFacts | None = None
    ) -> None:
        super().__init__()
        self.generation = generation
        self.batch = batch
        self.facts = facts


class ClusterChanged(Message):
    """The app applied a batch to its model (`app.model`); screens update from the model.

    `ack` tells the cache the batch is on screen; only the main screen calls it, once it drew
    the batch, and only then is the next batch built (the one back-pressure of the pipeline).
    """

    def __init__(self, batch: ChangeBatch, changes: TreeChanges, ack: Callable[[], None]) -> None:
        super().__init__()
        self.batch = batch
        self.changes = changes
        self.ack = ack


class ScopeChanged(Message):
    """The namespace or context changed: screens drop what they show and reload."""

    def __init__(self, new_cluster: bool = False) -> None:
        super().__init__()
        self.new_cluster = new_cluster
        """Another context (another cluster, or other credentials): what was known of the
        old one (its namespaces) does not hold."""


class RetryRequested(Message):
    """The user asked to retry now (ctrl+r): screens reopen what ended (log streams)."""
