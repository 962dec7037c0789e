"""The `:` command words: what the main screen runs, what tab completes, what `?` lists.

Kind words come from the kind registry (`ktui.cluster.kinds`), so a kind added there is a
command, a completion and a help line without an edit here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ktui.cluster.kinds import KINDS_BY_NAME, WORKLOAD_KINDS

POD_VIEW = "Pod"
"""The kind filter of the Pods view: the first pane lists every pod in scope, whatever owns it."""
ALL_WORKLOADS_WORDS = ("all", "workloads")
"""Command words that show every workload kind at once."""
PROBLEMS_WORDS = ("problems", "pu")
MESSAGES_WORDS = ("messages", "msg")
NAMESPACE_WORDS = ("ns", "namespace", "namespaces")
CONTEXT_WORDS = ("ctx", "context", "contexts")
QUIT_WORDS = ("q", "quit")

VIEW_KINDS: tuple[str, ...] = (*WORKLOAD_KINDS, POD_VIEW)
"""The kinds a command word can show in the first pane."""


def kind_words(kind: str) -> tuple[str, ...]:
    """The words of one kind, shortest first (`sts`, `statefulset`, `statefulsets`)."""
    return tuple(sorted(KINDS_BY_NAME[kind].names, key=lambda w: (len(w), w)))


def command_words() -> list[str]:
    """Every first word of a command, in the order tab offers them."""
    words: list[str] = []
    for kind in VIEW_KINDS:
        words += kind_words(kind)
    words += [*ALL_WORKLOADS_WORDS, *PROBLEMS_WORDS, *MESSAGES_WORDS]
    words += [*NAMESPACE_WORDS, *CONTEXT_WORDS]
    words += QUIT_WORDS
    return list(dict.fromkeys(words))


def complete_command(text: str, namespaces: Iterable[str], contexts: Iterable[str]) -> list[str]:
    """The completions of the command text before the cursor (no leading `:`): each is the
    whole text with its last word completed. Kind words first; after `ns` (or a kind word) the
    namespaces and `all`; after `ctx` the kubeconfig's contexts."""
    stripped = text.lstrip(":")
    lead = text[: len(text) - len(stripped)]
    words = stripped.split(" ")
    last = words[-1]
    head = words[0].lower()
    if len(words) == 1:
        candidates: Sequence[str] = command_words()
    elif len(words) == 2 and head in CONTEXT_WORDS:
        candidates = list(contexts)
    elif len(words) == 2 and (head in NAMESPACE_WORDS or _is_view_word(head)):
        candidates = ["all", *sorted(set(namespaces))]
    else:
        return []
    prefix = " ".join(words[:-1]) + (" " if len(words) > 1 else "")
    return [
        f"{lead}{prefix}{word}"
        for word in candidates
        if word.lower().startswith(last.lower()) and word != last
    ]


def _is_view_word(word: str) -> bool:
    return word in ALL_WORKLOADS_WORDS or any(word in kind_words(k) for k in VIEW_KINDS)


def command_help() -> list[tuple[str, str]]:
    """(command, what it does) for `?`."""
    rows = [(":" + " :".join(kind_words(k)), f"show {KINDS_BY_NAME[k].label}") for k in VIEW_KINDS]
    rows[-1] = (rows[-1][0], "the Pods view: every pod in scope, whatever owns it")
    rows += [
        (":" + " :".join(ALL_WORKLOADS_WORDS), "show every workload kind"),
        (":" + " :".join(PROBLEMS_WORDS), "triage: what is not fine, worst first"),
        (":" + " :".join(MESSAGES_WORDS), "every message of this run (toasts go), newest first"),
        (":ns NAME  :ns all", "switch namespace (all: every namespace)"),
        (":deploy NS", "a kind word then a namespace: both at once"),
        (":ctx NAME  :ctx", "switch context (alone: list the contexts)"),
        (":q  :quit", "quit"),
        ("tab", "in the : bar, complete a kind, namespace or context"),
    ]
    return rows
