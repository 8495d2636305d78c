"""Child processes of the bench: manage.py and the bench scripts, timed, with their peak RSS."""

import json
import os
import subprocess
import sys
import tempfile
import time

from .config import BENCH, ROOT


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Run:
    """One finished subprocess: wall seconds, exit status, output, peak RSS (MB)."""

    def __init__(self, seconds, returncode, stdout, stderr, maxrss_mb):
        self.seconds, self.returncode = seconds, returncode
        self.stdout, self.stderr, self.maxrss_mb = stdout, stderr, maxrss_mb

    def json(self):
        try:
            return json.loads(self.stdout)
        except ValueError:
            return None

    def last_json_line(self):
        return json.loads(self.stdout.strip().splitlines()[-1])

    def last_line(self):
        lines = (self.stderr or self.stdout).strip().splitlines()
        return lines[-1] if lines else f"exit {self.returncode}"


# Linux counts the pages a process had when it forked into its child's peak RSS (they are the
# child's until its exec), so a child of a large bench process would read large however little it
# uses. Each command is therefore started by this small launcher, forked from a small process: the
# command's figure is its own. The launcher writes "<exit status> <peak RSS KiB>" to argv[1].
LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as handle:
    handle.write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}")
"""


def run(args, *, env=None, check=True):
    """Run a command, measuring wall time and the peak RSS of that one command (wait4, through
    LAUNCHER so that this process's own size never counts)."""
    with (
        tempfile.TemporaryFile("w+") as out,
        tempfile.TemporaryFile("w+") as err,
        tempfile.NamedTemporaryFile("r") as figures,
    ):
        started = time.perf_counter()
        launcher = subprocess.run(
            [sys.executable, "-S", "-c", LAUNCHER, figures.name, *map(str, args)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=err,
            check=False,
        )
        seconds = time.perf_counter() - started
        reported = figures.read().split()
        if len(reported) != 2:
            raise RuntimeError(f"the bench's launcher failed (exit {launcher.returncode}) for {args[0]}")
        returncode, maxrss_kib = int(reported[0]), int(reported[1])
        out.seek(0)
        err.seek(0)
        result = Run(round(seconds, 3), returncode, out.read(), err.read(), round(maxrss_kib / 1024, 1))
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))} exited {result.returncode}: {result.stderr[-2000:]}")
    return result


def django_env(database_url, scenario="scenarios.base", state_dir=None):
    """The environment of a Django child: e2e settings, the database, a bench scenario."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "ORB_")) and k not in ("DATABASE_URL", "PYTHONPATH")
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tests.e2e.settings",
            "DATABASE_URL": database_url,
            "ORB_SCENARIO_MODULE": scenario,
            "PYTHONPATH": f"{ROOT}{os.pathsep}{BENCH}",
        }
    )
    if state_dir:
        env["ORB_STATE_DIR"] = str(state_dir)
        env["ORB_BACKUP_DIR"] = str(state_dir)
    return env


def manage(*args, env, check=True):
    return run([sys.executable, str(ROOT / "manage.py"), *args], env=env, check=check)


def script(name, *args, env, check=True):
    """One of the bench's own scripts (bench/seed.py, bench/pages.py)."""
    return run([sys.executable, str(BENCH / name), *map(str, args)], env=env, check=check)


def plain_migrate(env):
    """Django's plain ``migrate``: the baseline, and the build of the base databases.

    ORB refuses plain migrate on a real database unless ORB_ALLOW_PLAIN_MIGRATE=1.
    """
    return manage("migrate", "--noinput", "-v", "0", env={**env, "ORB_ALLOW_PLAIN_MIGRATE": "1"})


def safe_migrate(env, *, rehearse=False):
    """``safe_migrate --noinput --json`` (with ``--rehearse``); the caller reads its record."""
    args = ["safe_migrate", "--noinput", "--json"] + (["--rehearse"] if rehearse else [])
    return manage(*args, env=env, check=False)
