"""Settings of the EPJ's own web process (production and the demo): the portal's settings with
the EPJ's stores, login, sessions and pages (`epj.site.configure`)."""

from epj.site.configure import as_epj_site
from helsenorge.settings import *  # noqa: F403

as_epj_site(globals())
