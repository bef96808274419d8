# gunicorn for the dispatch console:
#   gunicorn -c deploy/gunicorn.conf.py services.console.wsgi:app
# Each worker keeps one RPC connection to the services (services/console/rpc.py).
import importlib.util
import os
from pathlib import Path

bind = os.environ.get("CONSOLE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("CONSOLE_WORKERS", "2"))
worker_class = "sync"
timeout = 30
graceful_timeout = 10
accesslog = "-"
# The path without its query: an Open311 client may put its api_key there, and a token
# must never reach a log.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s"'
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
proc_name = "hotline-console"


def _with_parent():
    """deploy/with_parent.py, found beside this file wherever gunicorn runs from."""
    spec = importlib.util.spec_from_file_location(
        "hotline_with_parent", Path(__file__).resolve().with_name("with_parent.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_ending = _with_parent()


def post_fork(server, worker):
    # A worker ends with its master, even one killed with -9 (on Linux). Else it serves on
    # until it notices, up to half the timeout later, holding the console's port: a master
    # started again in its place could not bind it.
    _ending.end_with(server.pid)


def post_worker_init(worker):
    # The app loaded: what it holds kept out of the collector's walks, and the youngest
    # generation collected less often (services/service_process.py: a queue page decodes
    # some 30,000 objects of the dispatch's answer).
    from services.service_process import tune_collector

    tune_collector()
