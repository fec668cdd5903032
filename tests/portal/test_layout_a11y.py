"""Accessibility of the shared layout: base.html, the macros, the error pages and the CSS.

Pages are rendered through the real app (`app` / `client` fixtures from
tests/conftest.py). Everything here skips cleanly while the app factory or those
fixtures are not available. The browser test needs /usr/bin/chromium and the
Playwright package and is marked `browser`.
"""

from __future__ import annotations

import re
import shutil
import threading
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "templates"
STATIC = REPO / "portal" / "static"
TOKENS_VERSION = "1.1.9"
TOKENS_DIR = STATIC / "vendor" / f"design-tokens-{TOKENS_VERSION}"
LAYOUT_PO = REPO / "portal" / "i18n" / "en" / "layout.po"
CHROMIUM = "/usr/bin/chromium"

ERROR_PAGES = {
    400: "不正なリクエスト",
    403: "アクセス権限がありません",
    404: "ページが見つかりません",
    413: "ファイルが大きすぎます",
    429: "リクエストが多すぎます",
    500: "サーバーエラー",
}


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def web(request: pytest.FixtureRequest) -> Any:
    """The test client of the real app, or a skip while it cannot be built."""
    try:
        import portal

        if not hasattr(portal, "create_app"):
            pytest.skip("portal.create_app is not available yet")
        return request.getfixturevalue("client")
    except pytest.FixtureLookupError:
        pytest.skip("the app/client fixtures are not available yet")
    except ImportError as exc:  # the app is still being written
        pytest.skip(f"the app cannot be imported yet: {exc}")


@pytest.fixture
def flask_app(web: Any) -> Any:
    return web.application


class Node:
    def __init__(self, tag: str, attrs: dict[str, str], parent: Node | None) -> None:
        self.tag = tag
        self.attrs = attrs
        self.parent = parent
        self.children: list[Node | str] = []

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.attrs.get(name, default)

    @property
    def classes(self) -> list[str]:
        return (self.attrs.get("class") or "").split()

    def text(self) -> str:
        out = []
        for child in self.children:
            out.append(child if isinstance(child, str) else child.text())
        return re.sub(r"\s+", " ", "".join(out)).strip()

    def ancestors(self) -> list[Node]:
        node, out = self.parent, []
        while node is not None:
            out.append(node)
            node = node.parent
        return out

    def iter(self) -> Any:
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()


VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class Tree(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.cur = self.root
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: (v if v is not None else "") for k, v in attrs}, self.cur)
        self.cur.children.append(node)
        if tag not in VOID:
            self.cur = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.cur.children.append(Node(tag, {k: (v or "") for k, v in attrs}, self.cur))

    def handle_endtag(self, tag: str) -> None:
        node = self.cur
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.cur = node.parent

    def handle_data(self, data: str) -> None:
        self.cur.children.append(data)

    def all(self, tag: str | None = None, cls: str | None = None) -> list[Node]:
        return [
            n
            for n in self.root.iter()
            if (tag is None or n.tag == tag) and (cls is None or cls in n.classes)
        ]

    def by_id(self, id_: str) -> Node | None:
        for n in self.root.iter():
            if n.get("id") == id_:
                return n
        return None


def page(client: Any, path: str, status: int = 200, **kw: Any) -> Tree:
    response = client.get(path, **kw)
    assert response.status_code == status, (path, response.status_code)
    assert response.mimetype == "text/html"
    return Tree(response.get_data(as_text=True))


FOCUSABLE_INPUT_TYPES_WITHOUT_LABEL = {"hidden", "submit", "button", "image", "reset"}


def unlabelled_controls(tree: Tree) -> list[str]:
    """Form controls without an accessible name from <label>, aria-label(ledby) or title."""
    label_for = {n.get("for") for n in tree.all("label") if n.get("for")}
    missing = []
    for n in tree.root.iter():
        if n.tag not in ("input", "select", "textarea", "button"):
            continue
        if (
            n.tag == "input"
            and (n.get("type") or "text").lower() in FOCUSABLE_INPUT_TYPES_WITHOUT_LABEL
        ):
            if (n.get("type") or "").lower() in ("submit", "button", "reset") and not (
                n.get("value") or n.get("aria-label")
            ):
                missing.append(f"{n.tag}#{n.get('id')} (no value)")
            continue
        if n.tag == "button":
            if not (n.text() or n.get("aria-label") or n.get("aria-labelledby")):
                missing.append(f"button {n.attrs}")
            continue
        if n.get("aria-label") or n.get("aria-labelledby") or n.get("title"):
            continue
        if n.get("id") and n.get("id") in label_for:
            continue
        if any(a.tag == "label" for a in n.ancestors()):
            continue
        missing.append(f"{n.tag} name={n.get('name')} id={n.get('id')}")
    return missing


def assert_layout(tree: Tree, lang: str = "ja") -> None:
    html = tree.all("html")
    assert len(html) == 1 and html[0].get("lang") == lang

    # skip link: the first focusable element, pointing at <main id="main">
    focusables = [
        n
        for n in tree.root.iter()
        if (n.tag == "a" and n.get("href"))
        or n.tag in ("button", "select", "textarea")
        or (n.tag == "input" and n.get("type") != "hidden")
        or (n.get("tabindex") not in (None, "-1"))
    ]
    assert focusables, "no focusable element"
    skip = focusables[0]
    assert skip.tag == "a" and "skip-link" in skip.classes, skip.attrs
    target = (skip.get("href") or "").lstrip("#")
    main = tree.by_id(target)
    assert main is not None and main.tag == "main"
    assert len(tree.all("main")) == 1

    # landmarks
    headers = [
        h
        for h in tree.all("header")
        if not any(a.tag in ("main", "article", "section", "aside", "nav") for a in h.ancestors())
    ]
    assert len(headers) == 1
    assert (
        len(
            [
                f
                for f in tree.all("footer")
                if not any(a.tag in ("main", "article", "section") for a in f.ancestors())
            ]
        )
        == 1
    )
    navs = tree.all("nav")
    assert navs and all(n.get("aria-label") or n.get("aria-labelledby") for n in navs)

    # one h1, ids unique, references resolve
    assert len(tree.all("h1")) == 1
    ids = [n.get("id") for n in tree.root.iter() if n.get("id")]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    for n in tree.root.iter():
        for attr in ("aria-describedby", "aria-labelledby", "aria-controls"):
            for ref in (n.get(attr) or "").split():
                assert ref in ids, f"{n.tag} {attr}={ref} has no target"
        if n.tag == "label" and n.get("for"):
            assert n.get("for") in ids, f"label for={n.get('for')} has no target"

    assert unlabelled_controls(tree) == []

    # images and inline icons
    for img in tree.all("img"):
        assert img.get("alt") is not None, img.attrs
    for svg in tree.all("svg"):
        assert svg.get("aria-hidden") == "true" or svg.get("aria-label") or svg.get("role") == "img"

    # the language switch says its own language
    for form in tree.all("form", "lang-switch"):
        button = [b for b in form.iter() if b.tag == "button"][0]
        assert button.get("lang") in ("ja", "en")
        assert button.get("lang") != lang


# --------------------------------------------------------------------------- pages


def test_home_page_layout_japanese(web: Any) -> None:
    tree = page(web, "/")
    assert_layout(tree, "ja")
    assert "本文へ移動" in tree.all("a", "skip-link")[0].text()
    assert "北海道デジタル人材育成ポータル" in tree.all("header")[0].text()
    footer = tree.all("footer")[0].text()
    assert "講座は外部サイトの無料教材です" in footer and "CC BY 4.0" in footer
    # tokens first, then the portal stylesheet; no third-party origins
    hrefs = [n.get("href") or "" for n in tree.all("link") if n.get("rel") == "stylesheet"]
    assert hrefs[:2] == [
        f"/static/vendor/design-tokens-{TOKENS_VERSION}/tokens.css",
        "/static/css/portal.css",
    ]
    for n in tree.root.iter():
        for attr in ("src", "href"):
            value = n.get(attr) or ""
            if n.tag in ("link", "script", "img") and value:
                assert value.startswith("/"), f"external resource {value}"


def test_login_page_layout_and_labels(web: Any, flask_app: Any) -> None:
    if "auth.login" not in flask_app.view_functions:
        pytest.skip("auth.login not registered yet")
    tree = page(web, "/login")
    assert_layout(tree, "ja")


def test_english_layout_after_language_switch(web: Any, flask_app: Any) -> None:
    if "i18n.set_locale" not in flask_app.view_functions:
        pytest.skip("i18n.set_locale not registered yet")
    response = web.post("/locale", data={"lang": "en", "next": "/"})
    assert response.status_code in (302, 303)
    tree = page(web, "/")
    assert_layout(tree, "en")
    assert tree.all("a", "skip-link")[0].text() == "Skip to main content"
    switch = tree.all("form", "lang-switch")[0]
    assert "日本語" in switch.text()


def test_signed_in_header_shows_user_roles_and_logout(web: Any, flask_app: Any) -> None:
    try:
        from portal.models import Role
        from tests.conftest import login
        from tests.factories import gen_person
    except ImportError as exc:
        pytest.skip(f"factories not available: {exc}")
    from portal.extensions import db

    person = gen_person(roles=(Role.TRAINER, Role.HR, Role.ADMIN), name="試験 太郎")
    db.session.commit()
    login(web, person)
    tree = page(web, "/")
    assert_layout(tree, "ja")
    header = tree.all("header")[0]
    assert "試験 太郎" in header.text()
    logout = [
        f for f in header.iter() if f.tag == "form" and (f.get("action") or "").endswith("/logout")
    ]
    assert logout and logout[0].get("method") == "post"
    assert any(i.get("name") == "csrf_token" for i in logout[0].iter() if i.tag == "input")
    nav = tree.by_id("site-nav")
    assert nav is not None
    labels = [a.text() for a in nav.iter() if a.tag == "a"]
    for expected in ("学習", "研修担当", "人事", "管理"):
        assert expected in labels, labels
    current = [a for a in nav.iter() if a.tag == "a" and a.get("aria-current") == "page"]
    assert [a.text() for a in current] == ["ホーム"]


def test_anonymous_nav_has_no_role_areas(web: Any) -> None:
    tree = page(web, "/")
    nav = tree.by_id("site-nav")
    labels = [a.text() for a in nav.iter() if a.tag == "a"] if nav else []
    for hidden in ("研修担当", "人事", "管理"):
        assert hidden not in labels


# --------------------------------------------------------------------------- error pages


@pytest.fixture
def abort_route(flask_app: Any) -> str:
    from flask import abort

    def _abort(code: int) -> None:
        abort(code)

    flask_app.add_url_rule("/__layout_test_abort/<int:code>", "layout_test_abort", _abort)
    return "/__layout_test_abort/"


@pytest.mark.parametrize("code", sorted(ERROR_PAGES))
def test_error_pages_render_in_japanese_without_tracebacks(
    web: Any, abort_route: str, code: int
) -> None:
    response = web.get(f"{abort_route}{code}", headers={"Accept": "text/html"})
    assert response.status_code == code
    body = response.get_data(as_text=True)
    tree = Tree(body)
    assert_layout(tree, "ja")
    h1 = tree.all("h1")[0].text()
    assert ERROR_PAGES[code] in h1
    assert "Traceback" not in body and 'File "' not in body and "werkzeug" not in body.lower()
    assert any(a.get("href") == "/" or "btn--primary" in a.classes for a in tree.all("a", "btn"))
    # the English line is marked as English
    assert [
        n
        for n in tree.root.iter()
        if n.get("lang") == "en" and "error-page__message--en" in n.classes
    ]


def test_real_404_page(web: Any) -> None:
    response = web.get("/this/page/does/not/exist")
    assert response.status_code == 404
    tree = Tree(response.get_data(as_text=True))
    assert_layout(tree, "ja")
    assert "ページが見つかりません" in tree.all("h1")[0].text()


def test_unlisted_status_falls_back_to_generic_page(web: Any, abort_route: str) -> None:
    response = web.get(f"{abort_route}405")
    assert response.status_code == 405
    tree = Tree(response.get_data(as_text=True))
    assert_layout(tree, "ja")
    text = tree.all("main")[0].text()
    assert "405" in text and "サーバーエラー" not in text


# --------------------------------------------------------------------------- macros


def render(flask_app: Any, source: str, **context: Any) -> Tree:
    from flask import render_template_string

    with flask_app.test_request_context("/"):
        return Tree(render_template_string(source, **context))


def test_form_macros_wire_labels_help_and_errors(flask_app: Any) -> None:
    wtforms = pytest.importorskip("wtforms")
    from flask_wtf import FlaskForm
    from wtforms import validators as v

    class MultiCheckbox(wtforms.SelectMultipleField):
        widget = wtforms.widgets.ListWidget(prefix_label=False)
        option_widget = wtforms.widgets.CheckboxInput()

    def opts(*values: str) -> list[Any]:
        choice = getattr(wtforms, "SelectChoice", None)  # tuples are deprecated in WTForms 3.3
        return [choice(x, x) if choice else (x, x) for x in values]

    class F(FlaskForm):
        name = wtforms.StringField(
            "氏名", [v.DataRequired("氏名を入力してください。")], description="業務で使う氏名"
        )
        level = wtforms.RadioField(
            "レベル", [v.DataRequired("選んでください。")], choices=opts("L1", "L2")
        )
        org = wtforms.SelectField("所属", choices=opts("A", "B"))
        topics = MultiCheckbox("分野", choices=opts("X", "Y"))
        note = wtforms.TextAreaField("備考")
        csv = wtforms.FileField("ファイル")
        agree = wtforms.BooleanField("同意する", [v.DataRequired("同意が必要です。")])

    with flask_app.test_request_context("/", method="POST", data={}):
        form = F(meta={"csrf": False})
        assert not form.validate()
        from flask import render_template_string

        html = render_template_string(
            """{% import "_macros/forms.html" as forms %}
            <form method="post">{{ forms.form_errors(form) }}{{ forms.csrf() }}
            {% for f in form %}{{ forms.field(f) }}{% endfor %}
            {{ forms.submit('保存') }}{{ forms.submit('削除', kind='danger') }}</form>""",
            form=form,
        )
    tree = Tree(html)
    assert unlabelled_controls(tree) == []

    name = tree.by_id("name")
    assert name is not None and name.get("aria-invalid") == "true"
    assert set((name.get("aria-describedby") or "").split()) == {"name-help", "name-error"}
    assert "氏名を入力してください。" in tree.by_id("name-error").text()
    assert "業務で使う氏名" in tree.by_id("name-help").text()
    name_label = [lbl for lbl in tree.all("label") if lbl.get("for") == "name"][0]
    assert "必須" in name_label.text()  # required marked in text, not colour only

    # radio group: fieldset + legend, described by its error
    fieldsets = tree.all("fieldset")
    level = [fs for fs in fieldsets if "level-error" in (fs.get("aria-describedby") or "")]
    assert level
    assert any(n.tag == "legend" and "レベル" in n.text() for n in level[0].iter())

    # error summary links to the fields, first radio for groups
    summary = tree.all("div", "error-summary")
    assert len(summary) == 1
    links = [a.get("href") for a in summary[0].iter() if a.tag == "a"]
    assert links == ["#name", "#level-0", "#org", "#agree"]  # org: "Not a valid choice"
    for href in links:
        assert tree.by_id(href[1:]) is not None
    assert summary[0].get("tabindex") == "-1"
    assert tree.by_id(summary[0].get("aria-labelledby")) is not None

    # error text has an icon and a text prefix, not colour alone
    err = tree.by_id("name-error")
    assert any(n.tag == "svg" for n in err.iter())
    assert "エラー" in err.text()

    buttons = tree.all("button")
    assert [b.get("type") for b in buttons] == ["submit", "submit"]
    assert "btn--danger" in buttons[1].classes


def test_ui_macros(flask_app: Any) -> None:
    class PageObj:
        page, pages, total = 5, 12, 230
        has_prev = has_next = True
        prev_num, next_num = 4, 6

    tree = render(
        flask_app,
        """{% import "_macros/ui.html" as ui %}
        {{ ui.page_header('講座カタログ', 'Course catalogue') }}
        {{ ui.breadcrumbs([('ホーム', '/'), ('講座', None)]) }}
        {{ ui.pagination(p, 'public.index', q='データ') }}
        {% for c in ['T1','T2','T3','T4','L1','L2'] %}{{ ui.tier_badge(c, '名称') }}{% endfor %}
        {{ ui.progress(3, 12, 'パスの進捗') }}{{ ui.progress(0, 0, '空') }}
        {{ ui.status_tag('completed') }}{{ ui.status_tag('mystery') }}
        {{ ui.empty_state('ありません。') }}
        {{ ui.alert('error', '失敗しました。') }}{{ ui.alert('success', '保存しました。') }}
        {% call ui.scroll_table('表') %}<table><tr><th>a</th></tr></table>{% endcall %}""",
        p=PageObj(),
    )
    h1 = tree.all("h1")[0]
    en = [n for n in h1.iter() if n.get("lang") == "en"]
    assert en and en[0].text() == "Course catalogue"

    crumbs = tree.all("nav", "breadcrumbs")[0]
    assert crumbs.get("aria-label")
    assert [n.text() for n in crumbs.iter() if n.get("aria-current") == "page"] == ["講座"]

    pag = tree.all("nav", "pagination")[0]
    current = [a for a in pag.iter() if a.tag == "a" and a.get("aria-current") == "page"]
    assert [a.text() for a in current] == ["5"]
    hrefs = [a.get("href") for a in pag.iter() if a.tag == "a"]
    assert all("q=" in h for h in hrefs) and any("page=12" in h for h in hrefs)
    assert "230" in pag.text()

    tiers = tree.all("span", "tier")
    assert [t.text().split()[0] for t in tiers] == ["T1", "T2", "T3", "T4", "L1", "L2"]
    assert (
        len(
            {
                next(c for c in t.classes if c.startswith("tier--") and c != "tier--level")
                for t in tiers
            }
        )
        == 6
    )

    bars = tree.all("progress")
    assert bars[0].get("value") == "3" and bars[0].get("max") == "12"
    assert bars[1].get("max") == "1"  # never max=0
    assert all(any(a.tag == "label" for a in b.ancestors()) for b in bars)
    assert "3 / 12" in tree.all("div", "progress")[0].text()

    statuses = tree.all("span", "status")
    assert statuses[0].text() == "修了" and statuses[1].text() == "mystery"

    alerts = tree.all("div", "alert")
    assert alerts[0].get("role") == "alert" and alerts[1].get("role") == "status"
    assert "エラー" in alerts[0].text() and "完了" in alerts[1].text()

    region = tree.all("div", "table-scroll")[0]
    assert (
        region.get("role") == "region"
        and region.get("tabindex") == "0"
        and region.get("aria-label")
    )


# --------------------------------------------------------------------------- assets


def _tokens() -> dict[str, str]:
    css = (TOKENS_DIR / "tokens.css").read_text(encoding="utf-8")
    values = dict(re.findall(r"--([\w-]+):\s*([^;]+);", css))
    # resolve var() aliases (semantic tokens)
    for key, value in list(values.items()):
        m = re.fullmatch(r"var\(--([\w-]+)\)", value.strip())
        if m:
            values[key] = values[m.group(1)]
    return values


def _luminance(hex_colour: str) -> float:
    h = hex_colour.strip().lstrip("#")
    channels = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(fg: str, bg: str) -> float:
    tokens = _tokens()
    a, b = (_luminance(tokens.get(x, x)) for x in (fg, bg))
    hi, lo = max(a, b), min(a, b)
    return (hi + 0.05) / (lo + 0.05)


P = "color-primitive-"
G = "color-neutral-solid-gray-"
WHITE = "color-neutral-white"

#: (foreground, background, minimum, where) — text pairs need 4.5, UI parts 3.0
COLOUR_PAIRS = [
    (f"{G}800", WHITE, 4.5, "body text"),
    (f"{G}800", f"{G}50", 4.5, "footer text"),
    (f"{G}700", WHITE, 4.5, "muted text, help text"),
    (f"{G}700", f"{G}50", 4.5, "muted text on subtle background"),
    (f"{P}blue-1000", WHITE, 4.5, "links"),
    (f"{P}magenta-1000", WHITE, 4.5, "visited links"),
    (WHITE, f"{P}blue-900", 4.5, "primary button"),
    (WHITE, f"{P}blue-1000", 4.5, "primary button hover, main nav"),
    (WHITE, f"{P}blue-1100", 4.5, "main nav hover"),
    (f"{P}blue-900", WHITE, 4.5, "secondary button"),
    (f"{P}blue-1000", f"{P}blue-50", 4.5, "secondary hover, info alert/status"),
    (WHITE, f"{P}red-900", 4.5, "danger button"),
    (WHITE, f"{P}red-1000", 4.5, "danger hover"),
    (f"{P}red-1000", WHITE, 4.5, "error text, required marker"),
    (f"{P}red-1000", f"{P}red-50", 4.5, "error alert/status"),
    (f"{P}green-1000", f"{P}green-50", 4.5, "success alert/status"),
    (f"{P}yellow-1200", f"{P}yellow-50", 4.5, "warning alert/status"),
    ("#000000", f"{P}yellow-300", 4.5, "focused link"),
    (f"{G}700", f"{G}100", 4.5, "disabled button text"),
    # tier tags: solid code chip (white text) and light name part
    (WHITE, f"{P}light-blue-1000", 4.5, "T1 code"),
    (f"{P}light-blue-1100", f"{P}light-blue-50", 4.5, "T1 name"),
    (WHITE, f"{P}green-900", 4.5, "T2 code"),
    (f"{P}green-1000", f"{P}green-50", 4.5, "T2 name"),
    (WHITE, f"{P}orange-1000", 4.5, "T3 code"),
    (f"{P}orange-1100", f"{P}orange-50", 4.5, "T3 name"),
    (WHITE, f"{P}purple-900", 4.5, "T4 code"),
    (f"{P}purple-1000", f"{P}purple-50", 4.5, "T4 name"),
    (WHITE, f"{P}cyan-1000", 4.5, "L1 code"),
    (f"{P}cyan-1100", f"{P}cyan-50", 4.5, "L1 name"),
    (WHITE, f"{P}magenta-900", 4.5, "L2 code"),
    (f"{P}magenta-1000", f"{P}magenta-50", 4.5, "L2 name"),
    (WHITE, f"{G}700", 4.5, "unknown tier code"),
    # non-text (WCAG 1.4.11)
    (f"{G}600", WHITE, 3.0, "form control border"),
    ("#000000", WHITE, 3.0, "focus outline"),
    (f"{P}yellow-300", f"{P}blue-1000", 3.0, "focus ring / current bar on nav"),
    (f"{P}blue-900", f"{G}100", 3.0, "progress value vs track"),
    (f"{P}green-800", f"{G}100", 3.0, "completed progress vs track"),
    (f"{P}red-900", WHITE, 3.0, "error field border"),
]


@pytest.mark.parametrize(
    ("fg", "bg", "minimum", "where"), COLOUR_PAIRS, ids=[p[3] for p in COLOUR_PAIRS]
)
def test_colour_pairs_meet_contrast(fg: str, bg: str, minimum: float, where: str) -> None:
    assert contrast(fg, bg) >= minimum, f"{where}: {contrast(fg, bg):.2f}:1"


def test_stylesheet_uses_only_defined_tokens_and_no_external_urls() -> None:
    tokens = _tokens()
    css = (STATIC / "css" / "portal.css").read_text(encoding="utf-8")
    defined_here = set(re.findall(r"(--[\w-]+)\s*:", css))
    for name in set(re.findall(r"var\((--[\w-]+)", css)):
        assert name[2:] in tokens or name in defined_here, f"{name} is not a design token"
    code = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    assert "@import" not in code and "url(" not in code
    js = (STATIC / "js" / "portal.js").read_text(encoding="utf-8")
    assert "http" not in js
    # focus, reduced motion, print and small screens are handled
    for needle in (
        ":focus-visible",
        "prefers-reduced-motion",
        "@media print",
        "forced-colors",
        "max-width: 48em",
    ):
        assert needle in css


def test_vendored_tokens_are_the_pinned_version_with_licence() -> None:
    assert (TOKENS_DIR / "tokens.css").is_file()
    licence = (TOKENS_DIR / "LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in licence
    readme = (TOKENS_DIR / "README.md").read_text(encoding="utf-8")
    assert "@digital-go-jp/design-tokens" in readme and TOKENS_VERSION in readme and "MIT" in readme
    base = (TEMPLATES / "base.html").read_text(encoding="utf-8")
    assert "design-tokens-' ~ DESIGN_TOKENS_VERSION" in base
    assert f"DESIGN_TOKENS_VERSION = '{TOKENS_VERSION}'" in base


def test_every_layout_string_has_an_english_translation() -> None:
    babel_extract = pytest.importorskip("babel.messages.extract")
    pofile = pytest.importorskip("babel.messages.pofile")
    with LAYOUT_PO.open("rb") as fh:
        catalog = pofile.read_po(fh, locale="en")
    translated = {m.id if isinstance(m.id, str) else m.id[0]: m.string for m in catalog if m.id}
    files = [TEMPLATES / "base.html", *sorted((TEMPLATES / "_macros").glob("*.html"))]
    files += sorted((TEMPLATES / "_partials").glob("*.html"))
    files += [TEMPLATES / "errors" / f"{code}.html" for code in ERROR_PAGES]
    missing = []
    for path in files:
        with path.open("rb") as fh:
            for _lineno, message, _comments, _context in babel_extract.extract(
                "jinja2", fh, options={"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}
            ):
                msgid = message if isinstance(message, str) else message[0]
                value = translated.get(msgid)
                if not value or (isinstance(value, tuple) and not all(value)):
                    missing.append(f"{path.name}: {msgid}")
    assert missing == []


# --------------------------------------------------------------------------- browser


@pytest.fixture
def live_server(flask_app: Any) -> Any:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, flask_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


@pytest.mark.browser
@pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not shutil.which("chromium"), reason="chromium not installed"
)
def test_keyboard_reaches_skip_link_first_and_layout_fits_320px(live_server: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            pg = context.new_page()
            pg.goto(live_server + "/")
            pg.keyboard.press("Tab")
            focused = pg.evaluate(
                "() => { const e = document.activeElement; const r = e.getBoundingClientRect();"
                " const s = getComputedStyle(e); return {cls: e.className, href: e.getAttribute('href'),"
                " top: r.top, bottom: r.bottom, outline: s.outlineStyle, width: s.outlineWidth}; }"
            )
            assert "skip-link" in focused["cls"] and focused["href"] == "#main"
            assert focused["top"] >= 0 and focused["bottom"] <= 800, (
                "skip link is not shown when focused"
            )
            assert focused["outline"] != "none" and focused["width"] != "0px", (
                "no visible focus indicator"
            )
            pg.keyboard.press("Enter")
            assert pg.evaluate("document.activeElement.id") == "main"
            context.close()

            # 320 CSS px: no horizontal scrolling; the menu collapses behind a button
            context = browser.new_context(viewport={"width": 320, "height": 640})
            pg = context.new_page()
            pg.goto(live_server + "/")
            assert pg.evaluate("document.documentElement.scrollWidth") <= 320
            toggle = pg.locator(".site-nav-toggle")
            assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
            assert not pg.locator("#site-nav").is_visible()
            toggle.click()
            assert toggle.get_attribute("aria-expanded") == "true"
            assert pg.locator("#site-nav").is_visible()
            context.close()

            # without JavaScript the menu is simply shown
            context = browser.new_context(
                viewport={"width": 320, "height": 640}, java_script_enabled=False
            )
            pg = context.new_page()
            pg.goto(live_server + "/")
            assert pg.locator("#site-nav").is_visible()
            assert not pg.locator(".site-nav-toggle").is_visible()
            context.close()
        finally:
            browser.close()
