"""A broker's address as the parts are given it: one AMQP URI, or a cluster's nodes' URIs
joined with ';' (kombu's failover list: a client connects to the first that answers and
goes on to the next when its node dies). Each URI carries its user's password; anything
that shows an address (a log, a command line's error) shows it ``without_passwords``."""
from __future__ import annotations

import re

# ://user:password@ of each URI of the list; greedy within one URI, so that a password
# holding an '@' is masked whole
_PASSWORD = re.compile(r"(://[^:/@;]*:)[^;]*@")


def without_passwords(amqp_uri: str) -> str:
    """``amqp_uri`` (one, or a list joined with ';') with every password masked."""
    return _PASSWORD.sub(r"\1********@", amqp_uri)
