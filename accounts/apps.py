from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Identitet og folkeregister")

    def ready(self):
        from django.conf import settings

        from helsenorge import admin_stores, pagecache, storeboundary

        pagecache.connect()
        admin_stores.install()
        if getattr(settings, "HN_CHECK_STORE_BOUNDARY", False):
            storeboundary.install()
