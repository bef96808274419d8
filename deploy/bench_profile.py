"""`make bench --profile`: where the services' time goes under the pipeline's load.

py-spy samples each service of PROFILED (its process, without pausing it: --nonblocking)
while the rates are offered, twice over: a flame graph (var/bench/<service>-flame.svg)
to look at, and the stacks as text (var/bench/<service>-stacks.txt, py-spy's "raw"
format: one stack a line with its samples) that ``top_frames`` sums into the frames the
samples were in (self) and the project's frames under which they were (total), by share.
"""
from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROFILED = ("intake", "dispatch", "ledger", "callback")
SHOWN = 8  # frames printed per service
LINE = re.compile(r":\d+\)$")  # "create_ticket (services/intake/service.py:137)"


def py_spy() -> str:
    return str(Path(sys.executable).parent / "py-spy")


def record(pid: int, stem: Path) -> list[subprocess.Popen]:
    """py-spy recording process ``pid`` into ``stem``-flame.svg and ``stem``-stacks.txt
    until ``finish``."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("flame.svg", "stacks.txt"):  # a last run's, never taken for this one's
        Path(f"{stem}-{suffix}").unlink(missing_ok=True)
    return [subprocess.Popen([py_spy(), "record", "--pid", str(pid), "--nonblocking",
                              "--format", form, "-o", f"{stem}-{suffix}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for form, suffix in (("flamegraph", "flame.svg"), ("raw", "stacks.txt"))]


def finish(recorders: list[subprocess.Popen], stem: Path | None = None) -> dict:
    """Stop the recorders (py-spy writes its files on SIGINT); the top frames of the
    stacks written at ``stem``, if given."""
    for recorder in recorders:
        if recorder.poll() is None:
            recorder.send_signal(signal.SIGINT)
    for recorder in recorders:
        try:  # a busy machine's py-spy takes a while to write
            recorder.wait(timeout=120)
        except subprocess.TimeoutExpired:
            recorder.kill()
    if stem is None:
        return {}
    stacks, flame = Path(f"{stem}-stacks.txt"), Path(f"{stem}-flame.svg")
    if not stacks.exists():
        return {"samples": 0, "self": [], "total": [],
                "flame_graph": "none written (py-spy did not finish)"}
    # a frame's text may end in a character cut in two
    figures = top_frames(stacks.read_text(encoding="utf-8", errors="replace"))
    return {**figures, "flame_graph": str(flame.relative_to(ROOT)) if flame.exists()
            else "none written (py-spy did not finish)"}


def top_frames(raw: str, shown: int = SHOWN) -> dict:
    """From py-spy's raw stacks ("a;b;c 12" a line, the leaf last), each frame taken by
    its function (the lines of one function summed): the samples, the ``shown`` frames
    with the largest share of them as the frame running (self), and the project's own
    frames (services/) with the largest share anywhere in the stack (total), each as
    [frame, share in %]."""
    own: Counter[str] = Counter()
    anywhere: Counter[str] = Counter()
    samples = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [LINE.sub(")", frame) for frame in stack.split(";")]  # by function
        samples += int(count)
        own[frames[-1]] += int(count)
        for frame in set(frames):
            anywhere[frame] += int(count)

    def shares(counted: Counter[str]) -> list[list]:
        return [[frame, round(100 * count / samples, 1)]
                for frame, count in counted.most_common(shown)] if samples else []
    ours = Counter({frame: count for frame, count in anywhere.items()
                    if "services/" in frame})
    return {"samples": samples, "self": shares(own), "total": shares(ours)}
