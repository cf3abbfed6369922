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
        request.dialogs_unread = overview.unread_count  # the menu badge reuses the count
        context["overview"] = overview
    return render(request, "accounts/home.html", context)
