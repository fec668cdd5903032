"""URL normalisation, Japanese detection and the search-text normaliser."""

from __future__ import annotations

import pytest

from curricula import (
    InvalidURLError,
    has_japanese,
    is_http_url,
    normalise_search_text,
    normalise_url,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/a", "https://example.org/a"),
        ("HTTPS://Example.ORG/a", "https://example.org/a"),
        ("https://www.example.org/a", "https://example.org/a"),
        ("https://example.org:443/a", "https://example.org/a"),
        ("http://example.org:80/a", "http://example.org/a"),
        ("http://example.org:8080/a", "http://example.org:8080/a"),
        ("https://example.org:80/a", "https://example.org:80/a"),
        ("https://example.org/a/", "https://example.org/a"),
        ("https://example.org/", "https://example.org"),
        ("https://example.org", "https://example.org"),
        ("https://example.org/a#section-2", "https://example.org/a"),
        ("https://example.org/a?utm_source=x&utm_medium=y&UTM_Campaign=z", "https://example.org/a"),
        ("https://example.org/a?id=3&utm_source=x", "https://example.org/a?id=3"),
        ("https://example.org/a?b=2&a=1", "https://example.org/a?a=1&b=2"),
        ("https://example.org/a?fbclid=abc&q=", "https://example.org/a?q="),
        ("  https://example.org/a  ", "https://example.org/a"),
        ("https://example.org/Case/Path", "https://example.org/Case/Path"),
        ("http://[::1]:8080/x", "http://[::1]:8080/x"),
    ],
)
def test_normalise_url(url: str, expected: str) -> None:
    assert normalise_url(url) == expected


def test_normalised_duplicates_agree() -> None:
    variants = [
        "https://www.ipa.go.jp/security/10threats/index.html",
        "HTTPS://WWW.IPA.GO.JP:443/security/10threats/index.html/#top",
        "https://ipa.go.jp/security/10threats/index.html?utm_source=newsletter",
    ]
    assert len({normalise_url(url) for url in variants}) == 1


def test_scheme_is_kept() -> None:
    assert normalise_url("http://example.org/a") != normalise_url("https://example.org/a")


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("javascript:alert(1)", "bad-url-scheme"),
        ("JaVaScRiPt:alert(1)", "bad-url-scheme"),
        ("data:text/html,<b>x</b>", "bad-url-scheme"),
        ("mailto:a@example.org", "bad-url-scheme"),
        ("//example.org/a", "bad-url-scheme"),
        ("", "bad-url"),
        ("https://", "bad-url"),
        ("https://exa mple.org", "bad-url"),
        ("https://example.org/\x00", "bad-url"),
        ("https://user@example.org/", "bad-url"),
        ("https://example.org:0x50/", "bad-url"),
    ],
)
def test_invalid_urls(url: str, code: str) -> None:
    with pytest.raises(InvalidURLError) as excinfo:
        normalise_url(url)
    assert excinfo.value.code == code
    assert isinstance(excinfo.value, ValueError)
    assert not is_http_url(url)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ｶﾀｶﾅ", "かたかな"),
        ("カタカナ", "かたかな"),
        ("かたかな", "かたかな"),
        ("ＡＢＣ", "abc"),
        ("abc", "abc"),
        ("ABC", "abc"),
        ("ﾃﾞｰﾀｻｲｴﾝｽ", "でーたさいえんす"),
        ("データサイエンス", "でーたさいえんす"),
        ("ＤＸ推進　リーダー", "dx推進 りーだー"),
        ("Ｐｙｔｈｏｎ３", "python3"),
        ("  生成ＡＩ  入門 ", "生成ai 入門"),
        ("ヴァイオリン", "ゔぁいおりん"),
        ("ヽヾ", "ゝゞ"),
    ],
)
def test_normalise_search_text(text: str, expected: str) -> None:
    assert normalise_search_text(text) == expected


def test_search_variants_match() -> None:
    query = normalise_search_text("ｾｷｭﾘﾃｨ")
    assert query in normalise_search_text("情報セキュリティ10大脅威")
    assert normalise_search_text("ＡＷＳ") in normalise_search_text("AWS Cloud Practitioner")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("情報", True),
        ("かな", True),
        ("カナ", True),
        ("ｶﾅ", True),
        ("AI", False),
        ("Elements of AI", False),
        ("", False),
    ],
)
def test_has_japanese(text: str, expected: bool) -> None:
    assert has_japanese(text) is expected
