"""``nameko`` (its command line: ``run --config deploy/<name>.yml services.<name>.service``)
as a service's process is started by the launcher: through this package, so that its
warning filters (services/__init__.py) are in place before nameko's ``run`` imports
eventlet, whose deprecation notice would otherwise open every service's log."""
from __future__ import annotations

import sys

import services  # noqa: F401 - the filters, before nameko imports eventlet


def main() -> int:
    from nameko.cli.main import main as nameko

    sys.argv[0] = "nameko"
    return nameko()


if __name__ == "__main__":
    sys.exit(main())
