"""What the services answer over RPC, one marshmallow schema per answer: the shape of every
answer that consoles and integrators read from intake, dispatch, callback and the ledger's
ticket and record RPCs (one module per service).

A service builds its answer by dumping it with the schema (``SCHEMA.dump(answer)``), so
only the fields declared here leave it; the console describes the same answer with the
same schema in its OpenAPI (flask-smorest's ``@blp.response``). A field renamed, added or
dropped here is a change of the published API, and only here can it change.
"""
