"""Export and import: a versioned JSON document; a bad file gets clear errors and changes nothing."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from lessons import services, transfer
from lessons.models import Lesson
from tests.conftest import client_for
from tests.lessons.conftest import make_lesson

pytestmark = pytest.mark.django_db


def exported(lesson: Lesson) -> dict:
    return transfer.export_lessons(Lesson.objects.filter(pk=lesson.pk))


def test_round_trip_keeps_every_field_of_every_item(personas, other_teacher):
    # given a lesson with an item of each kind, one hidden, and an IPA the teacher typed herself
    lesson = make_lesson(personas["teacher"])
    services.do_update_item(personas["teacher"], lesson.items.first(), {"ipa": "ˈθæŋk ju"})
    services.do_set_item_published(personas["teacher"], lesson.items.last(), False)
    document = exported(lesson)
    # when another teacher imports its export
    (copy,) = transfer.import_lessons(other_teacher, json.dumps(document))
    # then the copy exports to the same document, except that imports arrive as drafts
    again = exported(copy)
    assert again["lessons"][0].pop("is_published") is False
    document["lessons"][0].pop("is_published")
    assert again == document
    assert copy.owner == other_teacher and copy.items.first().ipa == "ˈθæŋk ju"


def test_document_has_format_and_version(personas):
    document = exported(make_lesson(personas["teacher"]))
    assert document["format"] == "parley-lessons" and document["version"] == 1
    assert [item["kind"] for item in document["lessons"][0]["items"]] == [
        "repeat",
        "minimal_pair",
        "question",
        "free_talk",
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("not json", "This is not JSON"),
        (json.dumps({"format": "parley-lessons", "version": 9, "lessons": []}), "Version 9 of the lesson format"),
        (json.dumps({"format": "something-else", "version": 1, "lessons": []}), "format:"),
        (json.dumps({"format": "parley-lessons", "version": 1, "lessons": [{"title": ""}]}), "lessons[0].title"),
        (
            json.dumps(
                {"format": "parley-lessons", "version": 1, "lessons": [{"title": "T", "items": [{"kind": "karaoke"}]}]}
            ),
            "lessons[0].items[0]",
        ),
        (
            json.dumps({"format": "parley-lessons", "version": 1, "lessons": [{"title": "T", "colour": "blue"}]}),
            "lessons[0].colour: Extra inputs are not permitted",
        ),
    ],
)
def test_bad_documents_are_refused_with_where_and_why(personas, raw, message):
    with pytest.raises(transfer.ImportRefused) as refused:
        transfer.import_lessons(personas["teacher"], raw)
    assert message in " | ".join(refused.value.errors)
    assert not Lesson.objects.exists()


def test_one_bad_lesson_refuses_the_whole_file(personas):
    good = exported(make_lesson(personas["teacher"], "Good"))["lessons"][0]
    bad = json.loads(json.dumps(good))
    bad["title"] = "Bad"
    bad["items"][0].update(text="Say blorptastic", ipa="")
    raw = json.dumps({"format": "parley-lessons", "version": 1, "lessons": [good, good, bad]})
    with pytest.raises(transfer.ImportRefused) as refused:
        transfer.import_lessons(personas["teacher"], raw)
    assert refused.value.errors == [
        "lessons[2].items[0].text: No known pronunciation for “blorptastic”. Check the spelling, "
        "write numbers as words, or type the IPA yourself."
    ]
    assert list(Lesson.objects.values_list("title", flat=True)) == ["Good"]


def test_import_page_shows_the_errors(personas):
    teacher = client_for(personas["teacher"])
    upload = SimpleUploadedFile("x.json", b'{"format": "parley-lessons", "version": 1, "lessons": []}')
    response = teacher.post(reverse("lessons:import"), {"document": upload})
    assert response.status_code == 400
    assert "Nothing was imported" in response.content.decode() and "lessons:" in response.content.decode()


def test_export_page_downloads_json(personas, lesson):
    response = client_for(personas["teacher"]).get(reverse("lessons:export", args=[lesson.pk]))
    assert response["Content-Disposition"].startswith("attachment")
    assert json.loads(response.content)["lessons"][0]["title"] == lesson.title


def test_oversized_upload_is_refused(personas):
    upload = SimpleUploadedFile("big.json", b" " * (3 * 1024 * 1024))
    response = client_for(personas["teacher"]).post(reverse("lessons:import"), {"document": upload}, follow=True)
    assert "larger than 2048 KiB" in response.content.decode()
