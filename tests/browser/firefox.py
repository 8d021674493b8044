"""Headless Firefox ESR driven through its built-in Marionette protocol.

Playwright's Firefox channel cannot drive Debian's Firefox ESR (its WebDriver
BiDi client sends commands ESR does not know) and geckodriver is not packaged,
so the tests start Firefox themselves with `-marionette` on a fresh profile and
talk to it with Mozilla's `marionette-driver`. The profile's `user.js` gives
Firefox a fake microphone (a tone) without a permission prompt and stops it from
calling the network on its own.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

FIREFOX = os.environ.get("PARLEY_FIREFOX", "/usr/bin/firefox-esr")

PREFS: dict[str, object] = {
    # Fake microphone (Firefox's own: a tone), allowed without asking; audio may start without a gesture.
    "media.navigator.streams.fake": True,
    "media.navigator.permission.disabled": True,
    "media.autoplay.default": 0,
    "media.autoplay.block-webaudio": False,
    # No sound card here: without an output device Firefox never starts an AudioContext (it stays "suspended"
    # and resume() never settles). Firefox's mock audio backend (its own test pref) runs the graph in real time.
    "media.cubeb.force_mock_context": True,
    # No first-run pages, no default-browser question, no session restore.
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.page": 0,
    "browser.startup.homepage": "about:blank",
    "browser.startup.homepage_override.mstone": "ignore",
    "startup.homepage_welcome_url": "about:blank",
    "startup.homepage_welcome_url.additional": "",
    "browser.aboutwelcome.enabled": False,
    "browser.sessionstore.resume_from_crash": False,
    "toolkit.startup.max_resumed_crashes": -1,
    "browser.tabs.warnOnClose": False,
    # Nothing leaves the machine on its own: no telemetry, updates, safe browsing, remote settings, captive portal.
    "datareporting.policy.dataSubmissionEnabled": False,
    "datareporting.policy.dataSubmissionPolicyBypassNotification": True,
    "datareporting.healthreport.uploadEnabled": False,
    "datareporting.usage.uploadEnabled": False,
    "toolkit.telemetry.enabled": False,
    "toolkit.telemetry.unified": False,
    "toolkit.telemetry.server": "",
    "app.update.enabled": False,
    "app.update.auto": False,
    "app.normandy.enabled": False,
    "app.normandy.api_url": "",
    "app.shield.optoutstudies.enabled": False,
    "messaging-system.rsexperimentloader.enabled": False,
    "nimbus.rollouts.enabled": False,
    "extensions.update.enabled": False,
    "extensions.getAddons.cache.enabled": False,
    "extensions.systemAddon.update.enabled": False,
    "extensions.blocklist.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.safebrowsing.downloads.remote.enabled": False,
    "browser.safebrowsing.blockedURIs.enabled": False,
    "browser.safebrowsing.provider.mozilla.updateURL": "",
    "browser.safebrowsing.provider.google4.updateURL": "",
    "browser.search.update": False,
    "browser.region.network.url": "",
    "browser.region.update.enabled": False,
    "services.settings.server": "data:,#remote-settings-dummy/v1",
    "browser.newtabpage.enabled": False,
    "browser.newtabpage.activity-stream.feeds.system.topstories": False,
    "browser.newtabpage.activity-stream.feeds.topsites": False,
    "browser.topsites.contile.enabled": False,
    "browser.ping-centre.telemetry": False,
    "browser.translations.enable": False,
    "media.gmp-manager.updateEnabled": False,
    "media.gmp-gmpopenh264.enabled": False,
    "network.proxy.type": 0,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "network.dns.disablePrefetch": True,
    "network.prefetch-next": False,
    "network.http.speculative-parallel-limit": 0,
    "network.trr.mode": 5,
    "dom.push.connection.enabled": False,
    "geo.provider.network.url": "",
    "identity.fxaccounts.enabled": False,
    "security.OCSP.enabled": 0,
    "security.remote_settings.crlite_filters.enabled": False,
    "security.remote_settings.intermediates.enabled": False,
    "signon.rememberSignons": False,
    # The page's console messages and errors go to Firefox's output (the log).
    "devtools.console.stdout.content": True,
    # Keyboard focus behaves as in a focused window although headless.
    "focusmanager.testmode": True,
}


def available() -> str | None:
    """Why Firefox tests cannot run here, or None when they can."""
    if not (shutil.which(FIREFOX) or Path(FIREFOX).exists()):
        return f"Firefox tests need Firefox ESR at {FIREFOX} (apt-get install -y firefox-esr, or set PARLEY_FIREFOX)"
    try:
        import marionette_driver.marionette  # noqa: F401
    except ImportError as error:
        return f"Firefox tests need marionette-driver (pip install -r requirements.txt): {error}"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_profile(directory: Path, marionette_port: int, extra: dict[str, object] | None = None) -> None:
    prefs = {**PREFS, "marionette.port": marionette_port, **(extra or {})}
    lines = [f"user_pref({json.dumps(name)}, {json.dumps(value)});" for name, value in prefs.items()]
    (directory / "user.js").write_text("\n".join(lines) + "\n")


class Firefox:
    """A headless Firefox process with a Marionette session; `close()` always kills the process."""

    def __init__(self, binary: str = FIREFOX, prefs: dict[str, object] | None = None, log_path: Path | None = None):
        from marionette_driver.marionette import Marionette

        self.profile = Path(tempfile.mkdtemp(prefix="parley-firefox-"))
        self.port = free_port()
        write_profile(self.profile, self.port, prefs)
        environment = {
            **os.environ,
            "MOZ_HEADLESS": "1",
            "MOZ_CRASHREPORTER_DISABLE": "1",
            # Release builds ignore services.settings.server (Remote Settings) unless this is set.
            "MOZ_REMOTE_SETTINGS_DEVTOOLS": "1",
        }
        environment.pop("DISPLAY", None)
        self.log_path = log_path or self.profile / "firefox.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            [binary, "-headless", "-marionette", "-no-remote", "-profile", str(self.profile), "about:blank"],
            env=environment,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: close() kills the content processes too
        )
        self.marionette = None
        try:
            client = Marionette(host="127.0.0.1", port=self.port, startup_timeout=30)
            self._wait_for_port(30)
            client.start_session(timeout=30)
            self.marionette = client
        except BaseException:
            self.close()
            raise

    def _wait_for_port(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Firefox exited with {self.process.returncode}:\n{self.log()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return
            time.sleep(0.1)
        raise RuntimeError(f"Firefox's Marionette did not listen on port {self.port} within {timeout} s:\n{self.log()}")

    def log(self, tail: int = 3000) -> str:
        self._log.flush()
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except OSError:
            return ""

    def close(self) -> None:
        if self.marionette is not None:
            with contextlib.suppress(Exception):
                self.marionette.delete_session()
            self.marionette = None
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        # Content processes left in the group after the parent exited.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self._log.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    # --- conveniences -------------------------------------------------------------

    def js(self, script: str, args: list | None = None):
        """Runs `script` (a function body: use `return`) in the page."""
        return self.marionette.execute_script(script, script_args=args or [], sandbox=None)

    def wait_for(self, expression: str, timeout: float = 10.0, step: float = 0.05):
        """Polls a page expression until it is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.js(f"return ({expression});")
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for: {expression}")
            time.sleep(step)


@contextlib.contextmanager
def firefox(**kwargs) -> Iterator[Firefox]:
    browser = Firefox(**kwargs)
    try:
        yield browser
    finally:
        browser.close()
