"""Settings of the EPJ's web process the tests start: the test suite's settings (the run's
secret key, folders and synthetic identity numbers), made the EPJ's (`epj.site.configure`)."""

from epj.site.configure import as_epj_site
from helsenorge.test_settings import *  # noqa: F403

as_epj_site(globals())
