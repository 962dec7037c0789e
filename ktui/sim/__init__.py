"""The embedded cluster: an API-compatible HTTP server (server.py) over an in-process store
(store.py), with the controllers and node agent that make it behave like a cluster."""
