"""Filter keystroke -> filtered pane on screen, for ktui running in tmux, measured from outside.

    python bench/filter_keylat.py SESSION N [--base TEXT] [--key CHAR]

Opens the filter (`/`) on the focused pane, types BASE, then N times: types KEY and waits
until the pane's title shows the longer filter with a different row count, then backspace and
waits until the title shows BASE with the first count again. Each wait polls `tmux
capture-pane` (a few ms per poll, so the numbers include that much). `esc` at the end drops the
filter. Start ktui at the view to measure (e.g. `:po` on 10,000 pods), then run this.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import time

COUNT = re.compile(r"\[\d+(?: of \d+)?\]")


def capture(session: str) -> str:
    return subprocess.run(
        ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True, check=True
    ).stdout


def send(session: str, *keys: str, literal: bool = False) -> None:
    subprocess.run(["tmux", "send-keys", "-t", session, *(["-l"] if literal else []), *keys])


def title_state(screen: str, text: str) -> str | None:
    """The "[x of y]" count (or "[y]": every row matches) of the title line showing `/text`
    (and not a longer filter)."""
    for line in screen.splitlines():
        if f"/{text} " in line or line.rstrip(" ─╮").endswith(f"/{text}"):
            found = COUNT.search(line)
            if found:
                return found.group(0)
    return None


def wait(session: str, text: str, unlike: str | None, timeout: float = 10.0) -> tuple[float, str]:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        state = title_state(capture(session), text)
        if state is not None and state != unlike:
            return time.perf_counter() - start, state
        time.sleep(0.003)
    raise SystemExit(f"timed out waiting for /{text} in the title")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("session")
    parser.add_argument("n", type=int)
    parser.add_argument("--base", default="bare-0001")
    parser.add_argument("--key", default="2")
    args = parser.parse_args()
    session, base, longer = args.session, args.base, args.base + args.key
    send(session, "/")
    time.sleep(0.5)
    send(session, base, literal=True)
    _, base_state = wait(session, base, None)
    typed, erased = [], []
    for _ in range(args.n):
        start = time.perf_counter()
        send(session, args.key, literal=True)
        _, longer_state = wait(session, longer, base_state)
        typed.append(time.perf_counter() - start)
        time.sleep(0.2)
        start = time.perf_counter()
        send(session, "BSpace")
        wait(session, base, longer_state)
        erased.append(time.perf_counter() - start)
        time.sleep(0.2)
    send(session, "Escape")

    def q(values: list[float], p: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]

    print(f"filter /{base} {base_state} <-> /{longer} {longer_state}")
    for name, values in ((f"type {args.key!r}", typed), ("backspace", erased)):
        print(
            f"{name}: n={len(values)} p50={1000 * q(values, 0.5):.0f} ms "
            f"p90={1000 * q(values, 0.9):.0f} ms max={1000 * max(values):.0f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
