"""What the ledger's command lines share: a call over RPC to the running system, its
refusals and silence turned into an exit status and a line on standard error."""
from __future__ import annotations

import os
from typing import Any, Callable

from services.agent_cli import answer_of

DEFAULT_AMQP_URI = os.environ.get("AMQP_URI", "pyamqp://guest:guest@localhost:5672/")


def over_rpc(prog: str, amqp_uri: str, timeout: int, work: Callable[[Any], int]) -> int:
    """``work(rpc)``'s exit status, or 2 (refused) / 3 (no answer) as every command line
    of the project answers them (services/agent_cli.answer_of)."""
    from nameko.standalone.rpc import ClusterRpcProxy

    def call() -> int:
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=timeout) as rpc:
            return work(rpc)

    status, answer = answer_of(prog, amqp_uri, call, silent="the ledger does not answer")
    return answer if status == 0 else status
