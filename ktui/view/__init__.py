"""Headless view layer: pure functions from Kubernetes objects (plain dicts) to what panes show.

Nothing here does I/O or imports textual; every function takes the objects and, where an age is
involved, the current time, so the same input always renders the same output.
"""
