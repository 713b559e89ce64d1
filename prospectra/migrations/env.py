"""Alembic environment for Prospectra (Flask-Migrate): runs with the application's engine."""

import logging

from alembic import context
from flask import current_app

config = context.config
# No logging.config.fileConfig here: the application owns logging, and fileConfig would disable
# the loggers already configured when the app upgrades its database at start.
logger = logging.getLogger("alembic.env")
target_db = current_app.extensions["migrate"].db
# Flask-Session declares its table on the same metadata; the revision that creates it (with an
# index on expiry the library's model lacks) is written by hand, so autogenerate leaves it alone.
HAND_MANAGED_TABLES = {"sessions"}


def include_object(obj, name, type_, reflected, compare_to):
    table = obj if type_ == "table" else getattr(obj, "table", None)
    return getattr(table, "name", name) not in HAND_MANAGED_TABLES


def run_migrations_offline():
    context.configure(
        url=target_db.engine.url.render_as_string(hide_password=False),
        target_metadata=target_db.metadata,
        include_object=include_object,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def process_revision_directives(context, revision, directives):
        # Never write an empty revision.
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    with target_db.engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_db.metadata,
            include_object=include_object,
            **conf_args,  # Flask-Migrate's, render_as_batch included (SQLite ALTERs)
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
