"""Settings for the processes `manage.py bench web` starts: production settings plus the yardstick URL.

Everything else is the production module, so the benchmark measures what production runs.
"""

from helsenorge.settings import *  # noqa: F401,F403

ROOT_URLCONF = "bench.urls"
