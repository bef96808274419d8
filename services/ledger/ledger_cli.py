"""What the ledger's command lines share: a call over RPC to the running system, its
refusals and silence turned into an exit status and a line on standard error."""
from __future__ import annotations

import os
import sys
from typing import Any, Callable

from nameko.exceptions import RpcTimeout, UnknownService

from services.shared.errors import HotlineError, InvalidRequest

DEFAULT_AMQP_URI = os.environ.get("AMQP_URI", "pyamqp://guest:guest@localhost:5672/")
REFUSED, SILENT = 2, 3  # exit statuses: a refused call; the ledger does not answer


def over_rpc(prog: str, amqp_uri: str, timeout: int, work: Callable[[Any], int]) -> int:
    """``work(rpc)``'s exit status, or REFUSED (InvalidRequest and the other documented
    errors, each field's messages printed) or SILENT (no ledger at ``amqp_uri``)."""
    from nameko.standalone.rpc import ClusterRpcProxy

    try:
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=timeout) as rpc:
            return work(rpc)
    except InvalidRequest as error:
        for field, messages in error.errors.items():
            print(f"{prog}: {field}: {' '.join(map(str, messages))}", file=sys.stderr)
        return REFUSED
    except HotlineError as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return REFUSED
    except (UnknownService, RpcTimeout, OSError) as error:
        print(f"{prog}: the ledger does not answer ({type(error).__name__}: {error}); "
              f"is the system up (make run) at {amqp_uri}?", file=sys.stderr)
        return SILENT
