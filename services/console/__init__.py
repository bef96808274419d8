"""The dispatch console: a WSGI application (Flask) for dispatch centres, handling units,
supervisors and agents, with a JSON API (OpenAPI at /api/openapi.json) and Open311
GeoReport v2 routes. It holds no data: every read and action is an RPC to the services."""
