"""A real lesson in a real browser: the engine judges the fake microphone's words and the page marks them."""

from __future__ import annotations

import pytest

from lessons.models import Assignment, Lesson, LessonItem
from tests.browser.conftest import BASE_ARGS, login_cookie
from tests.conftest import FIXTURES
from tutor.models import User

pytestmark = pytest.mark.slow

# 5 s of silence (the tutor greets and presents the item), "We eat lice every day.", 4 s of silence.
LICE_WAV = FIXTURES / "learner_lice.wav"
SENTENCE = "We eat rice every day."


@pytest.fixture
def assigned_lesson(transactional_db):
    teacher = User.objects.create_user("tess", password="pw-tess-123456", role=User.Role.TEACHER)
    learner = User.objects.create_user("luca", password="pw-luca-123456", role=User.Role.LEARNER)
    lesson = Lesson.objects.create(
        owner=teacher,
        title="R and L at the table",
        language="en-us",
        correction_policy="immediate",
        is_published=True,
    )
    LessonItem.objects.create(lesson=lesson, position=0, kind=LessonItem.Kind.REPEAT, text=SENTENCE)
    Assignment.objects.create(lesson=lesson, learner=learner, assigned_by=teacher)
    return lesson, learner


def test_a_mispronounced_word_spoken_into_the_microphone_is_marked_by_the_engine(
    playwright_instance, chromium_path, live_server_url, assigned_lesson, artifacts
):
    lesson, learner = assigned_lesson
    args = [arg for arg in BASE_ARGS if not arg.startswith("--use-file-for-fake-audio-capture")]
    browser = playwright_instance.chromium.launch(
        executable_path=chromium_path,
        args=[*args, f"--use-file-for-fake-audio-capture={LICE_WAV}", "--use-fake-ui-for-media-stream"],
    )
    try:
        context = browser.new_context(viewport={"width": 1100, "height": 900})
        context.add_cookies([login_cookie(learner, live_server_url)])
        page = context.new_page()
        page.goto(f"{live_server_url}/conversation/?lesson={lesson.pk}")
        assert page.locator("h1").first.inner_text() == lesson.title
        page.get_by_role("button", name="Start talking").click()
        page.wait_for_function("window.parleyDebug && window.parleyDebug.ready", timeout=30_000)
        # The engine presents the item; its text and IPA reach the page.
        page.wait_for_function(
            "(document.querySelector('#item-text')?.textContent || '').includes('rice')", timeout=30_000
        )
        # "lice" for "rice": the engine's streaming verdict marks the word while the lesson goes on.
        rice = page.locator("#transcript .word.word--mispronunciation", has_text="rice")
        rice.first.wait_for(state="visible", timeout=45_000)
        assert page.locator(".correction-card h3").first.inner_text() == "rice"
        page.screenshot(path=str(artifacts / "lesson-engine-live.png"), full_page=True)
        context.close()
    finally:
        browser.close()
