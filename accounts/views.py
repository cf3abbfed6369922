from allauth.account import views as allauth_views
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.representation import acting_subject
from accounts.selectors import overview_for


@require_safe
def home(request):
    """Landing page; for a citizen, the overview ("Min side") of the person they act for."""
    context = {}
    user = request.user
    if user.is_authenticated and user.is_citizen:
        overview = overview_for(subject=acting_subject(request))
        context["overview"] = overview
    return render(request, "accounts/home.html", context)


def password_change(request, *args, **kwargs):
    """Only operators have a password to change; everyone else logs in through ID-porten or HelseID."""
    if request.user.is_authenticated and not request.user.is_operator:
        raise Http404
    return allauth_views.password_change(request, *args, **kwargs)
