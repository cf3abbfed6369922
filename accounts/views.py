from django.shortcuts import render

from clinics.selectors import health_contacts_for_person


def home(request):
    """Landing page; for a citizen, a summary of their health contacts."""
    context = {}
    user = request.user
    if user.is_authenticated and user.is_citizen:
        context["contacts"] = health_contacts_for_person(person=user.person)
    return render(request, "accounts/home.html", context)
