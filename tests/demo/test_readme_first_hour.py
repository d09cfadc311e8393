"""The README's first hour works as written: every command block marked `<!-- first-hour -->`, run in order
against the real system `erp up` started (tests/e2e/test_make_run.py), exits 0."""

import os
import re
import subprocess
from pathlib import Path

from erp.settings import PROJECT_ROOT

BLOCK = re.compile(r"<!-- first-hour -->\s*```bash\n(.*?)```", re.S)


def first_hour_blocks() -> list[str]:
    """The marked command blocks of the README, in reading order."""
    return BLOCK.findall((PROJECT_ROOT / "README.md").read_text())


def test_the_readme_marks_every_step() -> None:
    assert len(first_hour_blocks()) >= 6


def run_first_hour(env: dict[str, str], tmp_path: Path, api: int, temporal: int, ui: int) -> None:
    """Run every marked block against a started system (tests/e2e/test_make_run.py starts it once)."""
    # The README's ${VAR:-default} placeholders, pointed at this test's ports; no stray tokens.
    shell_env = {k: v for k, v in env.items() if k not in ("ERP_TOKEN", "ERP_API_URL")}
    shell_env.update(
        ERP_API=f"http://127.0.0.1:{api}",
        ERP_TEMPORAL=f"127.0.0.1:{temporal}",
        ERP_TEMPORAL_UI=f"http://127.0.0.1:{ui}",
        ERP_CONFIG=str(tmp_path / "no-config.json"),
    )
    for block in first_hour_blocks():
        done = subprocess.run(
            ["bash", "-e", "-c", block],
            cwd=PROJECT_ROOT,
            env={**shell_env, "PATH": f"{PROJECT_ROOT / '.venv' / 'bin'}:{os.environ['PATH']}"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, (
            f"{block}\n--- stdout\n{done.stdout[-2000:]}\n--- stderr\n{done.stderr[-2000:]}"
        )
