"""12345 hotline work orders: intake, dispatch, callback and ledger services."""
