"""Cloud Functions loads `functions/main.py` the way functions-framework does: by its file
path, from another directory, with nothing of ours on the path. Every entry point must
still import (the packages live at the repository root, not beside the file)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

LOAD = """
import json, sys
import functions_framework._function_registry as registry
module, spec = registry.load_function_module(sys.argv[1])
spec.loader.exec_module(module)
print(json.dumps(sorted(module.ENTRY_POINTS)))
"""


def test_the_function_source_imports_as_functions_framework_loads_it(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    loaded = subprocess.run(
        [sys.executable, "-I", "-c", LOAD, str(ROOT / "functions" / "main.py")],
        cwd=tmp_path,  # not the repository: as in the runtime, cwd gives no imports
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert loaded.returncode == 0, loaded.stderr
    from functions.main import ENTRY_POINTS

    assert json.loads(loaded.stdout.strip().splitlines()[-1]) == sorted(ENTRY_POINTS)
