"""Headless pane models, fed only by the cache's change batches (no Textual, no I/O).

`ObjectMirror` holds what the batches delivered, with an ownership index built from the same
batches, so everything the screens read is exactly as consistent as the last batch applied.
`WorkloadTree` is the model of the main screen's three linked panes on top of it.
"""
