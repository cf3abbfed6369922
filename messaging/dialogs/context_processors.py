from accounts.representation import acting_options, acting_subject


def citizen_counts_for(request):
    """The signed-in citizen's counts (menu badges, inbox total), read once per request."""
    from messaging.dialogs.selectors import citizen_counts  # late: selectors import the notices' models

    counts = getattr(request, "_citizen_counts", None)
    if counts is None:
        subject = acting_subject(request)
        counts = request._citizen_counts = citizen_counts(actor=subject.actor, patient=subject.patient)
    return counts


def acting_for(request):
    """The header's "acting for" switch and its badges: only for signed-in citizens."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_citizen:
        return {}
    subject = acting_subject(request)
    counts = citizen_counts_for(request)
    return {
        "acting_subject": subject,
        "acting_options": acting_options(request),
        "dialogs_unread": counts.unread if subject.may_use_dialogs else 0,
        "notices_unread": counts.notices,
    }
