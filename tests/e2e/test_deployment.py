"""docs/DEPLOYMENT.md, run (issue 18): its commands and the units in deploy/, without systemd.

Every command line of the page's ``sh`` blocks is either run here, in the page's order, with the
box's folders moved into a temporary one (/opt/orb is this checkout; /etc/orb, /var/lib/orb,
/etc/systemd and /media/usb are folders under tmp), or named in NOT_RUN with the reason.  The
`orb` user cannot be switched to in a test: commands run as the test's user, without `sudo`, and
`install`'s -o/-g are dropped.  Then the installed units are checked with `systemd-analyze verify`
and their ExecStartPre/ExecStart lines are run with the environment systemd would give them.
"""

import os
import re
import shlex
import shutil
import signal
import subprocess

import pytest

from . import dbfacts
from .conftest import ROOT
from .test_serve import Browser, Server, free_port

pytestmark = pytest.mark.e2e

DOC = ROOT / "docs" / "DEPLOYMENT.md"
# Lines of the page a test cannot run (packages, users, systemd, devices), each with why.
NOT_RUN = {
    "sudo apt-get install": "installs Debian packages",
    "sudo useradd": "creates a system user",
    "sudo git clone": "the checkout under test is the release",
    "sudo make -C /opt/orb setup": "the checkout's .venv is set up",
    "sudo python3.11 -m venv": "the checkout's .venv is set up",
    "sudo /opt/orb/.venv/bin/pip install": "needs the wheels on a stick",
    "sudoedit": "the test writes the file's values itself",
    "sudo systemctl": "no systemd in a test: the units' command lines are run below instead",
    "curl": "the web unit's /healthz is asked below",
    "systemctl list-timers": "no systemd in a test",
    "journalctl": "no systemd in a test",
    "sudo mount": "a folder stands for the stick",
    "sudo umount": "a folder stands for the stick",
}
RUN = ("sudo -u orb ", "sudo install ", "sudo sed ")
PASSWORD = "a-long-enough-password-1"


def doc_commands():
    """The command lines of the page's ``sh`` blocks (comments and blank lines left out)."""
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(), flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip() and line[0] != "#"]


class Box:
    """A temporary folder standing for the box's /etc, /var/lib and the stick."""

    def __init__(self, base):
        self.base = base
        self.places = {
            "/opt/orb": str(ROOT),
            "/etc/orb": str(base / "etc" / "orb"),
            "/etc/systemd": str(base / "etc" / "systemd"),
            "/var/lib/orb": str(base / "var" / "lib" / "orb"),
            "/media/usb": str(base / "media" / "usb"),
        }
        self.env_file = base / "etc" / "orb" / "orb.env"
        self.log = []

    def moved(self, text):
        for place, here in self.places.items():
            text = text.replace(place, here)
        return text

    def env(self, **extra):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ORB_", "WEB_"))}
        env.pop("DATABASE_URL", None)
        env.pop("PYTHONPATH", None)
        env.update(ORB_ENV_FILE=str(self.env_file), **extra)
        return env

    def run(self, line):
        command = self.moved(line)
        command = re.sub(r"^sudo (-u orb )?", "", command)
        command = re.sub(r" -o \w+ -g \w+", "", command)
        env = self.env()
        if " createsuperuser " in f" {command} ":
            command += " --noinput --email chief@example.org"
            env["DJANGO_SUPERUSER_PASSWORD"] = PASSWORD
        result = subprocess.run(
            ["sh", "-c", command], cwd=self.base, env=env, capture_output=True, text=True, timeout=300
        )
        self.log.append((line, result))
        assert result.returncode == 0, f"{line}\n{result.stdout}\n{result.stderr}"
        assert "Traceback" not in result.stdout + result.stderr, result.stderr
        if line.endswith("/etc/orb/orb.env") and " install " in f" {line} ":
            # What the operator's sudoedit does here: the box's paths (moved into the test's folder).
            self.env_file.write_text(self.moved(self.env_file.read_text()))
        return result

    def output(self, fragment):
        return next(result.stdout + result.stderr for line, result in self.log if fragment in line)

    def db(self):
        return self.places["/var/lib/orb"] + "/data/orb.db"

    def journal(self):
        return dbfacts.journal(self.db())


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    """The page's commands, run in its order on a new box."""
    box = Box(tmp_path_factory.mktemp("box"))
    os.makedirs(box.places["/media/usb"])
    os.makedirs(box.places["/etc/systemd"] + "/system")  # there on every Debian box
    for line in doc_commands():
        if line.startswith(RUN):
            box.run(line)
        else:
            assert any(line.startswith(prefix) for prefix in NOT_RUN), f"classify this line of {DOC.name}: {line}"
    return box


def test_the_page_takes_a_new_box_to_a_migrated_checked_backed_up_record(box):
    assert stat_mode(box.places["/var/lib/orb"] + "/backups") == 0o700
    assert stat_mode(str(box.env_file)) == 0o640
    key = re.search(r"^DJANGO_SECRET_KEY=(.+)$", box.env_file.read_text(), flags=re.M).group(1)
    assert len(key) >= 50 and "replace" not in key
    assert "System check identified no issues (4 silenced)." in box.output("check --deploy")
    assert dbfacts.rows(box.db(), "SELECT username, is_superuser FROM auth_user") == [("chief", 1)]
    assert dbfacts.count(box.db(), "soundings_tank") > 0  # the vessel's tables are loaded
    modes = [(r["mode"], r["outcome"]) for r in box.journal()]
    assert modes[0] == ("upgrade", "applied") and ("backup", "applied") in modes
    [export] = os.listdir(box.places["/media/usb"])
    assert export.startswith("orb-export-")
    assert "README.txt" in os.listdir(os.path.join(box.places["/media/usb"], export))
    assert "The book is intact" in box.output("verify_orb")


def stat_mode(path):
    return os.stat(path).st_mode & 0o777


def unit(path):
    """[(key, value)] of a unit file's settings, in order (keys may repeat, as in systemd)."""
    pairs = []
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            pairs.append((key.strip(), value.strip()))
    return pairs


def installed(box, name):
    """A unit as installed by the page, with the box's paths moved like every command's."""
    path = box.base / "etc" / "systemd" / "system" / name
    moved = box.base / "units" / name
    moved.parent.mkdir(exist_ok=True)
    moved.write_text(box.moved(path.read_text()))
    return moved


def unit_env(box, pairs, **overrides):
    """The environment systemd gives the service: Environment=, then EnvironmentFile= (which wins)."""
    env = box.env()
    for key, value in pairs:
        if key == "Environment":
            name, _, val = value.partition("=")
            env[name] = val
    for key, value in pairs:
        if key == "EnvironmentFile":
            with open(value) as handle:
                lines = handle.read().splitlines()
            for line in lines:
                if line.strip() and not line.startswith("#"):
                    name, _, val = line.partition("=")
                    env[name.strip()] = val.strip()
    env.update(overrides)
    return env


def command_line(value, env):
    """An Exec line as systemd splits it, ${VAR} replaced from the service's environment."""
    return shlex.split(re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], value))


def test_units_pass_systemd_analyze_verify(box):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed (apt-get install systemd)")
    units = [installed(box, n) for n in ("orb-web.service", "orb-backup.service", "orb-backup.timer")]
    result = subprocess.run(["systemd-analyze", "verify", *map(str, units)], capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == "" and result.stdout == "", result.stderr
    [calendar] = [v for k, v in unit(units[2]) if k == "OnCalendar"]
    assert subprocess.run(["systemd-analyze", "calendar", calendar], capture_output=True).returncode == 0


def test_the_web_units_command_lines_serve_the_app(box):
    pairs = unit(installed(box, "orb-web.service"))
    port = free_port()
    env = unit_env(box, pairs, ORB_BIND=f"127.0.0.1:{port}")  # the file says 0.0.0.0:8000; a test stays on loopback
    settings = dict(pairs)
    pre = subprocess.run(command_line(settings["ExecStartPre"], env), cwd=settings["WorkingDirectory"], env=env)
    assert pre.returncode == 0 and os.path.isfile(env["ORB_STATIC_ROOT"] + "/admin/css/base.css")
    server = Server(command_line(settings["ExecStart"], env), env=env, port=port, cwd=settings["WorkingDirectory"])
    try:
        server.wait_listening()
        response, body = Browser(port).get("/healthz")
        assert response.status == 200 and body == b'{"status": "ok"}'
        response, _ = Browser(port).get("/static/admin/css/base.css")
        assert response.status == 200
    except BaseException:
        server.kill()
        raise
    os.kill(server.process.pid, signal.SIGTERM)  # systemd's stop: SIGTERM to the main process
    server.wait_for(r"Shutting down: Master", timeout=60)
    assert server.process.wait(timeout=60) == 0


def test_the_backup_units_command_line_takes_a_backup(box):
    pairs = unit(installed(box, "orb-backup.service"))
    settings = dict(pairs)
    env = unit_env(box, pairs)
    assert env["ORB_BACKUP_KEEP"] == "14"
    before = len(box.journal())
    result = subprocess.run(
        command_line(settings["ExecStart"], env),
        cwd=settings["WorkingDirectory"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    records = box.journal()[before:]
    assert [r["mode"] for r in records][0] == "backup" and os.path.exists(records[0]["backup"]["path"])
    timer = dict(unit(installed(box, "orb-backup.timer")))
    assert timer["Persistent"] == "true"
