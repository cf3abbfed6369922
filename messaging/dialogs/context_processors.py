from messaging.dialogs.representation import acting_options, acting_subject


def acting_for(request):
    """The header's "acting for" switch and the unread count: only for signed-in citizens."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_citizen:
        return {}
    from messaging.dialogs.selectors import unread_total

    subject = acting_subject(request)
    return {
        "acting_subject": subject,
        "acting_options": acting_options(request),
        "dialogs_unread": unread_total(person=subject.patient) if subject.may_use_dialogs else 0,
    }
