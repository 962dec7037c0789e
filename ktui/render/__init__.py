"""Pure Rich renderings of ktui's data: plain values in, Rich renderables (Text, Table, Group) out.

Headless like `ktui.cluster` and `ktui.view`: nothing here imports Textual, so every picture the
screens show can be rendered and checked with a plain `rich.console.Console`. The view layer
decides *what* an object is; this package decides how it looks; `ktui.ui` only places it.

- `cells`: coloured statuses, health, phase bars, container badges, ticking time cells.
- `header`: the header's cluster line and the state of each watch.
- `rollout`: rollout status bars, template diffs, a revision's detail.
- `timeline`: a pod's lifecycle as a picture (lanes of container runs, condition ticks, axis).
- `containers`: a pod's containers in their three groups (init, sidecars, regular).
- `pod`: the pod detail screen's title and notices.
- `events`: the cells of an event row and the events screen's title.
- `describe`: kubectl-describe-like text and highlighted YAML of any object.
"""
