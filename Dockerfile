# One image for every part of the hotline; the command picks the part, as
# deploy/single_machine.py starts each (deploy/compose.yaml and deploy/k8s/ use these):
#
#   a service   python -m services.service_process run --config deploy/intake.yml services.intake.service
#               (intake, dispatch, callback, ledger, register, accounts alike)
#   the console gunicorn -c deploy/gunicorn.conf.py services.console.wsgi:app
#   a worker    python -m services.callback.worker --dialer http --gateway-url URL
#   broker setup  python deploy/rabbitmq/queues.py …, then python deploy/rabbitmq/permissions.py …
#   the admin's command line  hotline-admin create-admin …
#
# No credential is in the image: broker passwords, the console's secret key, accounts'
# signing key and the workers' token come from the environment and mounted files when a
# part starts (the README's "Running past one machine" lists every setting).
#
#   docker build -t hotline12345:0.1.0 .
FROM python:3.11-slim-bookworm

# XDG_RUNTIME_DIR: where gunicorn puts its control socket. /tmp is the one writable place:
# the deployments mount the root file system read-only.
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    XDG_RUNTIME_DIR=/tmp

# tini as PID 1: hands the stop signal to the part and reaps what it leaves behind.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# The dependencies first, so a change of code does not reinstall them: the project's own
# (pyproject's list, not the dev extra's: no test tools in the image), every one at the
# version requirements.lock pins, transitive ones too: what the suite ran.
COPY requirements.lock pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/needs.txt \
    && pip install -c requirements.lock -r /tmp/needs.txt \
    && rm /tmp/needs.txt

# The parts run from /app: the nameko configs, gunicorn's and the directory files are read
# by relative paths (deploy/<service>.yml, deploy/directory.yml…), as under `make run`.
COPY services ./services
COPY deploy ./deploy
# The project itself for its command lines (hotline, hotline-admin, hotline-register,
# hotline-callback-worker); setuptools comes from the lock, hence no build isolation.
RUN pip install --no-deps --no-build-isolation . \
    && rm -rf build *.egg-info \
    && python -m compileall -q services deploy

# Not root, and not the owner of its code. A numeric uid, so that Kubernetes can tell that
# runAsNonRoot holds (deploy/k8s: runAsUser 10001).
RUN groupadd --system --gid 10001 hotline \
    && useradd --system --uid 10001 --gid 10001 --home-dir /tmp --no-create-home \
       --shell /usr/sbin/nologin hotline
USER 10001:10001

# the console (CONSOLE_BIND), a service's /live and /ready (HEALTH_ADDRESS)
EXPOSE 8000 8080

# Sent once by `docker stop` and the kubelet: a service finishes its running workers (its
# unacknowledged messages go back to the queue), gunicorn its requests, a worker its call.
STOPSIGNAL SIGTERM

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "services.console.wsgi:app"]
