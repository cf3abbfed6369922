"""One page of a list from the page number in the query string, whatever the query string says.

A page number comes from the address bar, so it may be anything: `-1`, `abc`, `1e9` or forty
digits. Every list view pages through `paginate` (or reads its number through `page_number`), so
none of them does arithmetic on a number the database cannot hold: a value that is not a short
positive whole number means the first page, and one past the end means the last page.
"""

from django.core.paginator import Page, Paginator

PAGE_PARAM = "side"
# Nine digits: far more pages than any list has, and (page - 1) * per_page stays a small OFFSET.
MAX_PAGE_DIGITS = 9


def page_number(value) -> int:
    """The page asked for, as 1 or more; anything that is not 1–9 plain digits is page 1."""
    text = str(value or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > MAX_PAGE_DIGITS:
        return 1
    return max(int(text), 1)


def paginate(request, object_list, *, per_page: int, param: str = PAGE_PARAM) -> Page:
    """The page of `object_list` that `request.GET[param]` asks for, clamped to the pages there are."""
    return Paginator(object_list, per_page).get_page(page_number(request.GET.get(param)))
