from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("accounts/settings/", views.account_settings, name="account_settings"),
    path("classes/new/", views.create_class, name="create_class"),
    path("classes/join/", views.join_class, name="join_class"),
    path("classes/<int:pk>/", views.class_detail, name="class_detail"),
    path("conversation/", views.conversation, name="conversation"),
    path("speech/say", views.say, name="say"),
    path("conversations/<uuid:pk>/learner.wav", views.session_audio, name="session_audio"),
    path("lessons/", include("lessons.urls")),
    path("admin/", admin.site.urls),
]
