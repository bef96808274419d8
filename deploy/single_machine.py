"""The whole system on one machine, each part its own OS process, as in production:
the services (``nameko run``), one automated callback worker, the console (gunicorn,
http://127.0.0.1:8000/ unless CONSOLE_BIND says otherwise), then the demo data.

    python deploy/single_machine.py            # what `make run` does
    python deploy/single_machine.py --no-demo  # start empty

Logs go to var/log/<part>.log, rotated by size (LOG_MAX_BYTES, LOG_BACKUP_COUNT:
deploy/part_logs.py); the embedded store lives in var/data (MONGO_URI). A part that stops
is started again (Supervisor), as a service manager would. Ctrl-C stops every part
cleanly; the parts also end when this launcher is killed (deploy/with_parent.py).

One launcher per store: this one locks the store's directory before anything else
(deploy/run_lock.py); a second one on the same directory says which pid holds it and exits
with code 1, and the parts a launcher started hold the lock until they have ended.

Each part connects to RabbitMQ as its own user (deploy/rabbitmq/permissions.py): the
launcher, as the broker's admin (RABBIT_API, guest on localhost), makes the vhost
HOTLINE_VHOST and the users there, with passwords it makes up once and keeps in
var/broker/passwords.json; the parts never see the admin. var/broker/console.env points
the command lines (`hotline`, `hotline-admin`, `hotline-register`) at the console's user,
var/broker/operator.env `hotline-admin parked` at the operator's (the parking queues).
"""
from __future__ import annotations

import argparse
import collections
import functools
import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "deploy" / "demo"), str(ROOT / "deploy" / "rabbitmq")]
if str(ROOT / "deploy") not in sys.path:  # imported from elsewhere than as the script
    sys.path.append(str(ROOT / "deploy"))

import part_logs  # noqa: E402  deploy/part_logs.py
import permissions  # noqa: E402  deploy/rabbitmq/permissions.py
import run_lock  # noqa: E402  deploy/run_lock.py
import with_parent  # noqa: E402  deploy/with_parent.py

from services.shared import statements  # noqa: E402

SERVICES = ("intake", "dispatch", "callback", "ledger", "register", "accounts")
DEMO_PACE = {"CALLBACK_DELAY_MINUTES": "1", "CALLBACK_WINDOW_START": "00:00",
             "CALLBACK_WINDOW_END": "24:00", "CHECKIN_RETRY_MINUTES": "1"}
DEFAULTS = {
    "MONGO_URI": "litemongo:var/data",
    "CONSOLE_BIND": "127.0.0.1:8000",
    # Plain http on localhost: the session cookie is not marked Secure, no HSTS (README,
    # "Behind HTTPS"); unset it where the console is reached over HTTPS.
    "CONSOLE_PLAIN_HTTP": "1",
}
BROKER = {  # where the broker is, and its admin (used by this launcher only)
    "RABBIT_AMQP": "pyamqp://localhost:5672",
    "RABBIT_API": "http://guest:guest@localhost:15672",
    "HOTLINE_VHOST": "hotline",
}
BROKER_DIR = ROOT / "var" / "broker"
# How a part is told to stop, by stop() and by the kernel when this launcher ends (start):
# SIGINT, as Ctrl-C in a terminal of its own. Not SIGTERM: the kernel may send its signal
# more than once, and `nameko run` told SIGTERM, then anything more while it stops, waits
# for ever; told SIGINT twice, it kills its workers and ends. The callback worker takes it
# as "finish the call, then stop"; gunicorn as a quick shutdown.
STOP_SIGNAL = signal.SIGINT
DEMO_USERS = ROOT / "deploy" / "demo" / "users.yml"


def broker_users(env: dict, directory: Path = BROKER_DIR) -> dict[str, str]:
    """Each part's AMQP URI (by broker user: ``intake``, …, ``callback-worker``,
    ``console``, ``operator``): the vhost and the users made (or brought up to date)
    through the management API, with the passwords kept in ``directory`` (made up the
    first time); writes ``directory``/console.env for the command lines and
    ``directory``/operator.env for ``hotline-admin parked``."""
    directory.mkdir(parents=True, exist_ok=True)
    kept = directory / "passwords.json"
    passwords = json.loads(kept.read_text(encoding="utf-8")) if kept.exists() else {}
    wanted = {grant.user for grant in permissions.grants()}
    if not wanted <= set(passwords):
        passwords = {user: passwords.get(user) or secrets.token_urlsafe(18) for user in wanted}
        kept.touch(mode=0o600)
        kept.write_text(json.dumps(passwords, indent=2), encoding="utf-8")
    vhost = env["HOTLINE_VHOST"]
    api = permissions.api_of(env["RABBIT_API"])
    api.call("PUT", f"/api/vhosts/{api.quote(vhost)}")
    permissions.apply(api, vhost, passwords)
    uris = {user: permissions.user_uri(env["RABBIT_AMQP"], user, passwords[user], vhost)
            for user in wanted}
    console_env = directory / "console.env"
    console_env.touch(mode=0o600)
    console_env.write_text(f"# the console's broker user, for hotline, hotline-admin and "
                           f"hotline-register\nexport AMQP_URI='{uris['console']}'\n",
                           encoding="utf-8")
    operator_env = directory / "operator.env"
    operator_env.touch(mode=0o600)
    operator_env.write_text(f"# the operator's broker user, for hotline-admin parked (the "
                            f"parking queues)\nexport OPERATOR_AMQP_URI='{uris['operator']}'\n",
                            encoding="utf-8")
    return uris


def as_user(env: dict, uris: dict[str, str], user: str) -> dict:
    """``env`` for a part that connects as broker user ``user``: only accounts gets the key
    that signs statements of who acts (services/shared/statements.py); every part gets the
    public keys that verify them."""
    own = {**env, "AMQP_URI": uris[user]}
    if user != "accounts":
        own.pop(statements.SIGNING_KEY_VARIABLE, None)
    return own


def statement_keys(env: dict, directory: Path = ROOT / "var" / "keys") -> dict:
    """``env`` with accounts' key pair (made in ``directory`` on the first run), which this
    launcher also uses itself: it signs the demo data's and its probes' actors as accounts
    would (the operator's own tool; the parts but accounts never see the private key)."""
    keys = statements.ensure_keys(directory)
    statements.use_keys(keys)
    return {**env, **keys}


# The programs that call the services under accounts of their own (role callback_worker:
# it may claim and complete callback tasks and read nothing), signed in with API tokens.
CALLBACK_WORKER_ACCOUNT = {"username": "callback-worker", "name": "自动回访外呼",
                           "role": "callback_worker", "unit_id": None}
# This launcher, when it makes those accounts: an admin as accounts would vouch for one
# (it holds accounts' key, statement_keys).
LAUNCHER = {"id": "launcher", "name": "启动程序", "role": "admin", "unit_id": None}


def program_token(amqp_uri: str, account: dict, directory: Path = ROOT / "var" / "keys") -> str:
    """The API token the program of ``account`` signs in with: the one kept in
    ``directory``/tokens.json while accounts still takes it, else a new one (the account
    made first if there is none; a year long), kept there (0600) for the next run."""
    from nameko.standalone.rpc import ClusterRpcProxy

    from services.shared.errors import NotFound, NotPermitted

    kept = directory / "tokens.json"
    tokens = json.loads(kept.read_text(encoding="utf-8")) if kept.exists() else {}
    username = account["username"]
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as rpc:
        if username in tokens:
            try:
                rpc.accounts.authenticate_token(tokens[username])
                return tokens[username]
            except NotPermitted:
                pass  # expired, revoked, or the data was cleared: a new one
        admin = statements.vouch(LAUNCHER)
        try:
            rpc.accounts.get_user(username, admin)
        except NotFound:
            rpc.accounts.create_user(account, admin)
        tokens[username] = rpc.accounts.issue_token(username, "make run", admin,
                                                    days=365)["token"]
    directory.mkdir(parents=True, exist_ok=True)
    kept.touch(mode=0o600)
    kept.write_text(json.dumps(tokens, indent=2), encoding="utf-8")
    return tokens[username]


class Part(subprocess.Popen[bytes]):
    """A part's process, with the thread that writes its output into its log."""

    output: threading.Thread | None = None


def store_directory(mongo_uri: str) -> Path:
    """The directory one launcher at a time may use (run_lock): the embedded store's
    (relative to this checkout, where the parts run), or var/ when the store is elsewhere."""
    # Read as services/shared/storage.py reads it, without importing it (and the store's
    # libraries) before the lock: a refused launcher says one line and goes.
    uri = urllib.parse.urlparse(mongo_uri)
    if uri.scheme == "litemongo":
        return ROOT / (uri.path.rstrip("/") or ".")
    return ROOT / "var"


def start(name: str, command: list[str], env: dict,
          log_dir: Path = ROOT / "var" / "log") -> subprocess.Popen:
    """Start a part (not waiting for it): its output (stdout and stderr) into
    ``log_dir``/<name>.log, rotated by size (part_logs); in a session of its own, so Ctrl-C
    reaches this launcher only, which then stops each part in order; told to stop
    (STOP_SIGNAL) when this launcher ends, even killed with -9 (with_parent: started from
    a thread, when that thread ends); holding this launcher's data-directory locks (run_lock), so no
    second launcher uses the store while a part of this one still runs."""
    log = part_logs.rotating_log(log_dir / f"{name}.log", env)
    process = Part(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                   stderr=subprocess.STDOUT, start_new_session=True,
                   pass_fds=run_lock.held_fds(),
                   preexec_fn=with_parent.ending_with_this_process(STOP_SIGNAL))
    assert process.stdout is not None
    process.output = part_logs.follow(name, process.stdout, log)
    return process


def wait_until_answering(amqp_uri: str, parts: dict[str, subprocess.Popen],
                         deadline_seconds: float = 60) -> None:
    """Every service in ``parts`` answers an RPC (a 'not found' is an answer); stop early if
    a part died."""
    from nameko.standalone.rpc import ClusterRpcProxy

    from services.shared.errors import HotlineError
    from services.shared.replies import ClassicStandaloneReplyListener
    from services.shared.schemas import SYSTEM_ACTOR
    from services.shared.statements import vouch

    # Probing services not yet up leaves publisher confirms in flight when the proxy closes;
    # py-amqp warns of each one, which says nothing to a person starting the system.
    logging.getLogger("amqp").setLevel(logging.ERROR)
    probes = {
        "intake": lambda rpc: rpc.intake.get_ticket("READY-0000", vouch(SYSTEM_ACTOR)),
        "dispatch": lambda rpc: rpc.dispatch.route({"district": "-"}, "other",
                                                   vouch(SYSTEM_ACTOR)),
        "callback": lambda rpc: rpc.callback.get_task("ready", vouch(SYSTEM_ACTOR)),
        "ledger": lambda rpc: rpc.ledger.recent(vouch(SYSTEM_ACTOR), 1),
        "register": lambda rpc: rpc.register.register_template(),
        "accounts": lambda rpc: rpc.accounts.authenticate_token("hlt_ready_probe"),
    }
    deadline = time.monotonic() + deadline_seconds
    waiting = set(probes) & set(parts)
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=2,
                         reply_listener_cls=ClassicStandaloneReplyListener) as rpc:
        while waiting and time.monotonic() < deadline:
            dead = [name for name, process in parts.items() if process.poll() is not None]
            if dead:
                raise SystemExit(f"run: {', '.join(dead)} stopped at start; see var/log/")
            for name in sorted(waiting):
                try:
                    probes[name](rpc)
                except HotlineError:
                    pass
                except Exception:  # not up yet (timeout, no queue)
                    continue
                waiting.discard(name)
            if waiting:
                time.sleep(0.5)
    if waiting:
        raise SystemExit(f"run: {', '.join(sorted(waiting))} did not answer; see var/log/")


def start_service(name: str, env: dict, uris: dict[str, str],
                  log_dir: Path = ROOT / "var" / "log", part: str | None = None
                  ) -> subprocess.Popen:
    """One service as its own ``nameko run`` with deploy/<name>.yml, connected as its own
    broker user (``uris[name]``; not waiting for it); ``part`` names a copy of it (its
    log), when there are several."""
    return start(part or name, [sys.executable, "-m", "services.service_process", "run",
                                "--config", f"deploy/{name}.yml", f"services.{name}.service"],
                 as_user(env, uris, name), log_dir)


def copy_parts(copies: int = 1) -> list[tuple[str, str]]:
    """(part, service) of every copy of every service, each service's side by side:
    ``intake``, ``intake-2``, …, ``dispatch``, … (the first copy bears the service's name)."""
    return [(name if copy == 1 else f"{name}-{copy}", name)
            for name in SERVICES for copy in range(1, copies + 1)]


def start_services(env: dict, uris: dict[str, str], log_dir: Path = ROOT / "var" / "log",
                   deadline_seconds: float = 60, init: bool = False,
                   env_of: Callable[[str], dict] | None = None, copies: int = 1
                   ) -> dict[str, subprocess.Popen]:
    """The services (SERVICES), each its own ``nameko run`` as its own broker user, by part
    (copy_parts: ``copies`` of each, on a store they can share); returns once every
    service answers the console's user (within ``deadline_seconds``). With ``init``, each
    makes its store if there is none (STORE_INIT, services/shared/store_marker.py; copies
    starting together on a new store each do, and keep the first one's): only this first
    start, never a restart by the Supervisor. ``env_of``: a service's own env by its name,
    instead of ``env`` for all (the fault drill gives each its own clock)."""
    def first(name: str) -> dict:
        own = env if env_of is None else env_of(name)
        return {**own, "STORE_INIT": "1"} if init else own

    parts = {part: start_service(name, first(name), uris, log_dir, part)
             for part, name in copy_parts(copies)}
    try:
        wait_until_answering(uris["console"], parts, deadline_seconds)
    except BaseException:
        stop(parts)
        raise
    return parts


def start_console(env: dict, uris: dict[str, str],
                  log_dir: Path = ROOT / "var" / "log") -> subprocess.Popen:
    """The console under gunicorn (deploy/gunicorn.conf.py) on ``CONSOLE_BIND``, as the
    console's broker user; returns once it serves its sign-in page."""
    console = console_process(env, uris, log_dir)
    try:
        wait_for_console(console_url(env), console)
    except BaseException:
        stop({"console": console})
        raise
    return console


def console_process(env: dict, uris: dict[str, str],
                    log_dir: Path = ROOT / "var" / "log") -> subprocess.Popen:
    """The console under gunicorn, as the console's broker user (not waiting for it)."""
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    return start("console", [gunicorn, "-c", "deploy/gunicorn.conf.py",
                             "services.console.wsgi:app"], as_user(env, uris, "console"),
                 log_dir)


def callback_worker(worker_id: str, script: str, env: dict, uris: dict[str, str],
                    log_dir: Path = ROOT / "var" / "log", poll_seconds: float = 1.0
                    ) -> subprocess.Popen:
    """An automated callback worker with the scripted dialer, as the callback-worker broker
    user, signed in with the token in ``env``'s HOTLINE_TOKEN (program_token); its log is
    <worker_id>.log."""
    return start(worker_id, [sys.executable, "-m", "services.callback.worker",
                             "--worker-id", worker_id, "--dialer", "scripted",
                             "--script", script, "--poll-seconds", str(poll_seconds)],
                 as_user(env, uris, "callback-worker"), log_dir)


def console_url(env: dict) -> str:
    host, _, port = env["CONSOLE_BIND"].rpartition(":")
    host = "127.0.0.1" if host in ("", "0.0.0.0") else host.strip("[]")
    return f"http://{host}:{port}/"


def wait_for_console(url: str, console: subprocess.Popen, deadline_seconds: float = 30) -> None:
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if console.poll() is not None:
            raise SystemExit(f"run: the console stopped at start (is {url} in use? set "
                             f"CONSOLE_BIND); see var/log/console.log")
        try:
            with urllib.request.urlopen(url + "login", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise SystemExit(f"run: the console did not answer on {url}; see var/log/console.log")


def demo_logins(path: Path = DEMO_USERS) -> list[dict]:
    """The console's demo logins, as deploy/demo/users.yml lists them (the admin first)."""
    demo = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [{**demo["admin"], "role": "admin", "unit_id": None}] + list(demo.get("users") or [])


def console_note(url: str, with_demo: bool) -> str:
    lines = [f"The console: {url}"]
    if with_demo:
        lines.append(f"Demo logins ({DEMO_USERS.relative_to(ROOT)}; a local demo only):")
        lines += [f"  {login['username']:<18} {login['password']:<22} {login['role']:<11} "
                  f"{login.get('unit_id') or ''}" for login in demo_logins()]
    else:
        lines.append("No demo logins: make the first admin with `.venv/bin/hotline-admin "
                     "create-admin`.")
    return "\n".join(lines)


class Supervisor:
    """Keeps every part running, as a service manager would (systemd's Restart=always): a
    part that exits is started again after a pause, 1 s, doubling up to 30 s while it
    keeps exiting within a minute of its start. nameko ends a service's process when the
    broker goes away in the middle of a reply; this brings it back once the broker is."""

    def __init__(self, starters: dict[str, Callable[[], subprocess.Popen]],
                 say: Callable[[str], None] = print):
        self.starters = starters
        self.say = say
        self.parts: dict[str, subprocess.Popen] = {}
        self.restarts: collections.Counter = collections.Counter()
        self._started_at: dict[str, float] = {}
        self._pause: dict[str, float] = {}
        self._due: dict[str, float] = {}
        self._lock = threading.Lock()
        self._stopped = False

    def adopt(self, name: str, process: subprocess.Popen) -> None:
        """Watch a part started elsewhere (``starters[name]`` starts it again)."""
        with self._lock:
            self.parts[name] = process
            self._started_at[name] = time.monotonic()

    def check(self) -> None:
        """Start again each part that has exited and whose pause is over (none once
        stopped)."""
        with self._lock:
            if self._stopped:
                return
            now = time.monotonic()
            for name, process in list(self.parts.items()):
                code = process.poll()
                if code is None:
                    continue
                if name not in self._due:
                    short_lived = now - self._started_at[name] < 60
                    pause = min(30.0, self._pause.get(name, 0.5) * 2) if short_lived else 1.0
                    self._pause[name] = pause
                    self._due[name] = now + pause
                    self.say(f"run: {name} stopped (exit code {code}); starting it again "
                             f"in {pause:.0f} s")
                elif now >= self._due[name]:
                    del self._due[name]
                    self.parts[name] = self.starters[name]()
                    self._started_at[name] = now
                    self.restarts[name] += 1

    def watch(self, stopping: threading.Event, every: float = 0.5) -> threading.Thread:
        """check() every ``every`` seconds in a thread until ``stopping`` is set. The parts
        it starts again are told to stop when that thread ends (see start): stop() first."""
        def loop() -> None:
            while not stopping.wait(every):
                self.check()

        thread = threading.Thread(target=loop, name="supervisor", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        """Stop every part (the module's stop()); none is started again after."""
        with self._lock:
            self._stopped = True
            stop(self.parts)


def stop(parts: dict[str, subprocess.Popen]) -> None:
    """Tell every part to stop (STOP_SIGNAL), the console first; kill one still running
    15 s later."""
    for process in reversed(list(parts.values())):  # the console first, the services last
        if process.poll() is None:
            process.send_signal(STOP_SIGNAL)
    deadline = time.monotonic() + 15
    for name, process in parts.items():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"run: {name} did not stop in time; killing it")
            process.kill()
    for process in parts.values():  # the last lines into the logs before going on
        if isinstance(process, Part) and process.output is not None:
            process.output.join(timeout=2)


def first_run(env: dict) -> bool:
    """Whether the embedded store's directory is not there yet (or empty): this machine's
    first run, when the services make their stores."""
    uri = env.get("MONGO_URI") or ""
    if not uri.startswith("litemongo:"):
        return False
    directory = store_directory(uri)
    # the launcher's lock (run_lock) is there already: a store is anything else
    return not directory.is_dir() or not any(path.name != run_lock.LOCK_FILE
                                             for path in directory.iterdir())


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--no-demo", action="store_true", help="do not load the demo data")
    options.add_argument("--init", action="store_true",
                         help="let each service make its store where there is none (done "
                              "on the first run by itself; see README, 'A store that knows "
                              "itself')")
    args = options.parse_args(argv)

    # `kill` and service managers send SIGTERM: stop the parts as Ctrl-C does. SIGINT too,
    # said outright: a shell starting `make run &` hands it on ignored, and Python then
    # leaves it so (Ctrl-C, or `kill -INT`, would do nothing).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    env = {**DEFAULTS, **BROKER, **os.environ}
    # First of all: a second launcher on this store goes no further (run_lock).
    run_lock.hold(store_directory(env["MONGO_URI"]), "run")
    try:
        part_logs.sizes(env)
    except ValueError as wrong:
        raise SystemExit(f"run: {wrong}") from None
    env = statement_keys(env)
    env.pop("AMQP_URI", None)  # each part gets its own user's (broker_users)
    env.setdefault("PYTHONUNBUFFERED", "1")
    if not args.no_demo:
        # The demo shows in minutes what takes hours in production: callbacks a minute
        # after resolution, at any hour, and an unanswered check-in tried again each minute.
        for name, value in DEMO_PACE.items():
            env.setdefault(name, value)
    uris = broker_users(env)
    worker_env = dict(env)  # with the worker's token, once accounts is up to issue it
    supervisor = Supervisor({
        **{name: functools.partial(start_service, name, env, uris) for name in SERVICES},
        "callback-worker": functools.partial(callback_worker, "dialer-1",
                                             "deploy/demo/dialer.yml", worker_env, uris),
        "console": functools.partial(console_process, env, uris),
    })
    started = time.monotonic()
    try:
        for name, process in start_services(env, uris,
                                            init=args.init or first_run(env)).items():
            supervisor.adopt(name, process)
        worker_env["HOTLINE_TOKEN"] = program_token(uris["console"], CALLBACK_WORKER_ACCOUNT)
        supervisor.adopt("callback-worker", supervisor.starters["callback-worker"]())
        supervisor.adopt("console", start_console(env, uris))
        print(f"run: {', '.join(SERVICES)}, a callback worker and the console are up"
              f" ({time.monotonic() - started:.1f} s); logs in var/log/")
        if not args.no_demo:
            import load as demo  # deploy/demo/load.py

            demo.load(uris["console"])
        print(NEXT_STEPS)
        print(console_note(console_url(env), with_demo=not args.no_demo))
        while True:  # a part that stops is started again (see Supervisor)
            supervisor.check()
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nrun: stopping…")
        return 0
    finally:
        supervisor.stop()

NEXT_STEPS = """
What to try next (in another terminal, from this folder; the command lines connect as
the console's broker user, which var/broker/console.env gives them, and sign in through
accounts: --user asks for the password, the demo agent's is demo-agent-12345):
  . var/broker/console.env
  .venv/bin/hotline --user agent create --district 杨浦区 --subdistrict 殷行街道 \\
      --estate 开鲁新村 --category street_light --kind help --phone 13812345678 \\
      --description "路灯不亮"
  .venv/bin/hotline --user agent show <ticket number>       # where it stands, deadlines
  .venv/bin/hotline --user agent timeline <ticket number>   # every step, in order
  .venv/bin/hotline --user dispatcher queue centre          # the dispatch centre's queue
The demo runs at a demo's pace: callbacks a minute after resolution and check-ins at any
hour, an unanswered one tried again each minute (DEMO_PACE above; production keeps
deploy/callback.yml's daytime window). The scripted dialer answers as
deploy/demo/dialer.yml says: 吴大娘 never does, so a few minutes from now an urgent welfare
ticket appears first in 殷行街道第一网格工作站's queue (login yinhang-grid).
Ctrl-C stops everything.
"""

if __name__ == "__main__":
    sys.exit(main())
