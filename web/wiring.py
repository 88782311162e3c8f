"""How the blueprints attach to the app: converters, body limits, security headers, CSRF."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from flask import Flask, Response, abort, current_app, g, request
from flask_wtf import CSRFProtect
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from sqlalchemy.exc import DataError
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.routing import IntegerConverter, Map

logger = logging.getLogger(__name__)
csrf = CSRFProtect()


class RowId(IntegerConverter):
    """A row id in a URL, ``<id:name>``: 1 to 2**31-1 (INTEGER), anything else a 404.

    Flask's ``int`` takes any run of digits, and PostgreSQL answers 500 to
    /programmes/2147483648 when the driver sends it as a bigint.
    """

    def __init__(self, url_map: Map, *_args: Any, **_kwargs: Any) -> None:
        super().__init__(url_map, min=1, max=2**31 - 1)


def _refuse_nul() -> None:
    """A NUL in the path, query or form is no one's input, and PostgreSQL text refuses it (500)."""
    values = [request.path, *request.args.values()]
    if request.method == "POST" and request.mimetype != "application/json":
        values += request.form.values()
    if any("\x00" in v for v in values):
        abort(400, "Yêu cầu chứa ký tự NUL (request contains a NUL character)")


def _value_refused(err: DataError) -> Any:
    """A value the database refused (too long, out of range): the user's input, so a 400.

    The rooms check what they know; this keeps what slips past them from being a 500.
    """
    from loa.web.i18n import error_page

    logger.info("value refused by the database: %s", err.orig)
    return error_page(BadRequest("Lỗi: giá trị quá dài hoặc ngoài phạm vi cho phép "
                                 "(a value is too long or out of range)"))


# Bodies a blueprint takes at most, declared beside it (``BODY_LIMIT``) and gathered at
# registration; the others take MAX_CONTENT_LENGTH if they are uploads (multipart), else
# MAX_FORM_MEMORY_SIZE, the limit Werkzeug puts on a multipart text field.
BODY_LIMITS_KEY = "loa.body_limits"


def _body_limit() -> int | None:
    config = current_app.config
    own = current_app.extensions[BODY_LIMITS_KEY].get(request.blueprint)
    if own is not None:
        return own
    if request.mimetype == "multipart/form-data":
        return config["MAX_CONTENT_LENGTH"]
    # Werkzeug applies the form limit to multipart text fields only: a url-encoded body
    # (or JSON) would otherwise take 256 MB of text into one field.
    return config["MAX_FORM_MEMORY_SIZE"]


def _limit_body() -> None:
    """Refuse a body larger than the route takes (413) before a byte of it is read.

    Cases: a Content-Length over the limit is refused at once, whatever follows
    it; a chunked body (no length) is cut where it passes the limit, as it is read;
    only a multipart body (an upload) may be larger than a form's text.
    """
    limit = _body_limit()
    request.max_content_length = limit
    if limit is not None and (request.content_length or 0) > limit:
        if limit == current_app.config["MAX_FORM_MEMORY_SIZE"]:
            raise RequestEntityTooLarge(
                f"Nội dung gửi lên quá lớn: một biểu mẫu tối đa {limit // 1000} KB "
                f"(form larger than {limit // 1000} KB)"
            )
        raise RequestEntityTooLarge()


def csp_nonce() -> str:
    """This response's nonce: an inline ``<script nonce="{{ csp_nonce() }}">`` runs, no other."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _security_headers(response: Response) -> Response:
    """The one place the Content-Security-Policy is written, for every response.

    Scripts and <style> elements come from this site or carry the nonce; inline
    event handlers (onclick=…) never run: use data-confirm (web/static/loa.js).
    Style attributes are allowed: they run no code, and server-drawn charts use them.
    No site may frame the pages (clickjacking).
    """
    nonce = csp_nonce()
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        f"style-src 'self' 'nonce-{nonce}'; style-src-attr 'unsafe-inline'; "
        "img-src 'self' data:; "
        # A page may name stream origins its <audio> plays live (the relay page's sources).
        f"media-src 'self' blob:{''.join(' ' + o for o in g.get('csp_media', []))}; "
        "object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


class TemplateCode(BytecodeCache):
    """Compiled templates shared by every app this process builds. A server builds one app,
    but the test suite builds one per test, and compiling the pages again for each cost
    more than rendering them. Jinja keys each entry by the template's name and a checksum
    of its source, so an edited template is compiled afresh."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if (code := self._code.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODE = TemplateCode()


def register(app: Flask) -> None:
    """Attach every blueprint, in one place; the player API authenticates by token, not by
    form, so no CSRF there."""
    from loa.web import (  # admin_forms adds its routes to admin's blueprint, so it comes first
        accounts,
        admin,
        admin_forms,  # noqa: F401
        auth,
        bulletin_pages,
        bulletin_series_pages,
        cap,
        clips,
        editor,
        i18n,
        inbox,
        lexicon,
        offer_pages,
        ops,
        player_api,
        public,
        relay_pages,
        report_pages,
        review,
        stations_page,
        token_pages,
        ui,
        variant_pages,
        zone_pages,
    )

    app.url_map.converters["id"] = RowId  # before any blueprint's rules are bound
    app.extensions[BODY_LIMITS_KEY] = {player_api.bp.name: player_api.BODY_LIMIT}
    app.before_request(_limit_body)  # first: the others may read the form
    app.before_request(_refuse_nul)
    app.after_request(_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.jinja_env.bytecode_cache = TEMPLATE_CODE
    app.register_error_handler(DataError, _value_refused)
    csrf.init_app(app)
    i18n.register(app)
    csrf.exempt(player_api.bp)
    editor.init_app(app)
    for module in (player_api, ops, auth, i18n, accounts, token_pages, ui, editor, review, clips,
                   lexicon, admin, stations_page, public, cap, bulletin_pages, report_pages,
                   bulletin_series_pages, offer_pages, inbox, relay_pages, zone_pages,
                   variant_pages):
        app.register_blueprint(module.bp)
