from django.apps import AppConfig
from django.db.backends.signals import connection_created


def sqlite_real_parameter_limit(sender, connection, **kwargs):
    """Batch by the SQLite library's own bound-parameter limit, not Django 5.2's fixed 999.

    SQLite 3.32 and later allow 32,766 parameters per statement; Django 6.0 reads the limit from
    the connection (ticket #36143) and so does this backport. Bulk INSERTs of a few thousand rows
    are then one statement on SQLite as on PostgreSQL, so a batch's query count is the same on both.
    """
    if connection.vendor != "sqlite":
        return
    import sqlite3

    getlimit = getattr(connection.connection, "getlimit", None)  # Python 3.11+
    if getlimit is not None:
        connection.features.max_query_params = getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)


class CrmSiteConfig(AppConfig):
    name = "crm_site"

    def ready(self):
        connection_created.connect(sqlite_real_parameter_limit, dispatch_uid="crm_site-sqlite-parameter-limit")
