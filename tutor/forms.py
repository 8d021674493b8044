from django import forms
from django.contrib.auth.forms import UserCreationForm

from .models import User


class SignupForm(UserCreationForm):
    role = forms.ChoiceField(choices=User.Role.choices, widget=forms.RadioSelect, initial=User.Role.LEARNER)
    email = forms.EmailField(required=False)

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email", "role")


class CreateClassForm(forms.Form):
    name = forms.CharField(max_length=120)


class JoinClassForm(forms.Form):
    code = forms.CharField(max_length=16, label="Join code")


class AccentForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ("accent",)
        labels = {"accent": "Your English accent"}
