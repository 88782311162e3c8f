"""The admin pages: a form posted with the admin page's CSRF token."""

from __future__ import annotations

from typing import Any

from tests.helpers.web import csrf


def post(client: Any, path: str, **data: str) -> Any:
    """POST a form with the CSRF token of the admin page, as the browser would."""
    token = csrf(client.get("/admin/").data)
    return client.post(path, data={"csrf_token": token, **data}, follow_redirects=True)
