"""The reviewed catalogue of free courses, learning paths and badges (pure Python).

Public API::

    from curricula import load_catalogue, Catalogue, CatalogueError
    catalogue = load_catalogue()              # the shipped data in curricula/data/
    catalogue.get_path("l1-digital-leader")
    catalogue.path_hours("l1-digital-leader")

This package never imports Flask, SQLAlchemy or the portal.
"""

from curricula.dump import dump_catalogue
from curricula.errors import (
    CatalogueError,
    CurriculaError,
    InvalidURLError,
    Issue,
    UnknownReferenceError,
)
from curricula.loader import DEFAULT_DATA_DIR, load_catalogue, parse_catalogue
from curricula.model import (
    Achievement,
    AlignmentTarget,
    BadgeImage,
    Catalogue,
    Course,
    Exercise,
    Framework,
    FrameworkItem,
    HoursEstimate,
    LearningPath,
    Rubric,
    RubricItem,
    Scheme,
    StaffLevel,
    Step,
    Tier,
    make_ref,
    split_ref,
)
from curricula.opendata import export_open_data
from curricula.text import has_japanese, is_http_url, normalise_search_text, normalise_url
from curricula.validate import validate_catalogue

__all__ = [
    "DEFAULT_DATA_DIR",
    "Achievement",
    "AlignmentTarget",
    "BadgeImage",
    "Catalogue",
    "CatalogueError",
    "Course",
    "CurriculaError",
    "Exercise",
    "Framework",
    "FrameworkItem",
    "HoursEstimate",
    "InvalidURLError",
    "Issue",
    "LearningPath",
    "Rubric",
    "RubricItem",
    "Scheme",
    "StaffLevel",
    "Step",
    "Tier",
    "UnknownReferenceError",
    "dump_catalogue",
    "export_open_data",
    "has_japanese",
    "is_http_url",
    "load_catalogue",
    "make_ref",
    "normalise_search_text",
    "normalise_url",
    "parse_catalogue",
    "split_ref",
    "validate_catalogue",
]
