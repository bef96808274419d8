"""``nameko`` (its command line: ``run --config deploy/<name>.yml services.<name>.service``)
as a service's process is started by the launcher: through this package, so that its
warning filters (services/__init__.py) are in place before nameko's ``run`` imports
eventlet, whose deprecation notice would otherwise open every service's log; and with
the cycle collector set for answers that keep time (collector_for_answers)."""
from __future__ import annotations

import gc
import importlib
import sys

import services  # noqa: F401 - the filters, before nameko imports eventlet

# Container objects allocated (less those freed) before the youngest generation is
# collected. Python's 700 is passed within one answer: dispatch's queue of 300 tickets
# decodes some 30,000 containers, so collections ran mid-answer, kept its documents alive
# into the older generations, and every hundred calls or so a full collection walked
# every object of the process: 25-60 ms, the slowest 1% of the queue's answers. Nearly
# everything an answer makes is freed by its reference count, so at 10,000 the
# collector seldom runs at all (measured on the queue: none in 500 answers).
YOUNGEST_THRESHOLD = 10_000


def collector_for_answers(service_module: str | None) -> None:
    """The service's code imported (``service_module``, if named), then the collector
    set for answers (tune_collector). eventlet patches the standard library first, as
    nameko's ``run`` does before it imports anything: a module's locks and thread-locals
    must be green ones, each worker's own."""
    import eventlet

    eventlet.monkey_patch()
    if service_module:
        try:
            importlib.import_module(service_module)
        except ImportError:
            pass  # nameko's run says what is missing, as it does without this
    tune_collector()


def tune_collector() -> None:
    """What the process holds now kept out of every later collection (gc.freeze: modules,
    classes and schemas live as long as the process, and a full collection need not walk
    them), and the youngest generation collected at YOUNGEST_THRESHOLD. For any process
    that waits on answers too: a console worker, the bench's reader (whose own full
    collections, every eighty queues of 300 rows or so, were the slowest 1% it measured)."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNGEST_THRESHOLD, older, oldest)


def main() -> int:
    from nameko.cli.main import main as nameko

    arguments = sys.argv[1:]
    if arguments[:1] == ["run"]:
        collector_for_answers(arguments[-1] if arguments[-1].startswith("services.") else None)
    sys.argv[0] = "nameko"
    return nameko()


if __name__ == "__main__":
    sys.exit(main())
