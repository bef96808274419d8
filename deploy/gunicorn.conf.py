# gunicorn for the dispatch console:
#   gunicorn -c deploy/gunicorn.conf.py services.console.wsgi:app
# Each worker keeps one RPC connection to the services (services/console/rpc.py).
import os

bind = os.environ.get("CONSOLE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("CONSOLE_WORKERS", "2"))
worker_class = "sync"
timeout = 30
graceful_timeout = 10
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
proc_name = "hotline-console"
