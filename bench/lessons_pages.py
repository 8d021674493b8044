"""How fast are the lesson pages for a teacher with 100 lessons? Prints JSON.

    DJANGO_DEBUG=1 .venv/bin/python -m tutor.stack exec --profile bench -- .venv/bin/python bench/lessons_pages.py

Migrates the bench database, creates a throw-away teacher with 100 lessons (the
starter curriculum and copies of it), then times each page through Django's test
client (the whole request: middleware, views, queries, templates; no network),
with DEBUG off so that queries are not recorded. Reports the median and the
spread over --runs runs after one warm-up, and the number of SQL queries each page
makes. The teacher and her lessons are deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tutor.settings")


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", type=int, default=100)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from lessons import services, tokens
    from lessons.curriculum import load_starter_curriculum
    from lessons.models import LessonItem
    from tutor.models import User

    call_command("migrate", verbosity=0)
    settings.DEBUG = False
    username = f"bench-teacher-{os.getpid()}"
    teacher = User.objects.create_user(username, password=None, role=User.Role.TEACHER)
    try:
        started = time.perf_counter()
        originals = load_starter_curriculum(teacher).created
        lessons = list(originals)
        while len(lessons) < args.lessons:
            lessons.append(services.do_duplicate_lesson(teacher, originals[len(lessons) % len(originals)]))
        setup_seconds = time.perf_counter() - started
        item_count = LessonItem.objects.filter(lesson__owner=teacher).count()
        _token, secret = tokens.do_create_api_token(teacher, "bench")

        client = Client(HTTP_HOST="localhost")
        client.force_login(teacher)
        editor_lesson = max(lessons[: len(originals)], key=lambda lesson: lesson.items.count())
        pages = {
            "lesson_list": (reverse("lessons:list"), {}),
            "lesson_editor": (reverse("lessons:edit", args=[editor_lesson.pk]), {}),
            "export_all_json": (reverse("lessons:export_all"), {}),
            "api_list_100": ("/lessons/api/lessons?limit=100", {"HTTP_AUTHORIZATION": f"Bearer {secret}"}),
        }
        results = {}
        for name, (url, headers) in pages.items():
            response = client.get(url, **headers)  # warm-up: caches, lexicon, template loading
            assert response.status_code == 200, (name, response.status_code)
            queries = QueryCounter()
            with connection.execute_wrapper(queries):
                client.get(url, **headers)
            timings = []
            for _ in range(args.runs):
                begin = time.perf_counter()
                response = client.get(url, **headers)
                timings.append((time.perf_counter() - begin) * 1000)
            results[name] = {
                "median_ms": round(statistics.median(timings), 1),
                "min_ms": round(min(timings), 1),
                "max_ms": round(max(timings), 1),
                "queries": queries.count,
                "bytes": len(response.content),
            }
        report = {
            "benchmark": "lessons_pages",
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "lessons": len(lessons),
            "items": item_count,
            "editor_lesson_items": editor_lesson.items.count(),
            "runs": args.runs,
            "setup_seconds": round(setup_seconds, 1),
            "pages": results,
        }
        print(json.dumps(report, indent=2))
    finally:
        teacher.delete()


if __name__ == "__main__":
    main()
