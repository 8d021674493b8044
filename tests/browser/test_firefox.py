"""The conversation page in real headless Firefox ESR, driven through Marionette.

The same page as in Chromium (test_conversation_page.py), in echo mode against a
real daphne: Firefox's fake microphone (a tone) goes through the capture
worklet to the server, the echo comes back through the playback worklet, the
round trip is measured, and a forced disconnect resumes the same session. One
Firefox serves the module; each test opens its own page.
"""

from __future__ import annotations

import time

import pytest

from tests.browser import firefox as ff
from tests.browser.conftest import login_cookie
from tutor.models import ConversationSession

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(ff.available() is not None, reason=ff.available() or ""),
]


@pytest.fixture(scope="module")
def firefox(artifacts):
    browser = ff.Firefox(log_path=artifacts / "firefox.log")
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def page(request, firefox, live_server_url, learner):
    """Firefox on /conversation/, logged in as the learner, not started yet."""
    marionette = firefox.marionette
    marionette.navigate(f"{live_server_url}/static/js/frames.js")  # the origin, for the cookie
    cookie = login_cookie(learner, live_server_url)
    marionette.delete_all_cookies()
    marionette.add_cookie({"name": cookie["name"], "value": cookie["value"], "path": "/"})
    marionette.navigate(f"{live_server_url}/conversation/")
    firefox.wait_for("window.parleyDebug && document.querySelector('#start')")
    firefox.js("console.log(arguments[0]);", [f"[parley test] {request.node.name}: page loaded"])  # marks the log
    yield firefox
    firefox.js("console.log(arguments[0]);", [f"[parley test] {request.node.name}: leaving the page"])
    marionette.navigate("about:blank")  # closes the socket and the audio of this page


def debug_value(page, expression: str):
    return page.js(f"return window.parleyDebug.{expression};")


def start(page) -> dict:
    page.marionette.find_element("css selector", "#start").click()
    page.wait_for("window.parleyDebug.ready", timeout=15)
    return debug_value(page, "timings")


def stored_bytes(session_id: str) -> int:
    return ConversationSession.objects.get(pk=session_id).audio_bytes


def wait_until(predicate, timeout: float = 10.0, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(step)
    return value


def test_echo_session_in_firefox_captures_plays_back_and_measures_the_round_trip(page):
    timings = start(page)
    print(
        f"Firefox: page load -> ready {timings['readyAt']:.0f} ms, "
        f"click -> ready {timings['readyAt'] - timings['startAt']:.0f} ms"
    )
    welcome = debug_value(page, "welcomes[0]")
    assert welcome["resumed"] is False and welcome["next_seq"] == 0
    assert "Connected" in page.js("return document.querySelector('#status').textContent;")
    assert page.js("return window.parleyDebug.client.welcome.downstream.sample_rate;") > 0
    assert debug_value(page, "sampleRate") > 0

    # The microphone runs through the capture worklet: frames are cut and the tone moves the meter.
    page.wait_for("window.parleyDebug.capturedFrames > 25", timeout=5)
    page.wait_for("window.parleyDebug.micLevelDb > -50", timeout=5)

    # Tutor audio (our echo) reaches the playback worklet and is played.
    page.wait_for("window.parleyDebug.playback && window.parleyDebug.playback.playedSamples > 0", timeout=10)
    first = debug_value(page, "playback.playedSamples")
    page.wait_for(f"window.parleyDebug.playback.playedSamples > {first}", timeout=5)
    assert debug_value(page, "playback.receivedFrames") > 0

    # The round trip is measured on the page's clock.
    page.wait_for("window.parleyDebug.rttSamples.length >= 2", timeout=5)
    assert 0 < debug_value(page, "rttMedianMs") < 1000
    assert "error" not in debug_value(page, "events"), "the server refused nothing the page sent"
    assert debug_value(page, "client.counters.reconnects") == 0


def test_a_dropped_connection_in_firefox_resumes_the_same_session(page):
    start(page)
    session_id = debug_value(page, "welcomes[0].session_id")
    wait_until(lambda: stored_bytes(session_id) > 0)

    page.js("window.parleyDebug.dropConnection();")
    page.wait_for("window.parleyDebug.welcomes.length >= 2", timeout=10)
    second = debug_value(page, "welcomes[1]")
    assert second["resumed"] is True and second["session_id"] == session_id
    assert second["next_seq"] > 0
    page.wait_for("document.querySelector('#status').textContent.includes('Reconnected — same session')")

    after_resume = stored_bytes(session_id)
    wait_until(lambda: stored_bytes(session_id) > after_resume + 16_000)  # another half second of audio stored
    row = ConversationSession.objects.get(pk=session_id)
    assert row.frames_missing == 0, "frames captured while disconnected were resent"
    assert row.connections == 2


def test_tab_reaches_start_and_enter_starts_the_session_in_firefox(page):
    from marionette_driver.keys import Keys

    marionette = page.marionette
    page.js("document.activeElement && document.activeElement.blur();")
    for _ in range(40):
        marionette.actions.sequence("key", "keyboard").key_down(Keys.TAB).key_up(Keys.TAB).perform()
        if page.js("return document.activeElement && document.activeElement.id;") == "start":
            break
    else:
        raise AssertionError("Tab never reached the Start button")
    assert page.js("return document.activeElement.matches(':focus-visible');"), "keyboard focus is visible"
    marionette.actions.sequence("key", "keyboard").key_down(Keys.ENTER).key_up(Keys.ENTER).perform()
    marionette.actions.release()
    page.wait_for("window.parleyDebug.ready", timeout=15)
    assert debug_value(page, "welcomes.length") == 1


def test_no_sound_output_is_reported_instead_of_waiting_forever(artifacts, live_server_url, learner):
    # Without any audio output device Firefox never starts an AudioContext: resume() never settles.
    # Firefox's null audio backend is that machine, whatever this one has.
    with ff.firefox(
        prefs={"media.cubeb.force_mock_context": False, "media.cubeb.force_null_context": True},
        log_path=artifacts / "firefox-no-output.log",
    ) as browser:
        marionette = browser.marionette
        marionette.navigate(f"{live_server_url}/static/js/frames.js")
        cookie = login_cookie(learner, live_server_url)
        marionette.add_cookie({"name": cookie["name"], "value": cookie["value"], "path": "/"})
        marionette.navigate(f"{live_server_url}/conversation/")
        browser.wait_for("window.parleyDebug && document.querySelector('#start')")
        marionette.find_element("css selector", "#start").click()

        browser.wait_for("!document.querySelector('#mic-problem').hidden", timeout=10)
        assert browser.js("return document.querySelector('#conversation').dataset.micProblem;") == "no-output"
        message = browser.js("return document.querySelector('#mic-problem-text').textContent;")
        assert "no speakers or headphones" in message
        assert browser.js("return document.activeElement.id;") == "mic-retry"
        assert not debug_value(browser, "ready")
        # The session just opened is ended rather than left waiting.
        session_id = browser.wait_for("window.parleyDebug.welcomes.length && window.parleyDebug.welcomes[0].session_id")
        wait_until(lambda: ConversationSession.objects.get(pk=session_id).status == ConversationSession.Status.ENDED)
