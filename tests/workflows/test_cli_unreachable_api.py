"""An approver types `erp tasks list` while the API is down: one line says the API cannot be reached and
where, the exit code is 2, and no traceback scrolls by."""

import os
import subprocess
import sys
from pathlib import Path

from erp.settings import PROJECT_ROOT


def test_an_unreachable_api_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "ERP_API_URL": "http://127.0.0.1:1",
        "ERP_TOKEN": "x",
        "ERP_CONFIG": str(tmp_path / "none"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "erp.cli.main", "tasks", "list"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().startswith("Cannot reach the ERP API at http://127.0.0.1:1/tasks"), done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
