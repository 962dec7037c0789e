"""Small messages from the cluster layer to the screens."""

from __future__ import annotations

from textual.message import Message

from ktui.cluster.batcher import ChangeBatch


class ClusterChanged(Message):
    """A coalesced batch of changes from the watch caches."""

    def __init__(self, generation: int, batch: ChangeBatch) -> None:
        super().__init__()
        self.generation = generation
        self.batch = batch


class ScopeChanged(Message):
    """The namespace or context changed: screens drop what they show and reload."""

    def __init__(self, generation: int) -> None:
        super().__init__()
        self.generation = generation
