"""The shape of `signup_site/`: what a newcomer relies on when reading it.

- no import cycle between its modules (checked on the source, every import,
  top-level or inside a function), and every module importable first, alone,
  in a fresh interpreter;
- no module reads settings at import time (but the settings and the URL
  configuration);
- the emulators import nothing from `campaign/`, and `web` is the only side
  that depends on the other (web -> campaign);
- no module past ~400 lines.
"""

import ast
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "signup_site"
MAX_LINES = 400


def module_files() -> dict[str, Path]:
    files = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        files[name] = path
    return files


MODULES = module_files()


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def imports_of(module: str) -> set[str]:
    """The project modules `module` imports, anywhere in its source."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            # `from package import submodule` imports the submodule (its
            # package is initialised first, as for any import); `from module
            # import name` imports the module.
            base = _resolve(module, node)
            names = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names
            ]
        else:
            continue
        found |= {name for name in names if name in MODULES and name != module}
    return found


def test_no_import_cycle_anywhere() -> None:
    graph = {module: imports_of(module) for module in MODULES}
    cycles = []
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = "done"

    for module in MODULES:
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_every_module_imports_first_alone_in_a_fresh_interpreter() -> None:
    # The admin app's autodiscovery would import every admin module during
    # setup; the simple admin app leaves the module under test to be first.
    script = (
        "import os, sys, importlib, django;"
        "from django.conf import settings;"
        "settings.INSTALLED_APPS;"
        "apps = ['django.contrib.admin.apps.SimpleAdminConfig' if a == 'django.contrib.admin' else a"
        " for a in settings.INSTALLED_APPS];"
        "settings.INSTALLED_APPS = apps;"
        "django.setup();"
        "importlib.import_module(sys.argv[1])"
    )
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "signup_site.settings", "DJANGO_DEBUG": "true"}

    def import_alone(module: str) -> tuple[str, str]:
        done = subprocess.run(
            [sys.executable, "-c", script, module],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return module, done.stderr.strip().splitlines()[-1] if done.returncode else ""

    skipped = {"signup_site.wsgi"}  # starts the application; covered by the suite's own setup
    with ThreadPoolExecutor(max_workers=4) as pool:
        failures = {
            module: error for module, error in pool.map(import_alone, sorted(set(MODULES) - skipped)) if error
        }
    assert failures == {}


def _reads_settings(tree: ast.AST) -> list[int]:
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "settings"
    ]


def _import_time_nodes(tree: ast.Module) -> list[ast.AST]:
    """What runs when the module is imported: module-level statements and
    class bodies, decorators and default values, not function bodies."""
    run: list[ast.AST] = []
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            defaults = [default for default in node.args.kw_defaults if default is not None]
            run += [*node.decorator_list, *node.args.defaults, *defaults]
        elif isinstance(node, ast.ClassDef):
            run += [*node.decorator_list, *node.bases]
            pending += node.body
        else:
            run.append(node)
    return run


# The settings themselves, and the URL configuration: the site's own, loaded
# once when the first request is resolved (DJANGO_ADMIN_URL mounts the admin).
READ_SETTINGS_WHEN_LOADED = {"signup_site.settings", "signup_site.urls"}


@pytest.mark.parametrize("module", sorted(set(MODULES) - READ_SETTINGS_WHEN_LOADED))
def test_no_module_reads_settings_at_import_time(module: str) -> None:
    tree = ast.parse(MODULES[module].read_text())
    lines = [line for node in _import_time_nodes(tree) for line in _reads_settings(node)]
    assert lines == [], f"{module} reads settings at import time, line(s) {lines}"


def test_dependencies_point_one_way() -> None:
    for module in MODULES:
        imported = imports_of(module)
        if module.startswith("signup_site.emulator"):
            assert not {name for name in imported if name.startswith("signup_site.campaign")}, module
        if module.startswith("signup_site.campaign"):
            assert not {name for name in imported if name.startswith("signup_site.web")}, module


def test_no_module_is_over_400_lines() -> None:
    long = {
        module: lines
        for module, path in MODULES.items()
        if module != "signup_site.settings" and (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}
