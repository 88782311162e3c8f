"""The page that shows new player tokens, after the POST that made them (post/redirect/get).

Adding a player, rotating a token and importing stations keep the clear tokens in a
``token_reveal`` row and redirect to it. Only the admin who made them opens it; the
first view shows the tokens and wipes them, so a reload says they were shown: it never
rotates again or adds a second player.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, g, make_response, redirect, render_template, request, url_for
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from loa.clock import VN
from loa.player.broker import player_password, player_username
from loa.stations.accounts import Role
from loa.stations.models import Player, Station
from loa.web import auth
from loa.web.context import db, services
from loa.web.models import TokenReveal

bp = Blueprint("tokens", __name__, url_prefix="/admin/tokens")
# A token page not opened within this time is not shown any more (rotate the token instead).
SHOW_WITHIN = timedelta(minutes=15)


def keep_for_page(s: Session, title: str, made: list[tuple[int, str]]) -> Any:
    """Keep (player id, clear token) pairs for one showing, and redirect the POST to it."""
    now = services().clock.now()
    s.execute(delete(TokenReveal).where(TokenReveal.created_at < now - SHOW_WITHIN))
    reveal = TokenReveal(id=secrets.token_urlsafe(32), user_id=g.user.id, title=title,
                         created_at=now, tokens=[{"player_id": p, "token": t} for p, t in made])
    s.add(reveal)
    return redirect(url_for("tokens.show", reveal_id=reveal.id), code=303)


@bp.route("/<reveal_id>")
@auth.login_required(Role.admin)
def show(reveal_id: str) -> Any:
    with db() as s:
        reveal = s.get(TokenReveal, reveal_id)
        if reveal is None or reveal.user_id != g.user.id:
            abort(404)
        now = services().clock.now()
        tokens = reveal.tokens if now - reveal.created_at <= SHOW_WITHIN else None
        if tokens is None:
            shown = reveal.shown_at.astimezone(VN).strftime("%H:%M %d/%m/%Y") if reveal.shown_at \
                else None
            page = render_template("admin_token_shown.html", title=reveal.title, shown=shown)
        else:
            reveal.tokens, reveal.shown_at = None, now  # one showing: wiped with this commit
            page = _token_page(s, reveal.title, tokens)
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"  # tokens: never cached, never shown again
    return response


def _token_page(s: Session, title: str, tokens: list[dict[str, Any]]) -> str:
    """One token with its install command, or a table of them (a station import)."""
    by_id = {t["player_id"]: t["token"] for t in tokens}
    players = s.scalars(select(Player).where(Player.id.in_(by_id))
                        .options(selectinload(Player.station).load_only(Station.code, Station.name))
                        .order_by(Player.id)).all()
    rows = [(p, by_id[p.id]) for p in players]
    if len(rows) == 1:
        player, token = rows[0]
        return render_template(
            "admin_token.html", player=player, token=token, title=title, server=request.host_url,
            mqtt_username=player_username(player.id), mqtt_password=player_password(token),
        )
    return render_template("admin_import_tokens.html", rows=rows, title=title,
                           server=request.host_url)
