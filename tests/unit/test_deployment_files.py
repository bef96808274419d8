"""The deployment files past one machine (Dockerfile, deploy/compose.yaml, deploy/k8s/),
checked offline: the Kubernetes manifests and the compose file against the schemas their
validators bundle, then what no schema sees: each part started as deploy/single_machine.py
starts it, with every setting it has no default for that serves several hosts, its AMQP
URI naming the three broker nodes as its own broker user, and each Deployment with its
probes, resources, rolling update and disruption budget. Nothing here needs Docker, a
cluster or the network: the README's "Running past one machine" says what was not run.

    .venv/bin/pytest -q tests/unit/test_deployment_files.py
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
import yaml
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE = DEPLOY / "compose.yaml"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(DEPLOY))

import single_machine  # noqa: E402  deploy/single_machine.py

from services.callback import worker  # noqa: E402

SERVICES = single_machine.SERVICES


class PlainLoader(yaml.SafeLoader):
    """yaml's safe loader without nameko's ``${NAME:default}`` filled in from the
    environment: nameko's command line teaches yaml.SafeLoader that (the suite's service
    settings read deploy/<service>.yml so), which would read compose's ``${NAME:-default}``
    as the value it stands for."""


PlainLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "!env_var"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
PROJECT_IMAGE = "hotline12345"
VHOST = "hotline"
SETUP = "broker-setup"
WORKER = "callback-worker"

# The oldest Kubernetes the manifests are written for: nothing they use is younger (policy/v1
# disruption budgets came in 1.21, a Job's ttlSecondsAfterFinished in 1.23). With
# kubernetes-validate 1.37.0 the versions checked are 1.25.0, the oldest it bundles, and
# 1.37.0, the newest.
OLDEST_KUBERNETES = "1.25.0"
# Any HTTP the validators tried would go to this closed port: they must need no network.
OFFLINE = {**os.environ, **{name: "http://127.0.0.1:9" for name in (
    "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")}, "NO_PROXY": "", "no_proxy": ""}

# nameko's ${NAME:default} in deploy/<service>.yml, and compose's ${NAME}, ${NAME:?},
# ${NAME:-default}
SUBSTITUTION = re.compile(r"\$\{(?P<name>\w+)(?::(?P<default>[^}]*))?\}")
# a default that holds only where every part runs on one machine
ONE_MACHINE = re.compile(r"localhost|127\.0\.0\.1|litemongo:")
# What a deployment must set besides the settings deploy/<service>.yml reads with a
# one-machine default: those the code reads itself, and those whose empty default leaves
# something out. By part, with the file that reads each (None: not this project's code);
# test_the_settings_named_here_are_read_where_it_says keeps the table honest.
READ_BY_THE_CODE: dict[str, dict[str, str | None]] = {
    "service": {"HOTLINE_VERIFY_KEYS": "services/shared/statements.py",  # no default at all
                "HEALTH_ADDRESS": "services/shared/health.py"},  # empty: no probe answers
    "accounts": {"HOTLINE_SIGNING_KEY": "services/shared/statements.py"},
    "console": {"AMQP_URI": "services/console/settings.py",
                "CONSOLE_BIND": "deploy/gunicorn.conf.py",  # 127.0.0.1: not reachable
                "CONSOLE_SECRET_KEY": "services/console/settings.py",  # else one per copy
                "FORWARDED_ALLOW_IPS": None},  # gunicorn's: X-Forwarded-Proto believed
    WORKER: {"AMQP_URI": "services/callback/worker.py",
             "HOTLINE_TOKEN": "services/shared/signed_in.py"},
    SETUP: {"RABBITMQ_ADMIN": None},  # the command's --admin
}


# What the files say
def load_all(path: Path) -> list[dict]:
    return [document for document in yaml.load_all(path.read_text(encoding="utf-8"),
                                                    Loader=PlainLoader) if document]


def manifest_files() -> list[Path]:
    """Every Kubernetes object's file (kustomization.yaml is kustomize's, not one)."""
    return sorted(path for path in K8S.glob("*.yaml") if path.name != "kustomization.yaml")


@cache
def objects() -> tuple[dict, ...]:
    return tuple(document for path in manifest_files() for document in load_all(path))


def of_kind(kind: str) -> list[dict]:
    return [each for each in objects() if each["kind"] == kind]


def named(kind: str, name: str) -> dict | None:
    return next((each for each in of_kind(kind) if each["metadata"]["name"] == name), None)


def workloads() -> list[dict]:
    return [each for each in objects() if each["kind"] in ("Deployment", "StatefulSet", "Job")]


def pod_spec(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]


def containers(workload: dict, init: bool = True) -> list[dict]:
    spec = pod_spec(workload)
    return spec["containers"] + (spec.get("initContainers", []) if init else [])


@cache
def compose() -> dict:
    return yaml.load(COMPOSE.read_text(encoding="utf-8"), Loader=PlainLoader)


def compose_services() -> dict[str, dict]:
    return compose()["services"]


def command_of(command: list[str] | str | None) -> list[str]:
    return command.split() if isinstance(command, str) else list(command or ())


def part_of(command: list[str]) -> str | None:
    """Which part of the hotline a container runs, by its command: a service's name,
    console, callback-worker or broker-setup; None for RabbitMQ's and MongoDB's own."""
    line = " ".join(command)
    if found := re.search(r"\bservices\.(\w+)\.service\b", line):
        return found[1]
    if "services.console.wsgi:app" in line:
        return "console"
    if "services.callback.worker" in line:
        return WORKER
    if "deploy/rabbitmq/permissions.py" in line:
        return SETUP
    return None


def compose_parts() -> dict[str, list[str]]:
    """Part → the compose services that run it."""
    parts: dict[str, list[str]] = {}
    for name, service in compose_services().items():
        part = part_of(command_of(service.get("command")))
        if part:
            parts.setdefault(part, []).append(name)
    return parts


def k8s_parts() -> dict[str, list[dict]]:
    """Part → the workloads whose main container runs it."""
    parts: dict[str, list[dict]] = {}
    for workload in workloads():
        for container in containers(workload, init=False):
            part = part_of(container.get("command", []) + container.get("args", []))
            if part:
                parts.setdefault(part, []).append(workload)
    return parts


def broker_user(part: str) -> str:
    return part  # each part connects as the broker user of its own name


def password_variable(user: str) -> str:
    """How deploy/rabbitmq/permissions.py names a user's password in the environment."""
    return "HOTLINE_" + user.upper().replace("-", "_") + "_PASSWORD"


def settings_needed(part: str) -> set[str]:
    """The settings ``part`` reads that have no default serving several hosts: from its
    deploy/<service>.yml (nameko's substitutions) and READ_BY_THE_CODE."""
    needed = set(READ_BY_THE_CODE.get(part, ()))
    if part in SERVICES:
        text = (DEPLOY / f"{part}.yml").read_text(encoding="utf-8")
        needed |= {found["name"] for found in SUBSTITUTION.finditer(text)
                   if found["default"] is None or ONE_MACHINE.search(found["default"])}
        needed |= set(READ_BY_THE_CODE["service"])
    if part == SETUP:  # every user's password, or permissions.py makes one up
        needed |= {password_variable(grant.user)
                   for grant in single_machine.permissions.grants()}
    return needed


AMQP = re.compile(r"^pyamqp://(?P<user>[^:@/]+):(?P<password>.+)@(?P<host>[^:@/]+)"
                  r":(?P<port>\d+)/(?P<vhost>[^/;]+)$")


def amqp_nodes(uri: str) -> list[dict[str, str]]:
    """The parts of each URI of a failover list (kombu's ';'); AssertionError for one that
    is not pyamqp://user:password@host:port/vhost. A password may be a ${…} or $(…), so
    urllib would not do: '?' ends its host."""
    nodes = []
    for each in uri.split(";"):
        found = AMQP.match(each)
        assert found, f"not an AMQP URI of a user, a node and a vhost: {each!r}"
        nodes.append(found.groupdict())
    return nodes


# The validators
def kubernetes_versions() -> list[str]:
    from kubernetes_validate.utils import all_versions

    bundled = [version for version in all_versions()
               if Version(version) >= Version(OLDEST_KUBERNETES)]
    return [bundled[0], bundled[-1]]


@pytest.mark.parametrize("version", kubernetes_versions())
def test_the_manifests_are_kubernetes_objects_of_that_version(version):
    run = subprocess.run([str(BIN / "kubernetes-validate"), "--strict", "--quiet",
                          "-k", version, *map(str, manifest_files())],
                         capture_output=True, text=True, env=OFFLINE, timeout=60)
    # A kind or apiVersion the version does not know is only a WARN, exit code 0: --quiet
    # prints nothing else, so any line is a failure.
    assert run.returncode == 0 and not run.stdout.strip(), run.stdout + run.stderr


def test_the_compose_file_is_one_by_the_compose_spec():
    run = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema",
                          "vendor.compose-spec", str(COMPOSE)],
                         capture_output=True, text=True, env=OFFLINE, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr


# Both: every part there, started as the launcher starts it
def launcher_commands(monkeypatch) -> dict[str, list[str]]:
    """How deploy/single_machine.py starts each part, with the interpreter and gunicorn
    called as the image calls them."""
    started: dict[str, list[str]] = {}
    monkeypatch.setattr(single_machine, "start",
                        lambda name, command, *rest, **more: started.update({name: command}))
    users = {grant.user: "pyamqp://" for grant in single_machine.permissions.grants()}
    for service in SERVICES:
        single_machine.start_service(service, {}, users)
    single_machine.console_process({}, users)
    single_machine.callback_worker(WORKER, "script.yml", {}, users)
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    return {name: ["python" if word == sys.executable else
                   "gunicorn" if word == gunicorn else word for word in command]
            for name, command in started.items()}


def started_commands() -> list[tuple[str, str, list[str]]]:
    """(where, part, command) of every part in the compose file and the manifests."""
    found = [(f"compose {name}", part_of(command_of(service.get("command"))),
              command_of(service.get("command")))
             for name, service in compose_services().items()]
    found += [(f"{workload['kind']} {workload['metadata']['name']}",
               part_of(container.get("command", []) + container.get("args", [])),
               container.get("command", []) + container.get("args", []))
              for workload in workloads() for container in containers(workload, init=False)]
    return [(where, part, command) for where, part, command in found if part]


def test_every_part_is_started_as_the_launcher_starts_it(monkeypatch):
    launcher = launcher_commands(monkeypatch)
    parts = {*SERVICES, "console", WORKER, SETUP}
    assert set(compose_parts()) == parts
    assert set(k8s_parts()) == parts
    for where, part, command in started_commands():
        if part in SERVICES or part == "console":
            assert command == launcher[part], where
        elif part == WORKER:  # the same program; its dialer is the deployment's own
            assert command[:3] == launcher[WORKER][:3], where
            assert worker.parse_args(command[3:]).dialer == "http", where
        else:  # the vhost with its policies first, then the users and their rights
            line = " ".join(command)
            assert re.search(r"deploy/rabbitmq/queues\.py --vhost hotline .*&& python "
                             r"deploy/rabbitmq/permissions\.py --vhost hotline ", line), where


def test_every_part_runs_in_two_copies_or_more():
    # Timers run in one copy at a time through a lease (services/shared/leases.py): no
    # service needs to be kept to one copy.
    for part, names in compose_parts().items():
        if part != SETUP:
            for name in names:
                assert compose_services()[name]["deploy"]["replicas"] >= 2, name
    for part, found in k8s_parts().items():
        if part != SETUP:
            for workload in found:
                assert workload["kind"] == "Deployment" and workload["spec"]["replicas"] >= 2, \
                    workload["metadata"]["name"]


def test_the_settings_named_here_are_read_where_it_says():
    for settings in READ_BY_THE_CODE.values():
        for name, source in settings.items():
            if source:
                assert name in (ROOT / source).read_text(encoding="utf-8"), (name, source)


# The compose file
def environment(service: dict) -> dict[str, str]:
    given = service.get("environment") or {}
    if isinstance(given, list):
        given = dict(item.partition("=")[::2] for item in given)
    return {name: "" if value is None else str(value) for name, value in given.items()}


def test_every_compose_dependency_is_a_service_of_the_file():
    services = compose_services()
    for name, service in services.items():
        depends = service.get("depends_on") or {}
        for other in depends:
            assert other in services, f"{name} depends on {other}, not a service here"
            if isinstance(depends, dict):
                assert depends[other]["condition"] in (
                    "service_healthy", "service_completed_successfully"), (name, other)
                if depends[other]["condition"] == "service_healthy":
                    assert "healthcheck" in services[other], f"{other} has no health check"


def test_every_compose_service_runs_the_project_image_or_a_pinned_one():
    project = re.compile(r"^\$\{HOTLINE_IMAGE:-" + PROJECT_IMAGE + r":[\w.-]+\}$")
    pinned = re.compile(r"^[a-z0-9][a-z0-9./-]*:(?!latest$)[\w.-]+$")
    for name, service in compose_services().items():
        image = service.get("image", "")
        assert project.match(image) or pinned.match(image), f"{name}: {image!r}"
        if part_of(command_of(service.get("command"))):
            assert project.match(image), f"{name} runs a part of the hotline: {image!r}"


def test_every_compose_part_has_the_settings_it_has_no_default_for():
    for part, names in compose_parts().items():
        for name in names:
            given = environment(compose_services()[name])
            missing = {setting for setting in settings_needed(part) if not given.get(setting)}
            assert not missing, f"{name} lacks {sorted(missing)}"


def test_compose_amqp_uris_name_the_three_nodes_as_the_parts_own_user():
    nodes = {name for name, service in compose_services().items()
             if service.get("image", "").startswith("rabbitmq:")}
    assert len(nodes) == 3
    for part, names in compose_parts().items():
        if part == SETUP:
            continue
        for name in names:
            listed = amqp_nodes(environment(compose_services()[name])["AMQP_URI"])
            assert {node["host"] for node in listed} == nodes and len(listed) == 3, name
            for node in listed:
                assert node["user"] == broker_user(part), name
                assert node["password"] == "${" + password_variable(node["user"]) + ":?}", name
                assert (node["port"], node["vhost"]) == ("5672", VHOST), name


def test_the_env_example_lists_every_setting_and_no_credential():
    example = {}
    for line in (DEPLOY / "compose.env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            example[name] = value
    credential = re.compile(r"PASSWORD|SECRET|COOKIE|TOKEN")
    read = "\n".join(line for line in COMPOSE.read_text(encoding="utf-8").splitlines()
                     if not line.lstrip().startswith("#"))
    for found in SUBSTITUTION.finditer(read):
        assert found["name"] in example, f"{found['name']} is not in compose.env.example"
        if credential.search(found["name"]) and found["name"] != "CALLBACK_WORKER_TOKEN":
            # none has a default: a password missing from compose.env stops `up`
            assert found["default"] == "?", f"${{{found['name']}}} has a default"
    for name, value in example.items():
        if credential.search(name):
            assert value in ("", "REPLACE_ME"), f"{name} in compose.env.example is a value"


# The Kubernetes manifests
def container_settings(container: dict) -> dict[str, str | None]:
    """Each setting of a container: envFrom's ConfigMaps' and Secrets' keys (their values,
    None for a Secret's), then env's own (None when taken from elsewhere)."""
    settings: dict[str, str | None] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            settings.update(named("ConfigMap", source["configMapRef"]["name"])["data"])
        if "secretRef" in source:
            settings.update(dict.fromkeys(named("Secret", source["secretRef"]["name"])
                                          ["stringData"]))
    for each in container.get("env", []):
        settings[each["name"]] = each.get("value")
    return settings


def main_container(workload: dict) -> dict:
    (container,) = containers(workload, init=False)
    return container


def test_every_k8s_part_has_the_settings_it_has_no_default_for():
    for part, found in k8s_parts().items():
        for workload in found:
            settings = container_settings(main_container(workload))
            missing = {name for name in settings_needed(part)
                       if name not in settings or settings[name] == ""}
            assert not missing, f"{workload['metadata']['name']} lacks {sorted(missing)}"


def test_k8s_amqp_uris_name_the_three_nodes_as_the_parts_own_user():
    (rabbitmq,) = [each for each in of_kind("StatefulSet")
                   if main_container(each)["image"].startswith("rabbitmq:")]
    assert rabbitmq["spec"]["replicas"] == 3
    nodes = {f"{rabbitmq['metadata']['name']}-{ordinal}.{rabbitmq['spec']['serviceName']}"
             for ordinal in range(3)}
    for part, found in k8s_parts().items():
        if part == SETUP:
            continue
        for workload in found:
            env = {each["name"]: each for each in main_container(workload)["env"]}
            listed = amqp_nodes(env["AMQP_URI"]["value"])
            assert {node["host"] for node in listed} == nodes and len(listed) == 3, \
                workload["metadata"]["name"]
            for node in listed:
                assert node["user"] == broker_user(part)
                assert (node["port"], node["vhost"]) == ("5672", VHOST)
                reference = re.fullmatch(r"\$\((\w+)\)", node["password"])
                assert reference, node["password"]
                key = env[reference[1]]["valueFrom"]["secretKeyRef"]["key"]
                assert key == password_variable(node["user"]), workload["metadata"]["name"]


HEALTH_PORT = {"name": "health", "containerPort": 8080}


def test_every_service_deployment_has_both_probes():
    # The workers serve no HTTP: a process check is the container's own ending.
    for part, found in k8s_parts().items():
        if part in (WORKER, SETUP):
            continue
        for workload in found:
            container = main_container(workload)
            live, ready = ("/healthz", "/healthz") if part == "console" else ("/live", "/ready")
            port = "http" if part == "console" else "health"
            if part != "console":
                assert HEALTH_PORT in container.get("ports", []), part
            for probe, path in (("livenessProbe", live), ("readinessProbe", ready)):
                assert container.get(probe, {}).get("httpGet") == {"path": path, "port": port}, \
                    f"{part}: {probe}"


def test_every_container_has_requests_and_limits():
    for workload in workloads():
        for container in containers(workload):
            resources = container.get("resources", {})
            for bound in ("requests", "limits"):
                assert set(resources.get(bound, {})) >= {"cpu", "memory"}, \
                    f"{workload['metadata']['name']}/{container['name']}: {bound}"


def test_every_pod_runs_as_a_user_other_than_root():
    for workload in workloads():
        pod = pod_spec(workload).get("securityContext", {})
        for container in containers(workload):
            own = container.get("securityContext", {})
            assert own.get("runAsNonRoot", pod.get("runAsNonRoot")) is True, \
                f"{workload['metadata']['name']}/{container['name']}"


def selects(selector: dict, labels: dict) -> bool:
    return bool(selector) and selector.items() <= labels.items()


def test_every_selector_matches_its_pods():
    templates = [each["spec"]["template"]["metadata"]["labels"] for each in workloads()]
    for each in of_kind("Deployment") + of_kind("StatefulSet"):
        assert selects(each["spec"]["selector"]["matchLabels"],
                       each["spec"]["template"]["metadata"]["labels"]), each["metadata"]["name"]
    for service in of_kind("Service"):
        assert any(selects(service["spec"]["selector"], labels) for labels in templates), \
            f"Service {service['metadata']['name']} selects no pods"
    for each in of_kind("StatefulSet"):
        headless = named("Service", each["spec"]["serviceName"])
        assert headless and headless["spec"].get("clusterIP") == "None", each["metadata"]["name"]


def test_every_deployment_rolls_one_pod_at_a_time_under_a_disruption_budget():
    budgets = of_kind("PodDisruptionBudget")
    for each in of_kind("Deployment"):
        name, labels = each["metadata"]["name"], each["spec"]["template"]["metadata"]["labels"]
        assert each["spec"]["strategy"] == {
            "type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}, name
        assert [budget["spec"].get("minAvailable") for budget in budgets
                if selects(budget["spec"]["selector"]["matchLabels"], labels)] == [1], name
    for each in of_kind("StatefulSet"):
        labels = each["spec"]["template"]["metadata"]["labels"]
        assert [budget["spec"].get("maxUnavailable") for budget in budgets
                if selects(budget["spec"]["selector"]["matchLabels"], labels)] == [1], \
            each["metadata"]["name"]


def test_every_reference_names_something_the_manifests_hold():
    """ConfigMaps, Secrets and their keys, volumes, and the $(NAME) Kubernetes expands
    (left as it is, silently, when NAME is not set before it)."""
    def holds(kind: str, name: str, key: str | None = None) -> bool:
        found = named(kind, name)
        return found is not None and (key is None or key in (found.get("data") or {})
                                      or key in (found.get("stringData") or {}))

    for workload in workloads():
        spec = pod_spec(workload)
        claims = [claim["metadata"]["name"]
                  for claim in workload["spec"].get("volumeClaimTemplates", [])]
        volumes = {volume["name"]: volume for volume in spec.get("volumes", [])}
        for volume in volumes.values():
            if "configMap" in volume:
                assert holds("ConfigMap", volume["configMap"]["name"]), volume
            if "secret" in volume:
                assert holds("Secret", volume["secret"]["secretName"]), volume
        for container in containers(workload):
            where = f"{workload['metadata']['name']}/{container['name']}"
            for mount in container.get("volumeMounts", []):
                assert mount["name"] in volumes or mount["name"] in claims, (where, mount)
            known: set[str] = set()
            for source in container.get("envFrom", []):
                kind, reference = (("ConfigMap", source["configMapRef"])
                                   if "configMapRef" in source else ("Secret", source["secretRef"]))
                assert holds(kind, reference["name"]), (where, source)
                known |= set(container_settings({"envFrom": [source]}))
            for each in container.get("env", []):
                for used in re.findall(r"\$\((\w+)\)", each.get("value", "")):
                    assert used in known, f"{where}: {each['name']} uses $({used}) unset"
                for kind, ref in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
                    if ref in each.get("valueFrom", {}):
                        key = each["valueFrom"][ref]
                        assert holds(kind, key["name"], key["key"]), (where, each)
                known.add(each["name"])
            for used in re.findall(r"\$\((\w+)\)", " ".join(container.get("command", []))):
                assert used in known, f"{where}: its command uses $({used}) unset"


def mounted_at(container: dict, volumes: dict, path: str) -> dict | None:
    """The volume mounted at ``path``'s directory in ``container``."""
    for mount in container.get("volumeMounts", []):
        if mount["mountPath"] == path.rstrip("/"):
            return volumes[mount["name"]]
    return None


def test_the_statement_keys_are_mounted_where_the_settings_point():
    for part, found in k8s_parts().items():
        if part not in SERVICES:
            continue
        for workload in found:
            container = main_container(workload)
            settings = container_settings(container)
            volumes = {volume["name"]: volume for volume in pod_spec(workload)["volumes"]}
            verify = mounted_at(container, volumes, settings["HOTLINE_VERIFY_KEYS"])
            assert verify and "configMap" in verify, f"{part}: no public keys mounted"
            if part == "accounts":
                directory, _, key = settings["HOTLINE_SIGNING_KEY"].rpartition("/")
                signing = mounted_at(container, volumes, directory)
                assert signing and "secret" in signing, "accounts: no signing key mounted"
                assert key in named("Secret", signing["secret"]["secretName"])["stringData"]
    for part, names in compose_parts().items():
        for name in names if part in SERVICES else ():
            service = compose_services()[name]
            given = environment(service)
            mounts = [volume.split(":")[1] for volume in service.get("volumes", [])]
            assert given["HOTLINE_VERIFY_KEYS"] in mounts, name
            if part == "accounts":
                assert given["HOTLINE_SIGNING_KEY"] in [
                    secret["target"] for secret in service["secrets"]], name


def test_the_secrets_hold_placeholders_only():
    for secret in of_kind("Secret"):
        assert "data" not in secret, secret["metadata"]["name"]
        assert set(secret["stringData"].values()) == {"REPLACE_ME"}, secret["metadata"]["name"]


def test_the_kustomization_lists_every_manifest():
    (kustomization,) = load_all(K8S / "kustomization.yaml")
    # all but the example Secrets, which an apply would put over the real ones
    assert sorted(kustomization["resources"]) == sorted(
        path.name for path in manifest_files() if not path.name.endswith(".example.yaml"))


# The image
def test_the_image_runs_as_a_user_of_its_own_and_holds_no_credential():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in dockerfile.splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    # one instruction a line, its continuations joined
    instructions = re.sub(r"\\\n\s*", " ", "\n".join(lines)).splitlines()
    assert instructions[0] == "FROM python:3.11-slim-bookworm"
    steps = "\n".join(instructions)
    # the runtime dependencies at the lock's versions, before the project without them
    assert steps.index("pip install -c requirements.lock") \
        < steps.index("pip install --no-deps --no-build-isolation .")
    (user,) = re.findall(r"^USER (\d+)(?::\d+)?$", steps, re.MULTILINE)
    assert int(user) != 0
    # the uid the pods of the project's image say they run as
    for workload in workloads():
        if main_container(workload)["image"].startswith(PROJECT_IMAGE + ":"):
            assert pod_spec(workload)["securityContext"]["runAsUser"] == int(user)
    assert not re.search(r"^(ENV|ARG)\b.*(PASSWORD|SECRET|TOKEN|COOKIE)", steps,
                         re.MULTILINE | re.IGNORECASE)
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".git", ".venv", "var/", "deploy/secrets/", "deploy/compose.env"} <= set(ignored)
