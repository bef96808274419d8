"""The console knows the services only by RPC and by the shared contract: no file under
services/console/ imports a service package (anything under services/ but services.shared
and services.console), and the application, once built, has loaded none."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import services.console

CONSOLE = Path(services.console.__file__).parent
ROOT = CONSOLE.parent.parent
OWN = ("shared", "console")  # what the console may import of services/



def imports_of(source: str, package: str) -> list[tuple[str, str | None]]:
    """Every (module, name) a module of ``package`` imports, relative imports resolved,
    and the modules it names to importlib.import_module or __import__ as plain text."""
    found: list[tuple[str, str | None]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            found += [(module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Call) and node.args \
                and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str) \
                and (getattr(node.func, "attr", None) == "import_module"
                     or getattr(node.func, "id", None) in ("import_module", "__import__")):
            found.append((node.args[0].value, None))
    return found


def service_package(module: str, name: str | None) -> str | None:
    """The service package ``from module import name`` reaches, or None."""
    parts = module.split(".")
    if parts == ["services"] and name is not None:  # from services import dispatch
        parts.append(name)
    if len(parts) > 1 and parts[0] == "services" and parts[1] not in OWN:
        return ".".join(parts[:2])
    return None


def test_the_parser_sees_every_way_of_importing_a_service() -> None:
    source = ("import services.intake.service\nfrom services import ledger\n"
              "from ..callback import tasks\nfrom .auth import actor\n"
              "from services.shared import clock\nimport flask\n"
              "def later():\n    import importlib\n"
              "    importlib.import_module('services.dispatch.steps')\n")
    found = {service_package(module, name)
             for module, name in imports_of(source, "services.console")}
    assert found == {"services.intake", "services.ledger", "services.callback",
                     "services.dispatch", None}


def test_no_console_file_imports_a_service_package() -> None:
    files = sorted(CONSOLE.rglob("*.py"))
    assert len(files) > 10
    reached = {(str(path.relative_to(CONSOLE)), module, name) for path in files
               for module, name in imports_of(path.read_text(encoding="utf-8"), ".".join(
                   path.relative_to(ROOT).with_suffix("").parts[:-1]))
               if service_package(module, name)}
    assert reached == set()


LOADED = """
import json, sys
from services.console.app import create_app
from services.console.settings import Settings
create_app(Settings(amqp_uri="memory://", secret_key="probe", testing=True), object())
print(json.dumps({"services": sorted(name for name in sys.modules
                                     if name.startswith("services.")
                                     and name.split(".")[1] not in %(own)r),
                  "console": sorted(name for name in sys.modules
                                    if name.startswith("services.console."))}))
"""


def test_the_console_app_loads_no_service_package() -> None:
    answer = subprocess.run([sys.executable, "-c", LOADED % {"own": OWN}],
                            capture_output=True, text=True, cwd=ROOT, timeout=60, check=True)
    loaded = json.loads(answer.stdout)
    assert "services.console.api" in loaded["console"]  # the whole app was built
    assert loaded["services"] == []
