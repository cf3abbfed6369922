"""{% submission_key %}: the hidden one-time key every state-changing portal form carries."""

from django import template
from django.utils.html import format_html

from submissions.services import FIELD_NAME, issue_key

register = template.Library()


@register.simple_tag(takes_context=True)
def submission_key(context):
    user = context["request"].user
    if not user.is_authenticated:
        return ""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD_NAME, issue_key(user_id=user.pk))
