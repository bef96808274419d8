"""ledger: the append-only record of every event the other services say, and the read
models built from it: one ticket's timeline and the district's indicators."""
