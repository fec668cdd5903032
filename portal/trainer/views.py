from __future__ import annotations

from flask import render_template

from portal.trainer import bp


@bp.get("/")
def home() -> str:
    return render_template("trainer/home.html")
