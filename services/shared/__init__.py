"""What the services share, and so the published contract: the event envelope, payload
schemas, the states and their words, the schema of every RPC answer (answers/), the
directory, the ticket request and the account schemas, error types, the storage
connection, the outbox and the clock.

Changing anything here is changing the API that the services and integrators rely on.
"""
