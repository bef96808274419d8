"""callback: phones the caller back after a ticket is resolved (回访), and phones the
register's residents on their check-in plans (定时探访电话).

It keeps callback and check-in tasks, their attempts and results, and each resident's
plan as the ledger last said it. Automated callback workers claim due tasks of both
kinds over RPC, place the call through a dialer adapter and report the outcome; the
service says ``callback_scheduled`` and ``callback_completed``, and ``checkin_scheduled``,
``checkin_answered`` and ``checkin_missed``."""
