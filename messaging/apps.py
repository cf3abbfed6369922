from django.apps import AppConfig
from django.core import checks


class MessagingConfig(AppConfig):
    name = "messaging"

    def ready(self):
        # Every process (web, workers, beat, manage.py) loads the apps, so a deployment that must
        # validate and has no schemas stops here, before it accepts a single message.
        from messaging.codec.schemas import check_required_schemas

        check_required_schemas()

        # Not a registration of routes: the check compiles both routing tables (HN_ROUTING), so a
        # table that cannot route unambiguously fails `check`, `migrate` and `runserver` (a
        # worker refuses it before its first delivery).
        from messaging.relay.routing import routing_check

        checks.register(routing_check, "relay")
