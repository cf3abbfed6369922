from accounts.representation import acting_options, acting_subject


def acting_for(request):
    """The header's "acting for" switch and the unread count: only for signed-in citizens."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_citizen:
        return {}
    subject = acting_subject(request)
    return {
        "acting_subject": subject,
        "acting_options": acting_options(request),
        "dialogs_unread": _unread(request, subject),
    }


def _unread(request, subject) -> int:
    """The badge count; the inbox view has already counted it for this request's subject."""
    from messaging.dialogs.selectors import unread_total

    if not subject.may_use_dialogs:
        return 0
    counted = getattr(request, "dialogs_unread", None)
    return counted if counted is not None else unread_total(person=subject.patient)
