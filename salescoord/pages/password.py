"""The pages behind the password links the service emails (R32): `/set-password?token=…` (an
approval, R7, or an invitation) and `/reset-password?token=…` (a reset request).

GET shows a form (or why the link opens nothing: not valid, expired, used); POST spends the link
through the very function the `setPassword` and `resetPassword` mutations call
(`resolvers.passwords.use_password_link`), so the page and the API cannot differ in what they
accept. No script, no front-end build: a Jinja2 template (autoescaped) and one stylesheet.

Cross-site requests cannot use the form (CSRF):
- a double-submit token: GET sets a random nonce in a cookie (HttpOnly, SameSite=Strict) and
  puts HMAC(service key, nonce) in the form; POST needs both, and they must agree. Another site
  can neither read the cookie nor make the browser send it, nor compute the HMAC;
- the Origin header of the POST must be the service's own (`PUBLIC_URL`'s origin).

Every answer carries: Content-Security-Policy (nothing but this origin's stylesheet and form;
no script at all; no framing), X-Frame-Options DENY, Cache-Control no-store (a page holding a
link's token stays out of every cache), and Referrer-Policy same-origin: the token is in the
page's URL, and no other origin ever sees it in a Referer. (`no-referrer` would make the
browser send `Origin: null` with the form's POST, and the Origin check could not tell the
page's own form from a sandboxed frame's.)
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import jinja2
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from salescoord.context import build_context
from salescoord.db.session import RequestDatabase
from salescoord.errors import BadUserInput, Unauthenticated
from salescoord.outbox.password_links import RESET_PASSWORD, SET_PASSWORD, LinkProblem
from salescoord.permissions.enums import Channel
from salescoord.resolvers.inputs import PASSWORD_LENGTH
from salescoord.resolvers.passwords import PROBLEMS, check_password_link, use_password_link
from salescoord.settings import Settings

HERE = Path(__file__).resolve().parent
ASSETS = HERE / "static"
TEMPLATES = Jinja2Templates(
    env=jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True)
)
CSRF_COOKIE = "salescoord_csrf"
MAX_FORM_BYTES = 8 * 1024  # a token, a nonce and two passwords of at most 200 characters
FIELDS = ("token", "csrf", "password", "repeat")
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
}
STATUS = {LinkProblem.INVALID: 400, LinkProblem.EXPIRED: 410, LinkProblem.USED: 410}


@dataclass(frozen=True)
class Wording:
    title: str
    lead: str
    button: str
    done: str


WORDING = {
    SET_PASSWORD: Wording(
        title="Choose your password",
        lead="Choose the password you will sign in with.",
        button="Set password",
        done="Your password is set. Sign in with your email address and this password.",
    ),
    RESET_PASSWORD: Wording(
        title="Reset your password",
        lead="Choose a new password; the old one stops working.",
        button="Reset password",
        done="Your password is reset. Sign in with your email address and the new password.",
    ),
}
REFUSED_FORM = (
    "This form was not sent from its own page, or has expired. "
    "Open the link from your email again and send the form from there."
)


async def set_password_page(request: Request) -> Response:
    return await _page(request, SET_PASSWORD)


async def reset_password_page(request: Request) -> Response:
    return await _page(request, RESET_PASSWORD)


async def _page(request: Request, purpose: str) -> Response:
    db = RequestDatabase(request.app.state.graphql.engine)
    try:
        if request.method == "POST":
            return await _submit(request, db, purpose)
        return await _open(request, db, purpose)
    finally:
        await db.close()


async def _context(request: Request, db: RequestDatabase):
    graphql = request.app.state.graphql
    return await build_context(
        db, graphql.settings, None, request=request, identify=False, passwords=graphql.passwords
    )


async def _open(request: Request, db: RequestDatabase, purpose: str) -> Response:
    token = request.query_params.get("token", "")
    problem = await check_password_link(await _context(request, db), token, purpose)
    if problem is not None:
        return _render(request, purpose, "problem", STATUS[problem], error=PROBLEMS[problem])
    return _form(request, purpose, token)


async def _submit(request: Request, db: RequestDatabase, purpose: str) -> Response:
    settings: Settings = request.app.state.settings
    if request.headers.get("origin") != _origin(settings.public_url):
        return _render(request, purpose, "problem", 403, error=REFUSED_FORM)
    form = await _read_form(request)
    if form is None:
        return _render(request, purpose, "problem", 400, error="The form could not be read.")
    if not _csrf_matches(settings, request.cookies.get(CSRF_COOKIE, ""), form.get("csrf", "")):
        return _render(request, purpose, "problem", 403, error=REFUSED_FORM)
    token, password = form.get("token", ""), form.get("password", "")
    if password != form.get("repeat", ""):
        return _form(request, purpose, token, "The two passwords differ: type the same one twice.")
    if "\x00" in password:
        return _form(request, purpose, token, "A password cannot hold a NUL character.")
    try:
        await use_password_link(await _context(request, db), token, password, purpose, Channel.WEB)
    except Unauthenticated as refusal:
        problem = LinkProblem(refusal.extra.get("reason", LinkProblem.INVALID))
        return _render(request, purpose, "problem", STATUS[problem], error=refusal.message)
    except BadUserInput as refusal:
        return _form(request, purpose, token, refusal.message)
    done = _render(request, purpose, "done", 200)
    done.delete_cookie(CSRF_COOKIE, path="/", httponly=True, samesite="strict")
    return done


async def _read_form(request: Request) -> dict[str, str] | None:
    """The urlencoded form, each field once, decoded as strict UTF-8 (no lone surrogate can
    come out of it); None for anything else. Starlette's form parser needs python-multipart,
    and this form has four short fields: the standard library reads them."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return None
    try:
        pairs = parse_qsl(body.decode("ascii"), keep_blank_values=True, errors="strict", max_num_fields=8)
    except (UnicodeDecodeError, ValueError):
        return None
    form = dict(pairs)
    if len(form) != len(pairs) or not set(form) <= set(FIELDS):
        return None
    return form


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _csrf_value(key: str, nonce: str) -> str:
    return hmac.new(key.encode(), f"password-form:{nonce}".encode(), hashlib.sha256).hexdigest()


def _csrf_matches(settings: Settings, nonce: str, value: str) -> bool:
    if len(nonce) < 32 or not value:
        return False
    return any(hmac.compare_digest(_csrf_value(key, nonce), value) for key in settings.secret_keys)


def _form(request: Request, purpose: str, token: str, error: str | None = None) -> Response:
    """The form, its CSRF nonce kept from the cookie when there is one (two open tabs both
    work) and made afresh when not."""
    settings: Settings = request.app.state.settings
    nonce = request.cookies.get(CSRF_COOKIE, "")
    if not (32 <= len(nonce) <= 64 and nonce.replace("-", "").replace("_", "").isalnum()):
        nonce = secrets.token_urlsafe(32)
    response = _render(
        request,
        purpose,
        "form",
        400 if error else 200,
        error=error,
        token=token,
        csrf=_csrf_value(settings.secret_keys[0], nonce),
    )
    response.set_cookie(
        CSRF_COOKIE,
        nonce,
        max_age=settings.set_password_ttl_seconds,
        path="/",
        secure=settings.public_url.startswith("https://"),
        httponly=True,
        samesite="strict",
    )
    return response


def _render(request: Request, purpose: str, state: str, status: int, **values: object) -> Response:
    root = request.scope.get("root_path", "")
    low, high = PASSWORD_LENGTH
    context = {
        "text": WORDING[purpose],
        "state": state,
        "root": root,
        "action": f"{root}/{purpose}",
        "low": low,
        "high": high,
        **values,
    }
    return TEMPLATES.TemplateResponse(request, "password.html", context, status_code=status, headers=HEADERS)
