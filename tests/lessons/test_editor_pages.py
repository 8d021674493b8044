"""The authoring pages as a teacher uses them: IPA shown, errors in the form, moving without JavaScript,
the drag-and-drop endpoint, suggestions, the tutor's voice and the token page."""

from __future__ import annotations

import json
import os

import pytest
from django.urls import reverse

from lessons import voice
from lessons.models import ApiToken, LessonItem
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_editor_shows_ipa_suggestions_and_move_buttons(personas, lesson):
    page = client_for(personas["teacher"]).get(reverse("lessons:edit", args=[lesson.pk])).content.decode()
    repeat = lesson.items.get(kind="repeat")
    assert repeat.ipa.startswith("ˈθæŋk") and f"/{repeat.ipa}/" in page
    assert "/ˈθɪŋk/</span> – sink" in page
    assert 'name="direction" value="up"' in page and 'name="direction" value="down"' in page
    assert "Ideas for the focus sounds" in page and 'three <span class="ipa">/ˈθɹiː/</span> – tree' in page
    assert "js/lesson-editor.js" in page and "csrfmiddlewaretoken" in page


def test_adding_an_item_with_an_unknown_word_shows_the_message_in_the_form(personas, lesson):
    response = client_for(personas["teacher"]).post(
        reverse("lessons:add_item", args=[lesson.pk]),
        {"kind": "repeat", "new-repeat-kind": "repeat", "new-repeat-text": "Meet my friend Zorblax"},
    )
    assert response.status_code == 400
    assert "No known pronunciation for “Zorblax”" in response.content.decode()
    assert lesson.items.count() == 4


def test_editing_an_item_keeps_the_teachers_ipa(personas, lesson):
    item = lesson.items.get(kind="repeat")
    prefix = f"item-{item.pk}"
    client_for(personas["teacher"]).post(
        reverse("lessons:edit_item", args=[item.pk]),
        {f"{prefix}-kind": "repeat", f"{prefix}-text": "Zorblax says thanks", f"{prefix}-ipa": "ˈzɔɹblæks sɛz θæŋks"},
    )
    item.refresh_from_db()
    assert (item.text, item.ipa) == ("Zorblax says thanks", "ˈzɔɹblæks sɛz θæŋks")


def test_minimal_pairs_are_typed_one_a_line(personas, lesson):
    response = client_for(personas["teacher"]).post(
        reverse("lessons:add_item", args=[lesson.pk]),
        {
            "kind": "minimal_pair",
            "new-minimal_pair-kind": "minimal_pair",
            "new-minimal_pair-target_phoneme": "ð",
            "new-minimal_pair-pairs": "they | day\nthen /ðɛn/ | den\n",
        },
    )
    assert response.status_code == 302
    item = lesson.items.get(kind="minimal_pair", target_phoneme="ð")
    assert [(p["target"], p["target_ipa"], p["contrast"]) for p in item.pairs] == [
        ("they", "ðeɪ", "day"),
        ("then", "ðɛn", "den"),
    ]


def test_a_badly_written_pair_line_is_explained(personas, lesson):
    response = client_for(personas["teacher"]).post(
        reverse("lessons:add_item", args=[lesson.pk]),
        {
            "kind": "minimal_pair",
            "new-minimal_pair-kind": "minimal_pair",
            "new-minimal_pair-target_phoneme": "ð",
            "new-minimal_pair-pairs": "they day",
        },
    )
    assert response.status_code == 400 and "Line 1: write a pair as “think | sink”" in response.content.decode()


def test_move_buttons_work_without_javascript(personas, lesson):
    first, second = lesson.items.all()[:2]
    response = client_for(personas["teacher"]).post(reverse("lessons:move_item", args=[second.pk]), {"direction": "up"})
    assert response.status_code == 302 and response["Location"].endswith(f"#item-{second.pk}")
    assert list(lesson.items.values_list("pk", flat=True))[:2] == [second.pk, first.pk]


@pytest.mark.parametrize("body", ['{"order": "1,2"}', "not json", '{"order": [1, 2]}', '{"nothing": []}'])
def test_reorder_endpoint_refuses_bad_orders(personas, lesson, body):
    before = list(lesson.items.values_list("pk", flat=True))
    response = client_for(personas["teacher"]).post(
        reverse("lessons:reorder_items", args=[lesson.pk]), body, content_type="application/json"
    )
    assert response.status_code == 400 and "error" in response.json()
    assert list(lesson.items.values_list("pk", flat=True)) == before


def test_reorder_cannot_move_another_lessons_items(personas, lesson, draft_lesson):
    foreign = list(draft_lesson.items.values_list("pk", flat=True))
    response = client_for(personas["teacher"]).post(
        reverse("lessons:reorder_items", args=[lesson.pk]),
        json.dumps({"order": foreign}),
        content_type="application/json",
    )
    assert response.status_code == 400


def test_publishing_an_empty_lesson_says_why(personas):
    teacher = client_for(personas["teacher"])
    teacher.post(
        reverse("lessons:create"),
        {
            "title": "Empty",
            "language": "en-us",
            "level": "A1",
            "correction_policy": "off",
            "patience": 1,
            "think_time_seconds": 3,
            "speaking_time_limit_seconds": 20,
        },
    )
    lesson = personas["teacher"].lessons_owned.get(title="Empty")
    response = teacher.post(reverse("lessons:publish", args=[lesson.pk]), {"published": "1"}, follow=True)
    assert "Publish at least one item" in response.content.decode()


def test_learner_sees_no_accepted_answers_and_no_hidden_items(personas, lesson):
    hidden = lesson.items.get(kind="free_talk")
    hidden.is_published = False
    hidden.save()
    page = client_for(personas["learner"]).get(reverse("lessons:detail", args=[lesson.pk])).content.decode()
    assert "How old are you?" in page and "I am twenty years old" not in page
    assert "Talk about your weekend." not in page


def test_learner_lesson_list_shows_assignments_with_due_dates(personas, lesson, draft_lesson):
    assignment = lesson.assignments.get()
    assignment.due_at = "2027-02-03T10:00:00Z"
    assignment.save()
    page = client_for(personas["learner"]).get(reverse("lessons:list")).content.decode()
    assert lesson.title in page and "2027-02-03 10:00" in page and draft_lesson.title not in page


def test_tutor_voice_returns_a_cached_wav_and_refuses_long_text(personas, lesson, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    teacher = client_for(personas["teacher"])
    response = teacher.get(reverse("lessons:say"), {"text": "Thank you."})
    assert response.status_code == 200 and response["Content-Type"] == "audio/wav"
    assert response.content[:4] == b"RIFF" and len(response.content) > 10_000
    assert voice.cache_path("Thank you.", slow=False).read_bytes() == response.content
    too_long = teacher.get(reverse("lessons:say"), {"text": "a" * (voice.MAX_SPOKEN_CHARS + 1)})
    assert too_long.status_code == 400 and b"at most 300 characters" in too_long.content
    item = lesson.items.get(kind=LessonItem.Kind.MINIMAL_PAIR)
    word = teacher.get(reverse("lessons:item_audio", args=[item.pk]), {"word": "0-contrast"})
    assert word.status_code == 200 and word.content[:4] == b"RIFF"


def test_the_voice_cache_keeps_under_its_budget_by_dropping_the_least_recently_played(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    first = voice.speak("Thank you.")
    second = voice.speak("Good morning.")
    settings.TTS_CACHE_MAX_BYTES = len(first) + len(second) + 1000  # both, but not a third
    assert voice.speak("Thank you.") == first  # a hit: now the most recently played
    third = voice.speak("See you soon.")
    assert voice.cache_path("See you soon.", slow=False).read_bytes() == third  # the new file always stays
    assert not voice.cache_path("Good morning.", slow=False).exists()  # the least recently played went first
    kept_first = len(first) + len(third) <= settings.TTS_CACHE_MAX_BYTES
    assert voice.cache_path("Thank you.", slow=False).exists() == kept_first
    cached = sum(p.stat().st_size for p in (tmp_path / "tts-cache").glob("*/*.wav"))
    assert cached <= settings.TTS_CACHE_MAX_BYTES


def test_evicting_leaves_a_cache_under_budget_alone_and_removes_oldest_first(tmp_path):
    for age, name in enumerate(["new", "middle", "old"]):
        wav = tmp_path / "ab" / f"{name}.wav"
        wav.parent.mkdir(exist_ok=True)
        wav.write_bytes(b"x" * 100)
        os.utime(wav, (1_000_000 - age * 10, 1_000_000 - age * 10))
    assert voice.evict_least_recent(tmp_path, 300) == 0
    assert voice.evict_least_recent(tmp_path, 250) == 100
    assert sorted(p.name for p in tmp_path.glob("*/*.wav")) == ["middle.wav", "new.wav"]
    assert voice.evict_least_recent(tmp_path, 150, keep=tmp_path / "ab" / "middle.wav") == 100
    assert [p.name for p in tmp_path.glob("*/*.wav")] == ["middle.wav"]


def test_ipa_preview_names_unknown_words(personas):
    data = client_for(personas["teacher"]).get(reverse("lessons:ipa_preview"), {"text": "three zorblaxes"}).json()
    assert data["ipa"].startswith("ˈθɹiː") and data["unknown_words"] == ["zorblaxes"]


def test_token_page_shows_the_secret_once(personas):
    teacher = client_for(personas["teacher"])
    created = teacher.post(reverse("lessons:api_tokens"), {"name": "nightly sync"}).content.decode()
    token = ApiToken.objects.get()
    secret = created.split('<code class="token">')[1].split("</code>")[0]
    assert secret.startswith("plt_") and token.prefix == secret[:12]
    again = teacher.get(reverse("lessons:api_tokens")).content.decode()
    assert secret not in again and token.prefix in again
    teacher.post(reverse("lessons:revoke_api_token", args=[token.pk]))
    token.refresh_from_db()
    assert not token.is_active
