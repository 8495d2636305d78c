"""Whether a RunPython's functions use the current models instead of ``apps.get_model`` (ORB106).

Two ways show it: a name the function's code uses that refers, in the migration module's
globals, to a model class or to a project ``models`` module; and an ``import`` of a ``models``
module inside the function (read from its source).  ``django.db.models`` (fields, expressions)
is fine.
"""

import ast
import inspect
import textwrap
import types

from django.db import models

ALLOWED_MODULES = ("django.db.models",)


def _names(code):
    """Every global name ``code`` and the functions nested in it use."""
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            names |= _names(constant)
    return names


def _is_models_module(value):
    name = getattr(value, "__name__", "")
    return isinstance(value, types.ModuleType) and name.endswith(".models") and not name.startswith(ALLOWED_MODULES)


def _global_uses(function):
    found = []
    for name in sorted(_names(function.__code__)):
        value = function.__globals__.get(name)
        if isinstance(value, type) and issubclass(value, models.Model):
            found.append(f"{name} ({value.__module__})")
        elif _is_models_module(value):
            found.append(f"{name} ({value.__name__})")
    return found


def _imports_in_body(function):
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.module.startswith(ALLOWED_MODULES):
            if node.module.endswith(".models") or any(alias.name == "models" for alias in node.names):
                found.append(f"from {node.module} import {', '.join(alias.name for alias in node.names)}")
        elif isinstance(node, ast.Import):
            found += [
                f"import {alias.name}"
                for alias in node.names
                if alias.name.endswith(".models") and not alias.name.startswith(ALLOWED_MODULES)
            ]
    return found


def current_model_uses(function):
    """What in ``function`` reaches the current models ([] when it uses ``apps.get_model`` only)."""
    function = inspect.unwrap(function)
    if not isinstance(function, types.FunctionType):
        return []
    return _global_uses(function) + _imports_in_body(function)
