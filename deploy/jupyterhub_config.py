"""JupyterHub for the course on one machine, with the learners' system accounts. Start it from the
folder that will hold the hub's state (created once with ``sudo install -d -m 700 /srv/jupyterhub``):

    cd /srv/jupyterhub && sudo jupyterhub -f /path/to/course/deploy/jupyterhub_config.py

Learners log in with their Unix user name and password (PAM) and each server runs as that user
(JupyterHub's default spawner). The hub refuses to start until the admin has filled in the two
choices marked below: who may log in, and how passwords reach the hub encrypted. It says which is
missing and the line that fixes it. What the course itself needs (the shared asset folder, memory,
culling) is in course_settings.py beside this file.

tests/integration/test_deploy.py starts this file as it is (refused) and with the choices made
(runs, over HTTPS). tests/hub_harness.py loads it unchanged and then replaces only what a test
machine needs (loopback ports, a temporary state folder, a shared password instead of system
accounts); those test-only settings never belong here. docs/instructors.md explains each setting.
"""

import ipaddress
import urllib.parse
from pathlib import Path

from jupyterhub.auth import PAMAuthenticator

c = get_config()  # noqa: F821  (provided by JupyterHub when it loads this file)
HERE = Path(__file__).resolve().parent  # noqa: F821 (__file__: set by JupyterHub's config loader)

if not (HERE / "course_settings.py").is_file():  # load_subconfig would skip a missing file silently
    raise SystemExit(f"course_settings.py is missing beside {HERE / 'jupyterhub_config.py'}: copy both files")
load_subconfig(str(HERE / "course_settings.py"))  # noqa: F821  (provided by JupyterHub's config loader)

# ------------------------------------------------------------------ the admin's choices
# 1. Who may log in: the class's Unix accounts (create them with `adduser`). Admins may stop
#    servers and use the admin page; they can log in too. Passwords are the accounts' own.
c.Authenticator.admin_users = set()  # e.g. {"teacher"}
c.Authenticator.allowed_users = set()  # e.g. {"ada", "grace", "alan"}

# 2. HTTPS, since learners type their Unix passwords into the login page. Either the hub's own
#    certificate (e.g. from Let's Encrypt's certbot), served on port 8000 unless bind_url says otherwise:
c.JupyterHub.ssl_cert = ""  # e.g. "/etc/letsencrypt/live/hub.example.org/fullchain.pem"
c.JupyterHub.ssl_key = ""  # e.g. "/etc/letsencrypt/live/hub.example.org/privkey.pem"
#    or, behind a web server that terminates HTTPS (nginx, Caddy, Apache), listen on loopback only:
# c.JupyterHub.bind_url = "http://127.0.0.1:8000"
# ------------------------------------------------------------------ end of the admin's choices


def refusals(hub, authenticator) -> list[str]:
    """What stops this hub from being safe to open to a class: one line each, with its fix."""
    where = HERE / "jupyterhub_config.py"
    found = []
    if not (authenticator.allowed_users or authenticator.allowed_groups or authenticator.allow_all):
        found.append(f'nobody may log in yet: set c.Authenticator.allowed_users = {{"ada", "grace"}} in {where}')
    host = urllib.parse.urlsplit(hub.bind_url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:  # "" (every address) or a host name
        loopback = False
    if not hub.ssl_cert and not loopback:
        found.append(
            f"passwords would cross the network unencrypted ({hub.bind_url}): set c.JupyterHub.ssl_cert and "
            f'c.JupyterHub.ssl_key in {where}, or c.JupyterHub.bind_url = "http://127.0.0.1:8000" behind an '
            "HTTPS proxy"
        )
    return found


class ClassroomPAMAuthenticator(PAMAuthenticator):
    """System accounts (PAM), and a hub that refuses to start until the admin's choices are made."""

    def check_allow_config(self):
        # JupyterHub calls this once at start-up, after every config file has been loaded and
        # before the hub listens: the place for a refusal.
        super().check_allow_config()
        problems = refusals(self.parent, self)
        for problem in problems:
            self.log.critical("Refusing to start: %s", problem)
        if problems:
            raise SystemExit(1)


c.JupyterHub.authenticator_class = ClassroomPAMAuthenticator

# The hub's state (cookie secret, user database, pid files) in a folder of its own, readable by
# root only, in the folder the hub is started from: never loose in a checkout of the course
# (.gitignore and .dockerignore leave jupyterhub-state/ out all the same).
STATE = Path.cwd() / "jupyterhub-state"
STATE.mkdir(mode=0o700, exist_ok=True)
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
c.ConfigurableHTTPProxy.pid_file = str(STATE / "jupyterhub-proxy.pid")

# A hub restart (an upgrade, a config change) leaves the learners' servers and kernels running;
# the hub finds them again from its database. Stop them from the admin page when the class is over.
c.JupyterHub.cleanup_servers = False
