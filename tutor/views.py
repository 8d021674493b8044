from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from lessons import classes
from lessons.models import Classroom
from speech.audio import wav_bytes

from .forms import AccentForm, CreateClassForm, JoinClassForm, SignupForm
from .models import ConversationSession
from .sessions import audio_path, sessions_visible_to


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "tutor/home.html")


def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user)
        return redirect("dashboard")
    return render(request, "registration/signup.html", {"form": form})


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    context = {
        "classes": classes.classes_for(request.user).prefetch_related("learners"),
        "create_form": CreateClassForm(),
        "join_form": JoinClassForm(),
        "sessions": sessions_visible_to(request.user).select_related("user")[:20],
    }
    return render(request, "tutor/dashboard.html", context)


@login_required
def account_settings(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own settings: the accent the tutor accepts from them."""
    form = AccentForm(request.POST or None, instance=request.user)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, "Saved. The tutor now accepts your accent's own forms.")
            return redirect("account_settings")
        messages.error(request, "Not saved: choose an accent from the list.")
    return render(request, "tutor/account_settings.html", {"form": form})


@login_required
@require_POST
def create_class(request: HttpRequest) -> HttpResponse:
    form = CreateClassForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A class needs a name of at most 120 characters.")
        return redirect("dashboard")
    try:
        classroom = classes.do_create_class(request.user, form.cleaned_data["name"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("dashboard")
    messages.success(request, f"Class “{classroom.name}” created. Join code: {classroom.join_code}")
    return redirect("class_detail", pk=classroom.pk)


@login_required
@require_POST
def join_class(request: HttpRequest) -> HttpResponse:
    form = JoinClassForm(request.POST)
    if form.is_valid():
        try:
            classroom = classes.do_join_class(request.user, form.cleaned_data["code"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"You joined “{classroom.name}”.")
    else:
        messages.error(request, "Type the join code your teacher gave you.")
    return redirect("dashboard")


@login_required
def class_detail(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = get_object_or_404(Classroom, pk=pk)
    classes.check_can_view_class(request.user, classroom)
    is_teacher = classroom.teacher_id == request.user.pk or request.user.is_staff
    return render(request, "lessons/class_detail.html", {"classroom": classroom, "is_teacher": is_teacher})


@login_required
def conversation(request: HttpRequest) -> HttpResponse:
    """The live page: a lesson with ?lesson=<id> (one the user may take), else the microphone check."""
    from lessons.services import lessons_visible_to

    lesson = None
    if "lesson" in request.GET:
        lesson_id = request.GET["lesson"]
        if not lesson_id.isdigit():
            raise PermissionDenied("No such lesson.")
        lesson = lessons_visible_to(request.user).filter(pk=int(lesson_id)).first()
        if lesson is None:
            raise PermissionDenied("This lesson is not assigned to you.")
    context = {"lesson": lesson, "mode": "lesson" if lesson else "echo"}
    return render(request, "tutor/conversation.html", context)


@login_required
@require_GET
def session_audio(request: HttpRequest, pk) -> HttpResponse:
    session = get_object_or_404(ConversationSession, pk=pk)
    if not sessions_visible_to(request.user).filter(pk=session.pk).exists():
        raise PermissionDenied("This conversation is not yours.")
    path = audio_path(session)
    pcm = path.read_bytes()[: session.audio_bytes] if path.exists() else b""
    response = HttpResponse(wav_bytes(pcm, session.sample_rate), content_type="audio/wav")
    response["Content-Disposition"] = f'attachment; filename="parley-{session.pk}.wav"'
    return response


MAX_SAY_CHARS = 60  # a word or a short phrase: the live page's "hear the model pronunciation"


@login_required
@require_GET
def say(request: HttpRequest) -> HttpResponse:
    """The tutor's voice saying a word (cached WAV), for the live page's word detail."""
    from lessons import voice

    text = " ".join(request.GET.get("text", "").split())
    if not text or len(text) > MAX_SAY_CHARS:
        return JsonResponse({"error": f"text must be 1 to {MAX_SAY_CHARS} characters"}, status=400)
    audio = voice.speak(text, slow=request.GET.get("slow") == "1")
    response = HttpResponse(audio, content_type="audio/wav")
    response["Cache-Control"] = "private, max-age=86400"
    return response


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    import redis
    from django.conf import settings

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()
    if request.GET.get("voice"):
        from .engine.voice import voice_ready

        if not voice_ready(request.GET["voice"]):
            return JsonResponse({"ok": False, "voice": "warming up"}, status=503)
    return JsonResponse({"ok": True})
