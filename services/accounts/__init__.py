"""accounts: the people who use the console (their roles and the units they serve) and
the programs that call on their behalf (API tokens). It signs them in, and says
``account_changed``. It names the units of dispatch's directory, and asks dispatch about
them (RPC), never its database."""
