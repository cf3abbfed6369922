"""Template tags for the shared components in templates/components/ (portal and EPJ alike)."""

from django import template
from django.http import QueryDict

register = template.Library()


@register.simple_tag(takes_context=True)
def page_query(context, number, param="side"):
    """The current query string with `param` set to page `number`, e.g. "?status=open&side=2".

    Every other parameter (filters, search terms, another list's page on the same screen) is
    kept, so a pager never loses what the user chose. Escaped like any other output.
    Django's own {% querystring %} cannot take the parameter's name from a variable, which a
    screen with two lists (each paged by its own parameter) needs.
    """
    request = context.get("request")
    query = request.GET.copy() if request is not None else QueryDict(mutable=True)
    query[param] = number
    return "?" + query.urlencode()
