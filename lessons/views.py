"""Teacher authoring pages and the learner's lesson pages. Thin: forms parse, services decide."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import answers, pronunciation, services, suggestions, tokens, transfer, voice
from .forms import (
    AnswerForm,
    ApiTokenForm,
    AssignForm,
    ImportForm,
    ItemForm,
    LessonForm,
    add_service_errors,
)
from .models import ApiToken, Assignment, Lesson, LessonItem

MAX_REORDER_BODY_BYTES = 16 * 1024


def _own_lesson(request: HttpRequest, pk: int) -> Lesson:
    lesson = get_object_or_404(Lesson, pk=pk)
    services.check_can_edit_lesson(request.user, lesson)
    return lesson


def _own_item(request: HttpRequest, pk: int) -> LessonItem:
    item = get_object_or_404(LessonItem.objects.select_related("lesson"), pk=pk)
    services.check_can_edit_lesson(request.user, item.lesson)
    return item


def _to_editor(item: LessonItem) -> HttpResponse:
    return redirect(f"{item.lesson.get_absolute_url()}#item-{item.pk}")


@login_required
@require_GET
def lesson_list(request: HttpRequest) -> HttpResponse:
    if request.user.is_teacher:
        lessons = services.lessons_owned_by(request.user).annotate(
            item_count=Count("items", distinct=True), assignment_count=Count("assignments", distinct=True)
        )
        context = {"lessons": lessons, "create_form": LessonForm(), "import_form": ImportForm()}
        return render(request, "lessons/lesson_list.html", context)
    assignments = services.assignments_for_learner(request.user).filter(lesson__is_published=True)
    return render(request, "lessons/my_lessons.html", {"assignments": assignments.select_related("lesson")})


@login_required
@require_POST
def create_lesson(request: HttpRequest) -> HttpResponse:
    services.check_is_teacher(request.user)
    form = LessonForm(request.POST)
    if form.is_valid():
        try:
            lesson = services.do_create_lesson(request.user, form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Lesson “{lesson.title}” created. Add its items below.")
            return redirect(lesson.get_absolute_url())
    lessons = services.lessons_owned_by(request.user).annotate(
        item_count=Count("items", distinct=True), assignment_count=Count("assignments", distinct=True)
    )
    context = {"lessons": lessons, "create_form": form, "import_form": ImportForm()}
    return render(request, "lessons/lesson_list.html", context, status=400)


def _editor_context(request: HttpRequest, lesson: Lesson, **overrides) -> dict:
    items = list(lesson.items.all())
    item_forms = overrides.pop("item_forms", {})
    rows = [(item, item_forms.get(item.pk) or ItemForm.for_item(item, prefix=f"item-{item.pk}")) for item in items]
    add_forms = overrides.pop("add_forms", {})
    new_item_forms = [
        (kind, label, add_forms.get(kind) or ItemForm(initial={"kind": kind}, prefix=f"new-{kind}"))
        for kind, label in LessonItem.Kind.choices
    ]
    suggested = {
        phoneme: {
            "pairs": suggestions.minimal_pairs(phoneme, 8),
            "examples": suggestions.example_words(phoneme, 8),
        }
        for phoneme in lesson.focus_phonemes
        if lesson.language.startswith("en")
    }
    return {
        "lesson": lesson,
        "lesson_form": overrides.pop("lesson_form", None) or LessonForm.for_lesson(lesson),
        "rows": rows,
        "new_item_forms": new_item_forms,
        "assign_form": overrides.pop("assign_form", None) or AssignForm(teacher=request.user),
        "assignments": lesson.assignments.select_related("classroom", "learner"),
        "suggested": suggested,
        "phonemes": pronunciation.ENGLISH_PHONEMES,
        **overrides,
    }


@login_required
@require_http_methods(["GET", "POST"])
def edit_lesson(request: HttpRequest, pk: int) -> HttpResponse:
    lesson = _own_lesson(request, pk)
    if request.method == "GET":
        return render(request, "lessons/lesson_editor.html", _editor_context(request, lesson))
    form = LessonForm(request.POST)
    if form.is_valid():
        try:
            services.do_update_lesson(request.user, lesson, form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Lesson settings saved.")
            return redirect(lesson.get_absolute_url())
    lesson.refresh_from_db()
    return render(request, "lessons/lesson_editor.html", _editor_context(request, lesson, lesson_form=form), status=400)


@login_required
@require_POST
def duplicate_lesson(request: HttpRequest, pk: int) -> HttpResponse:
    lesson = _own_lesson(request, pk)
    try:
        copy = services.do_duplicate_lesson(request.user, lesson)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(lesson.get_absolute_url())
    messages.success(request, f"“{copy.title}” is a draft copy of “{lesson.title}”.")
    return redirect(copy.get_absolute_url())


@login_required
@require_POST
def publish_lesson(request: HttpRequest, pk: int) -> HttpResponse:
    lesson = _own_lesson(request, pk)
    published = request.POST.get("published") == "1"
    try:
        services.do_set_lesson_published(request.user, lesson, published)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Published: learners it is assigned to can see it." if published else "Unpublished.")
    return redirect(lesson.get_absolute_url())


@login_required
@require_POST
def delete_lesson(request: HttpRequest, pk: int) -> HttpResponse:
    lesson = _own_lesson(request, pk)
    services.do_delete_lesson(request.user, lesson)
    messages.success(request, f"Lesson “{lesson.title}” deleted.")
    return redirect("lessons:list")


@login_required
@require_POST
def add_item(request: HttpRequest, pk: int) -> HttpResponse:
    lesson = _own_lesson(request, pk)
    kind = request.POST.get("kind", "")
    if kind not in LessonItem.Kind.values:
        return HttpResponseBadRequest("Unknown item kind.")
    form = ItemForm(request.POST, prefix=f"new-{kind}")
    if form.is_valid():
        try:
            item = services.do_add_item(request.user, lesson, kind, form.item_data())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{item.get_kind_display()} added.")
            return _to_editor(item)
    context = _editor_context(request, lesson, add_forms={kind: form}, open_new=kind)
    return render(request, "lessons/lesson_editor.html", context, status=400)


@login_required
@require_POST
def edit_item(request: HttpRequest, pk: int) -> HttpResponse:
    item = _own_item(request, pk)
    form = ItemForm(request.POST, prefix=f"item-{item.pk}")
    if form.is_valid() and form.cleaned_data["kind"] != item.kind:
        form.add_error(None, "An item keeps its kind; add a new item of the other kind instead.")
    if form.is_valid():
        try:
            services.do_update_item(request.user, item, form.item_data())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Item {item.position + 1} saved.")
            return _to_editor(item)
    item.refresh_from_db()
    context = _editor_context(request, item.lesson, item_forms={item.pk: form}, open_item=item.pk)
    return render(request, "lessons/lesson_editor.html", context, status=400)


@login_required
@require_POST
def move_item(request: HttpRequest, pk: int) -> HttpResponse:
    item = _own_item(request, pk)
    offset = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
    if offset is None:
        return HttpResponseBadRequest("Move an item up or down.")
    services.do_move_item(request.user, item, offset)
    return _to_editor(item)


@login_required
@require_POST
def reorder_items(request: HttpRequest, pk: int) -> HttpResponse:
    """The drag-and-drop endpoint: a JSON body {"order": [item ids]}."""
    lesson = _own_lesson(request, pk)
    if len(request.body) > MAX_REORDER_BODY_BYTES:
        return JsonResponse({"error": "The request is too large."}, status=413)
    try:
        order = json.loads(request.body)["order"]
        if not isinstance(order, list) or not all(isinstance(pk, int) for pk in order):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": 'Send {"order": [item ids]}.'}, status=400)
    try:
        services.do_reorder_items(request.user, lesson, order)
    except ValidationError as error:
        return JsonResponse({"error": " ".join(error.messages)}, status=400)
    return JsonResponse({"order": list(lesson.items.values_list("pk", flat=True))})


@login_required
@require_POST
def publish_item(request: HttpRequest, pk: int) -> HttpResponse:
    item = _own_item(request, pk)
    services.do_set_item_published(request.user, item, request.POST.get("published") == "1")
    return _to_editor(item)


@login_required
@require_POST
def delete_item(request: HttpRequest, pk: int) -> HttpResponse:
    item = _own_item(request, pk)
    services.do_delete_item(request.user, item)
    messages.success(request, "Item deleted.")
    return redirect(item.lesson.get_absolute_url())


@login_required
@require_POST
def assign_lesson(request: HttpRequest, pk: int) -> HttpResponse:
    lesson = _own_lesson(request, pk)
    form = AssignForm(request.POST, teacher=request.user)
    if form.is_valid():
        try:
            services.do_assign_lesson(request.user, lesson, due_at=form.cleaned_data["due_at"], **form.target_kwargs())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            note = "" if lesson.is_published else " Learners will see it once you publish it."
            messages.success(request, f"Lesson assigned.{note}")
            return redirect(lesson.get_absolute_url())
    context = _editor_context(request, lesson, assign_form=form)
    return render(request, "lessons/lesson_editor.html", context, status=400)


@login_required
@require_POST
def unassign(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = get_object_or_404(Assignment.objects.select_related("lesson"), pk=pk)
    services.do_unassign(request.user, assignment)
    messages.success(request, "Assignment removed.")
    return redirect(assignment.lesson.get_absolute_url())


@login_required
@require_GET
def lesson_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lesson = get_object_or_404(Lesson, pk=pk)
    services.check_can_view_lesson(request.user, lesson)
    context = {
        "lesson": lesson,
        "items": services.items_visible_to(request.user, lesson),
        "is_owner": lesson.owner_id == request.user.pk,
        "answer_form": AnswerForm(),
    }
    return render(request, "lessons/lesson_detail.html", context)


@login_required
@require_POST
def check_answer(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(LessonItem.objects.select_related("lesson"), pk=pk, kind=LessonItem.Kind.QUESTION)
    services.check_can_view_item(request.user, item)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Type an answer of at most 300 characters.")
    else:
        result = answers.match_answer(form.cleaned_data["answer"], item.accepted_answers)
        if result.accepted:
            how = {"exact": "", "wording": " (close enough in wording)", "meaning": " (same meaning)"}[result.method]
            messages.success(request, f"Yes!{how}")
        else:
            messages.error(request, "Not quite. Try again.")
    return redirect(f"{item.lesson.get_learner_url()}#item-{item.pk}")


@login_required
@require_GET
def export_lesson(request: HttpRequest, pk: int) -> HttpResponse:
    lesson = _own_lesson(request, pk)
    return _json_download(transfer.export_lessons([lesson]), f"lesson-{lesson.pk}.json")


@login_required
@require_GET
def export_all(request: HttpRequest) -> HttpResponse:
    services.check_is_teacher(request.user)
    return _json_download(transfer.export_lessons(services.lessons_owned_by(request.user)), "lessons.json")


def _json_download(document: dict, filename: str) -> HttpResponse:
    response = HttpResponse(json.dumps(document, ensure_ascii=False, indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_POST
def import_lessons(request: HttpRequest) -> HttpResponse:
    services.check_is_teacher(request.user)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(message for errors in form.errors.values() for message in errors))
        return redirect("lessons:list")
    try:
        created = transfer.import_lessons(request.user, form.cleaned_data["document"])
    except transfer.ImportRefused as refused:
        return render(request, "lessons/import_refused.html", {"errors": refused.errors}, status=400)
    messages.success(request, f"Imported {len(created)} lesson{'s' if len(created) != 1 else ''} as drafts.")
    return redirect("lessons:list")


def _wav(audio: bytes) -> HttpResponse:
    response = HttpResponse(audio, content_type="audio/wav")
    response["Cache-Control"] = "private, max-age=86400"
    return response


@login_required
@require_GET
def say(request: HttpRequest) -> HttpResponse:
    """The tutor says any text a teacher is writing (for trying a sentence before saving it)."""
    services.check_is_teacher(request.user)
    try:
        return _wav(voice.speak(request.GET.get("text", ""), slow=request.GET.get("slow") == "1"))
    except ValueError as error:
        return HttpResponseBadRequest(str(error))


@login_required
@require_GET
def item_audio(request: HttpRequest, pk: int) -> HttpResponse:
    """The tutor says an item: its sentence or prompt, or one word of a pair (?word=0-target)."""
    item = get_object_or_404(LessonItem.objects.select_related("lesson"), pk=pk)
    services.check_can_view_item(request.user, item)
    text = item.spoken_text
    index, _, role = request.GET.get("word", "").partition("-")
    if index.isdigit() and role in ("target", "contrast") and int(index) < len(item.pairs):
        text = item.pairs[int(index)][role]
    if not text:
        return HttpResponseBadRequest("This item has nothing to say.")
    return _wav(voice.speak(text, slow=request.GET.get("slow") == "1"))


@login_required
@require_GET
def ipa_preview(request: HttpRequest) -> JsonResponse:
    services.check_is_teacher(request.user)
    text = request.GET.get("text", "")[: services.MAX_TEXT_CHARS]
    language = request.GET.get("language", "en-us")
    if not pronunciation.is_supported(language):
        return JsonResponse({"error": "Unknown language."}, status=400)
    spoken = pronunciation.pronounce(text, language)
    return JsonResponse({"ipa": spoken.ipa, "unknown_words": spoken.fallback_words})


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    services.check_is_teacher(request.user)
    form = ApiTokenForm(request.POST or None)
    new_secret = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                _token, new_secret = tokens.do_create_api_token(request.user, form.cleaned_data["name"])
            except ValidationError as error:
                add_service_errors(form, error)
                status = 400
            else:
                form = ApiTokenForm()
        else:
            status = 400
    context = {"tokens": tokens.tokens_of(request.user), "form": form, "new_secret": new_secret}
    response = render(request, "lessons/api_tokens.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def revoke_api_token(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk)
    if token.user_id != request.user.pk:
        raise PermissionDenied("This token is not yours.")
    tokens.do_revoke_api_token(request.user, token)
    messages.success(request, f"Token “{token.name}” revoked at {timezone.now():%H:%M}.")
    return redirect("lessons:api_tokens")
