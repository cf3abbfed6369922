"""Both systems' routing tables, side by side: the one place that knows the portal and the EPJ.

The relay finds this mapping through `HN_ROUTING`, by name, so neither system imports the
other and no app's load order decides who receives a message (docs/relay.md, "Routing").
"""

from collections.abc import Mapping, Sequence

from epj.routes import ROUTES as EPJ_ROUTES
from messaging.models import Side
from messaging.relay.routing import Route
from messaging.routes import ROUTES as PORTAL_ROUTES

ROUTING: Mapping[str, Sequence[Route]] = {
    Side.PORTAL: PORTAL_ROUTES,
    Side.EPJ: EPJ_ROUTES,
}
