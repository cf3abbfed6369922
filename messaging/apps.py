from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"

    def ready(self):
        # Every process (web, workers, beat, manage.py) loads the apps, so a deployment that must
        # validate and has no schemas stops here, before it accepts a single message.
        from messaging.codec.schemas import check_required_schemas

        check_required_schemas()
