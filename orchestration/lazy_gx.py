"""Great Expectations, imported when a suite is first built or validated, not when the Dagster
definitions load.

GX takes ~3.5 s to import, more than the rest of the definitions together. Every process that
loads them paid it: the webserver, the daemon and their code servers, every `returnops` command,
and every run, also one that validates nothing (the backlog's latest day, a publish). The check
definitions need only names and descriptions; the modules of `orchestration/defs/quality/` use
these stand-ins, which import the real module on first use. Their GX annotations are never
evaluated: deferred (`from __future__ import annotations`) or quoted where Dagster reads a
decorated function's annotations.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import Any


class LazyModule:
    """A module imported on its first attribute access (then it is `sys.modules`' own)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__"):
            # what a scan of a module's globals asks (Dagster's definitions loader does), and
            # copy or pickle: not a reason to import
            raise AttributeError(attribute)
        return getattr(self.load(), attribute)

    def load(self) -> ModuleType:
        # GX phones home by default; this machine has no business doing so
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
        return importlib.import_module(self._name)


gx = LazyModule("great_expectations")
gxe = LazyModule("great_expectations.expectations")
row_conditions = LazyModule("great_expectations.expectations.row_conditions")
gx_config = LazyModule("great_expectations.data_context.types.base")
