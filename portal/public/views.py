from __future__ import annotations

from flask import jsonify, render_template
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from portal.extensions import db
from portal.public import bp

#: The working group's four talent tiers (人材像).
TIERS = (
    (
        "T1",
        "生活レベルでのデジタルリテラシーを発揮できる人",
        "Everyday digital literacy (all staff)",
    ),
    ("T2", "デジタル技術を理解して活用できる人", "Understands and uses digital tools"),
    ("T3", "関係者を巻き込みDXを推進できる人", "Leads DX and involves stakeholders"),
    ("T4", "デジタル技術の知識・経験から新たなサービスを創出できる人", "Creates new services"),
)


@bp.get("/")
def index() -> str:
    return render_template("public/index.html", tiers=TIERS)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify({"status": "unavailable", "database": "error"}), 503
    return jsonify({"status": "ok", "database": "ok"}), 200
