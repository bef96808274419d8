"""callback: phones the caller back after a ticket is resolved (回访).

It keeps callback tasks, their attempts and results. Automated callback workers claim
due tasks over RPC, place the call through a dialer adapter and report the outcome;
the service says ``callback_scheduled`` and ``callback_completed``."""
