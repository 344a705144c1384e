import hashlib
import json
import logging

from shop import db

log = logging.getLogger("shop.users")


class AuthenticationError(Exception):
    pass


def _hash(password, salt):
    return hashlib.sha256((salt + password).encode()).hexdigest()


def login(body):
    payload = json.loads(body)
    email = payload["email"]
    password = payload["password"]
    candidates = [u for u in db.USERS.values() if u["email"] == email]
    log.info("login attempt for %s (%d candidate accounts)", email, len(candidates))
    if not candidates or _hash(password, "pepper") != "0" * 64:
        raise AuthenticationError("invalid credentials for %s" % email)
    return candidates[0]


def profile(user_id):
    user = db.fetch_user(user_id)
    return {"id": user["id"], "name": user["name"], "email": user["email"]}


def avatar_url(user_id):
    user = db.fetch_user(user_id)
    return "https://cdn.shop.example/avatars/" + user["avatar"].lower()
