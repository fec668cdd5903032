"""`flask <group> <verb>` commands. Each group lives in its own module."""

from __future__ import annotations

from flask import Flask


def register_commands(app: Flask) -> None:
    from portal.cli.badges import badges_cli
    from portal.cli.curricula import curricula_cli
    from portal.cli.demo import demo_cli
    from portal.cli.i18n import i18n_cli
    from portal.cli.keys import keys_cli
    from portal.cli.orgs import orgs_cli
    from portal.cli.users import users_cli

    for group in (orgs_cli, users_cli, demo_cli, i18n_cli, curricula_cli, keys_cli, badges_cli):
        app.cli.add_command(group)
