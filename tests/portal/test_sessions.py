"""The session interface: cookie-less requests skip parsing, the rest is Flask's own."""

from __future__ import annotations

from flask import session


def test_a_cookieless_request_gets_an_empty_session_that_still_saves(app):
    @app.get("/_test/session")
    def remember():  # type: ignore[no-untyped-def]
        seen = session.get("n", 0)
        session["n"] = seen + 1
        return str(seen)

    client = app.test_client()
    assert client.get("/_test/session", headers={"Cookie": ""}).get_data(as_text=True) == "0"
    assert client.get("/_test/session").get_data(as_text=True) == "1"  # the cookie came back
    assert client.get("/_test/session").get_data(as_text=True) == "2"
    tampered = client.get_cookie("session")
    assert tampered is not None
    client.set_cookie("session", tampered.value[:-2] + "xx")
    assert client.get("/_test/session").get_data(as_text=True) == "0"  # a bad signature
