"""Signed statements of who is acting: no service believes an actor because its caller
wrote it.

The accounts service alone holds the private key (Ed25519). On every sign-in, session
check and token check it issues a short statement: an EdDSA-signed JWT naming the user,
role, unit, district, session and whether the session may only read, good for at most
``MAX_LIFETIME`` (5 minutes). Callers pass the statement as the ``actor`` argument of every
RPC; each service verifies it with accounts' public key (``read``) and acts on what it
says, never on a dict a caller made up. A forged, expired or revoked statement, or an
actor that is not a statement at all, is ``NotPermitted``.

Revocation: accounts says ``session_ended`` (a logout, a deactivated account, a changed
role, unit or password); every service hears it (``Revocations``) and refuses the
session's statements from then on, without waiting for them to expire; a copy that starts
asks accounts for what it withdrew lately (services/shared/revocation.py).

Keys: ``HOTLINE_SIGNING_KEY`` (accounts only) is the path of the private key (PEM,
PKCS#8); ``HOTLINE_VERIFY_KEYS`` is a directory of public keys (``<kid>.pem``), every
service's. A statement names its key (``kid``), so a key is rotated by adding the new
public key to every service's directory, then giving accounts the new private key, then,
once 5 minutes have passed, removing the old public key. ``ensure_keys`` makes a pair for
a machine that has none (``make run``, the tests).
"""
from __future__ import annotations

import datetime as dt
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from services.shared import clock
from services.shared.errors import NotPermitted

ALGORITHM = "EdDSA"
ISSUER = "accounts"
MAX_LIFETIME = dt.timedelta(minutes=5)
LEEWAY_SECONDS = 5  # clocks of two machines may disagree by this much
SIGNING_KEY_VARIABLE = "HOTLINE_SIGNING_KEY"
VERIFY_KEYS_VARIABLE = "HOTLINE_VERIFY_KEYS"
NOT_A_STATEMENT = "the actor must be a statement signed by accounts: sign in"


# Keys
def new_key_pair(directory: Path, kid: str | None = None) -> tuple[Path, Path]:
    """A new Ed25519 pair in ``directory``: ``signing/<kid>.pem`` (private, mode 600) and
    ``verify/<kid>.pem`` (public). Returns their paths."""
    kid = kid or f"k{clock.now():%Y%m%d}-{uuid.uuid4().hex[:6]}"
    private = Ed25519PrivateKey.generate()
    signing, verify = directory / "signing", directory / "verify"
    signing.mkdir(parents=True, exist_ok=True)
    verify.mkdir(parents=True, exist_ok=True)
    private_path, public_path = signing / f"{kid}.pem", verify / f"{kid}.pem"
    private_path.write_bytes(private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    private_path.chmod(0o600)
    public_path.write_bytes(private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return private_path, public_path


def ensure_keys(directory: Path) -> dict[str, str]:
    """The key settings for a machine's run (a pair made in ``directory`` if it has none):
    {HOTLINE_SIGNING_KEY: the private key's path, HOTLINE_VERIFY_KEYS: the public keys'
    directory}."""
    signing = list((directory / "signing").glob("*.pem"))
    private_path = (max(signing, key=lambda path: path.stat().st_mtime) if signing
                    else new_key_pair(directory)[0])  # the newest: a rotation's
    return {SIGNING_KEY_VARIABLE: str(private_path),
            VERIFY_KEYS_VARIABLE: str(directory / "verify")}


class Signer:
    """Issues statements (accounts only): the private key at ``path``, its name the file's."""

    def __init__(self, path: str | Path):
        path = Path(path)
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path}: not an Ed25519 private key")
        self.key, self.kid = key, path.stem

    @classmethod
    def from_environment(cls) -> Signer:
        path = os.environ.get(SIGNING_KEY_VARIABLE)
        if not path:
            raise RuntimeError(f"{SIGNING_KEY_VARIABLE} is not set: accounts cannot sign "
                               f"statements (see services/shared/statements.py)")
        return cls(path)

    def issue(self, actor: dict, *, session: str | None, read_only: bool = False,
              lifetime: dt.timedelta = MAX_LIFETIME) -> str:
        """A statement that ``actor`` ({id, name, role, unit_id, district}) acts, in
        ``session`` (None: a service acting on its own), for ``lifetime`` (at most
        MAX_LIFETIME)."""
        now = clock.now()
        claims = {"iss": ISSUER, "sub": actor["id"], "name": actor["name"],
                  "role": actor["role"], "unit_id": actor.get("unit_id"),
                  "district": actor.get("district"), "sid": session, "ro": read_only,
                  "iat": int(now.timestamp()), "at": now.timestamp(),  # at: to the µs
                  "exp": int((now + min(lifetime, MAX_LIFETIME)).timestamp()),
                  "jti": uuid.uuid4().hex}
        return jwt.encode(claims, self.key, algorithm=ALGORITHM, headers={"kid": self.kid})


class Verifier:
    """Reads statements with accounts' public keys (``<kid>.pem`` in a directory)."""

    def __init__(self, keys: dict[str, Ed25519PublicKey]):
        self.keys = keys

    @classmethod
    def from_directory(cls, directory: str | Path) -> Verifier:
        keys: dict[str, Ed25519PublicKey] = {}
        for path in sorted(Path(directory).glob("*.pem")):
            key = serialization.load_pem_public_key(path.read_bytes())
            if not isinstance(key, Ed25519PublicKey):
                raise ValueError(f"{path}: not an Ed25519 public key")
            keys[path.stem] = key
        if not keys:
            raise RuntimeError(f"{directory}: no public keys of accounts (<kid>.pem)")
        return cls(keys)

    def read(self, statement: Any, revoked: Revocations | None = None) -> dict:
        """The actor a statement vouches for: {id, name, role, unit_id, district, session,
        read_only}. NotPermitted if it is not a statement, not signed by accounts' key,
        expired, or of an ended session."""
        if not isinstance(statement, str):
            raise NotPermitted(NOT_A_STATEMENT)
        try:
            kid = jwt.get_unverified_header(statement).get("kid")
            key = self.keys.get(kid) if isinstance(kid, str) else None
            if key is None:
                raise NotPermitted("the statement is not signed by a key of accounts")
            # times are checked below against the project's clock (services/shared/clock.py)
            claims = jwt.decode(statement, key, algorithms=[ALGORITHM], issuer=ISSUER,
                                options={"require": ["exp", "iat", "sub", "role"],
                                         "verify_exp": False, "verify_iat": False})
        except (jwt.PyJWTError, UnicodeError, ValueError):  # not even text a JWT could be
            raise NotPermitted("the statement is not one accounts signed") from None
        if not isinstance(claims["exp"], int) or not isinstance(claims["iat"], int):
            raise NotPermitted("the statement is not one accounts signed")
        now = clock.now().timestamp()
        if now > claims["exp"] + LEEWAY_SECONDS or now < claims["iat"] - LEEWAY_SECONDS:
            raise NotPermitted("the statement has expired: sign in again")
        if claims["exp"] - claims["iat"] > MAX_LIFETIME.total_seconds():
            raise NotPermitted("the statement claims to live longer than accounts allows")
        at = claims.get("at")
        issued = float(at) if isinstance(at, (int, float)) else float(claims["iat"])
        if revoked is not None and revoked.ended(claims.get("sid"), issued, claims["sub"]):
            raise NotPermitted("the session has ended: sign in again")
        return {"id": claims["sub"], "name": claims.get("name") or claims["sub"],
                "role": claims["role"], "unit_id": claims.get("unit_id"),
                "district": claims.get("district"), "session": claims.get("sid"),
                "read_only": bool(claims.get("ro"))}


class Revocations:
    """The sessions accounts said have ended, and the users whose every statement so far
    it withdrew (deactivated, or their role, unit or password changed), kept as long as a
    statement of theirs could still be alive (MAX_LIFETIME); shared by a process's
    workers."""

    def __init__(self) -> None:
        self._sessions: dict[str, float] = {}  # session id: when it ended (epoch seconds)
        self._users: dict[str, float] = {}     # user id: statements before this withdrawn
        self._lock = threading.Lock()

    def end(self, session: str, at: dt.datetime) -> None:
        with self._lock:
            self._sessions[session] = at.timestamp()
            self._forget_old()

    def end_user(self, user: str, at: dt.datetime) -> None:
        with self._lock:
            self._users[user] = max(self._users.get(user, 0.0), at.timestamp())
            self._forget_old()

    def ended(self, session: str | None, issued_at: float, user: str | None = None) -> bool:
        """Whether a statement of ``session`` (and ``user``) issued at ``issued_at`` is
        revoked."""
        with self._lock:
            if session is not None and session in self._sessions:
                return True
            return user is not None and issued_at <= self._users.get(user, -1.0)

    def _forget_old(self) -> None:
        horizon = clock.now().timestamp() - MAX_LIFETIME.total_seconds() - LEEWAY_SECONDS
        for kept in (self._sessions, self._users):
            for old in [key for key, when in kept.items() if when < horizon]:
                del kept[old]


# This process's keys and revocations: every service verifies with the public keys of
# HOTLINE_VERIFY_KEYS; accounts (and the operator's own tools that start the system: the
# demo loader, the drill) sign with HOTLINE_SIGNING_KEY.
REVOKED = Revocations()
_keys: dict[str, Any] = {}


def verifier() -> Verifier:
    """This process's verifier (HOTLINE_VERIFY_KEYS, read once)."""
    if "verifier" not in _keys:
        directory = os.environ.get(VERIFY_KEYS_VARIABLE)
        if not directory:
            raise RuntimeError(f"{VERIFY_KEYS_VARIABLE} is not set: no statement can be "
                               f"verified (see services/shared/statements.py)")
        _keys["verifier"] = Verifier.from_directory(directory)
    return _keys["verifier"]


def signer() -> Signer:
    """This process's signer (HOTLINE_SIGNING_KEY, read once): accounts'."""
    if "signer" not in _keys:
        _keys["signer"] = Signer.from_environment()
    return _keys["signer"]


def use_keys(settings: dict[str, str]) -> None:
    """Use these key settings (ensure_keys' answer) in this process from now on."""
    os.environ.update(settings)
    _keys.clear()


RELOAD_EVERY_SECONDS = 10.0


def read(statement: Any) -> dict:
    """The actor a statement vouches for (Verifier.read), with this process's keys and the
    sessions it heard have ended; its district, session and read-only mark only where
    set. A statement under a key this process does not know yet makes it read the key
    directory again (at most every RELOAD_EVERY_SECONDS): a rotation needs no restart."""
    try:
        actor = verifier().read(statement, REVOKED)
    except NotPermitted:
        if not _reloaded_keys(statement):
            raise
        actor = verifier().read(statement, REVOKED)
    return {key: value for key, value in actor.items()
            if key in ("id", "name", "role", "unit_id") or value not in (None, False)}


def _reloaded_keys(statement: Any) -> bool:
    """Read the public keys again if ``statement`` names a key not among them (and the
    last reading is old enough); whether they were read again."""
    try:
        kid = jwt.get_unverified_header(statement).get("kid") if isinstance(statement, str) \
            else None
    except (jwt.PyJWTError, UnicodeError, ValueError):
        return False
    now = time.monotonic()  # a rate limit: the wall clock may step
    if not isinstance(kid, str) or kid in verifier().keys \
            or now - _keys.get("reloaded_at", -RELOAD_EVERY_SECONDS) < RELOAD_EVERY_SECONDS:
        return False
    _keys["reloaded_at"] = now
    _keys["verifier"] = Verifier.from_directory(os.environ[VERIFY_KEYS_VARIABLE])
    return True


def vouch(actor: dict, *, session: str | None = None, read_only: bool = False) -> str:
    """A statement for ``actor``, signed with this process's signing key."""
    return signer().issue(actor, session=session, read_only=read_only)


def refuse_read_only(actor: dict) -> None:
    """NotPermitted for an actor signed in by a read-only token: it may only read."""
    if actor.get("read_only"):
        raise NotPermitted("signed in read-only: this changes something, and may not")
