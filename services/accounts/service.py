"""The accounts service: who may sign in to the console, as what and for which unit, and the
API tokens of programs.

Contract version 1. The console holds no identity of its own: a person signs in with
``start_session`` and the console's cookie keeps only the session's secret, which it hands
to ``check_session`` on every request (a program sends its API token to
``authenticate_token``); it takes the answer's id, name, role and unit_id as the actor of
every later RPC. Errors a caller may see (``services.shared.errors``): InvalidRequest
(``errors`` lists every field), NotFound, IllegalTransition, NotPermitted; a refused call
changes nothing, except that a wrong password is counted towards the sign-in slow-down
(throttle.py) and a session found over is cleared away.

Every change to an account says ``account_changed`` (created, changed, password_changed,
token_issued, token_revoked, and locked when failed sign-ins hold its username) with who
made it, and every end of console sessions says ``session_ended`` (sessions.py says what
ends them), through the user's outbox (``publish_outbox`` sweeps it). What such an event
withdraws (revocation.py) is kept before it is published, for ``recent_withdrawals``: a
service copy that starts later asks for what it has not heard.

The units accounts name are dispatch's (its directory): accounts asks dispatch for a unit
(``get_unit``, by RPC) to learn its name and whether it exists, and never reads dispatch's
database. While dispatch does not answer, a call that needs a unit waits for it.
"""
from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable

from nameko.dependency_providers import Config
from nameko.events import EventDispatcher

from services.accounts import credentials, people, sessions, throttle
from services.accounts.schemas import (
    EndSessionsArgs,
    IssueTokenArgs,
    PasswordChangeArgs,
    RevokeTokenArgs,
    SaveViewArgs,
    SessionArgs,
    SignInArgs,
    TokenArgs,
    UnitArgs,
    UpdateUserArgs,
    UserArgs,
    ViewIdArgs,
)
from services.accounts.store import AccountStore
from services.shared import (
    access,
    clock,
    leases,
    outbox,
    parking_depth,
    revocation,
    statements,
)
from services.shared.accounts import VIEWS_MAX, FirstAdminSchema, NewUserSchema
from services.shared.answers import accounts as answers
from services.shared.deadlines import rpc
from services.shared.directory import district_of
from services.shared.errors import (
    EXPECTED,
    IllegalTransition,
    InvalidRequest,
    NotFound,
    NotPermitted,
)
from services.shared.health import HealthProbes
from services.shared.schemas import SYSTEM_ACTOR, load, load_actor
from services.shared.service_rpc import ServiceRpc
from services.shared.storage import Storage

IDENTITY, PROFILE = answers.IdentitySchema(), answers.UserProfileSchema()
ISSUED = answers.IssuedTokenSchema()
STARTED, SESSION_VIEW = answers.SessionStartedSchema(), answers.SessionViewSchema()
ENDED = answers.EndedSessionsSchema()
WITHDRAWALS = answers.RecentWithdrawalsSchema()
COLLEAGUES = answers.ColleagueSchema(many=True)
VIEW = answers.SavedViewSchema()


class AccountsService:
    name = "accounts"

    store: AccountStore = Storage(AccountStore)
    health = HealthProbes()  # /live and /ready on HEALTH_ADDRESS, for a scheduler
    # statements accounts withdrew: refused from the moment it says so (every copy)
    hear_ended_sessions, hear_account_changes = revocation.handlers()
    parking_depth, parked_count = parking_depth.counting()
    directory = ServiceRpc("dispatch")  # the directory's units: get_unit
    publisher = EventDispatcher()
    publish_outbox = outbox.sweep(lambda service: service.store.users,
                                  lambda service: service._publish_event)
    config = Config()  # SESSIONS: {idle_minutes, lifetime_hours} (sessions.py)

    # Signing in
    @rpc(expected_exceptions=EXPECTED)
    def authenticate(self, username: str, password: str, address: str | None = None) -> dict:
        """The user a username and password belong to, without starting a session: {id (=
        username), username, name, role, unit_id, unit_name, read_only (false)}.
        ``address`` is the client's, for the slow-down (throttle.py). Raises NotPermitted:
        "wrong username or password" for an unknown user and a wrong password alike (each
        counted, by username, by address and by both), "too many failed sign-ins: try again
        in N s" while held, or, only to whoever knows the password, that the account is
        deactivated or a program's (which signs in with its API token only)."""
        args = load(SignInArgs(), {"username": username, "password": password,
                                   "address": address})
        user = self._check_password(args["username"], args["password"], args["address"],
                                    clock.now(), credentials.WRONG_LOGIN)
        name, district = self._unit_facts(user["unit_id"])
        return IDENTITY.dump(self._vouched(people.identity(user, name, district=district),
                                           session=None))

    @rpc(expected_exceptions=EXPECTED)
    def start_session(self, username: str, password: str, address: str | None = None) -> dict:
        """Sign a person in to the console: {session (its secret, given this once: the
        browser's cookie keeps it), session_id, expires_at (its lifetime's end), identity
        (as ``authenticate`` answers)}. ``address`` is the client's, for the slow-down.
        The session ends when idle ``SESSIONS.idle_minutes`` (default 30), after
        ``SESSIONS.lifetime_hours`` (default 12), at logout, and when the account is
        deactivated or its role, unit or password changes. Raises NotPermitted as
        ``authenticate`` does."""
        args = load(SignInArgs(), {"username": username, "password": password,
                                   "address": address})
        now = clock.now()
        user = self._check_password(args["username"], args["password"], args["address"],
                                    now, credentials.WRONG_LOGIN)
        unit_name, district = self._unit_facts(user["unit_id"])
        secret, session = sessions.new_session(user, unit_name, args["address"], now,
                                               self._session_rules())
        session["district"] = district
        self.store.add_session(session)
        identity = people.identity(user, unit_name, district=district)
        return STARTED.dump({"session": secret, "session_id": session["_id"],
                             "expires_at": clock.iso(session["expires_at"]),
                             "identity": self._vouched(identity, session["_id"])})

    @rpc(expected_exceptions=EXPECTED)
    def check_session(self, session: str) -> dict:
        """Who a console session belongs to, as ``authenticate`` answers, while it lives;
        its last use becomes now (to within 10 s). Raises NotPermitted ("this session has
        ended: sign in again") for a secret of no session, or one that has ended: logged
        out, idle, past its lifetime, its account deactivated or its role, unit or
        password changed since it started. A session found over is cleared away and says
        session_ended, with the reason."""
        args = load(SessionArgs(), {"session": session})
        now = clock.now()
        found = self.store.session_by_hash(sessions.digest(args["session"]))
        if found is None:
            raise NotPermitted(sessions.ENDED)
        user = self.store.get(found["username"])
        reason = sessions.ended_by(found, user, now, self._session_rules())
        if reason is not None:
            self._end_sessions(found["username"], [found], reason, SYSTEM_ACTOR)
            raise NotPermitted(sessions.ENDED)
        assert user is not None  # ended_by says "deactivated" for a user gone
        if sessions.seen_worth_recording(found, now):
            self.store.session_seen(found["_id"], now)
        identity = people.identity(user, found.get("unit_name"), district=found.get("district"))
        return IDENTITY.dump(self._vouched(identity, found["_id"]))

    @rpc(expected_exceptions=EXPECTED)
    def end_session(self, session: str) -> dict:
        """Log out: the session ends now, whoever holds its secret. {session_ids: the one
        ended, or none if it had ended already}. Says session_ended, logout, as its user."""
        args = load(SessionArgs(), {"session": session})
        found = self.store.session_by_hash(sessions.digest(args["session"]))
        if found is None:
            return ENDED.dump({"session_ids": []})
        user = self.store.get(found["username"])
        by = SYSTEM_ACTOR if user is None else people.actor_of(user)
        return ENDED.dump({"session_ids": self._end_sessions(found["username"], [found],
                                                             "logout", by)})

    @rpc(expected_exceptions=EXPECTED)
    def list_sessions(self, username: str, actor: dict) -> list[dict]:
        """The user's live console sessions (an admin, or the user themself), oldest first:
        [{session_id, username, address, started_at, last_seen_at, expires_at}]; never a
        secret. Raises NotPermitted, NotFound."""
        actor = load_actor(actor)
        args = load(UserArgs(), {"username": username})
        people.check_reader(actor, args["username"])
        user = self._user(args["username"])
        now, rules = clock.now(), self._session_rules()
        return SESSION_VIEW.dump([sessions.session_view(found, rules)
                                  for found in self.store.sessions_of(user["_id"])
                                  if sessions.ended_by(found, user, now, rules) is None],
                                 many=True)

    @rpc(expected_exceptions=EXPECTED)
    def end_sessions(self, username: str, actor: dict, session_id: str | None = None) -> dict:
        """End the user's console sessions now (an admin, or the user themself): the one
        ``session_id`` names, or all of them. {session_ids: those ended}. Raises
        NotPermitted, NotFound (the user, or a session_id of none of theirs). Says
        session_ended, ended, with the actor."""
        actor = load_actor(actor)
        statements.refuse_read_only(actor)
        args = load(EndSessionsArgs(), {"username": username, "session_id": session_id})
        people.check_reader(actor, args["username"])
        user = self._user(args["username"])
        held = [found for found in self.store.sessions_of(user["_id"])
                if args["session_id"] in (None, found["_id"])]
        if args["session_id"] is not None and not held:
            raise NotFound(f"session {args['session_id']}")
        return ENDED.dump({"session_ids": self._end_sessions(user["_id"], held, "ended",
                                                             actor)})

    @leases.timer(interval=sessions.SWEEP_INTERVAL_SECONDS)
    def clear_ended_sessions(self) -> None:
        """Clear away sessions that are over (idle, past their lifetime, of an account
        changed since), each user's saying session_ended; the slow-down's counts that are
        forgotten; and withdrawals older than revocation.KEPT (no statement they name
        still lives)."""
        now, rules = clock.now(), self._session_rules()
        over: dict[tuple[str, str], list[dict]] = {}
        users: dict[str, dict | None] = {}
        for found in self.store.all_sessions():
            username = found["username"]
            if username not in users:
                users[username] = self.store.get(username)
            reason = sessions.ended_by(found, users[username], now, rules)
            if reason is not None:
                over.setdefault((username, reason), []).append(found)
        for (username, reason), ended in over.items():
            self._end_sessions(username, ended, reason, SYSTEM_ACTOR)
        self.store.forget_failures_before(now - throttle.FORGET_AFTER)
        self.store.forget_withdrawals_before(now - revocation.KEPT)

    @rpc(expected_exceptions=EXPECTED)
    def recent_withdrawals(self) -> dict:
        """The statements accounts withdrew in the last 10 minutes (revocation.KEPT, twice
        a statement's life), for a service copy that starts and has not heard them
        (revocation.py asks at every copy's start): {since, withdrawals: [{at, session_ids,
        username}], oldest first}. Each withdraws the statements of the sessions named
        (``token:<id>`` for an API token) and, with a username, every statement of that
        user issued until ``at``. Any service may ask (no actor: a copy starting holds no
        statement); it names nothing but usernames, session and token ids (never a
        secret) and times. No errors of its own; while accounts' store is away the caller
        sees a remote AutoReconnect (ServicesUnavailable through ServiceRpc)."""
        since = clock.now() - revocation.KEPT
        kept = self.store.withdrawals_since(since)
        return WITHDRAWALS.dump({"since": clock.iso(since), "withdrawals": [
            {**each, "at": clock.iso(each["at"])} for each in kept]})

    @rpc(expected_exceptions=EXPECTED)
    def authenticate_token(self, token: str) -> dict:
        """The user an API token was issued to, as ``authenticate`` answers, with
        read_only true for a read-only token. Raises NotPermitted (not a token of ours,
        revoked, expired, or the user deactivated)."""
        args = load(TokenArgs(), {"token": token})
        token_id = credentials.token_id_of(args["token"])
        user = self.store.by_token(token_id) if token_id else None
        record = credentials.token_record(user, token_id) if user and token_id else None
        now = clock.now()
        if user is None or token_id is None or record is None \
                or not credentials.token_matches(record, args["token"]) \
                or credentials.token_expired(record, now):
            raise NotPermitted(credentials.WRONG_TOKEN)
        people.refuse_if_inactive(user)
        if credentials.use_worth_recording(record, now):
            self.store.token_used(user["_id"], token_id, now)
        name, district = self._unit_facts(user["unit_id"])
        identity = people.identity(user, name, read_only=bool(record.get("read_only")),
                                   district=district)
        return IDENTITY.dump(self._vouched(identity, f"token:{token_id}"))

    # Managing accounts
    @rpc(expected_exceptions=EXPECTED)
    def create_first_admin(self, user: dict) -> dict:
        """Make the first admin from {username, name, password}, while there is no admin
        (the way in on a fresh system; ``hotline-admin create-admin``). Returns the account
        as get_user shows it. Raises InvalidRequest (the password policy: 8 characters at
        least, not the username), IllegalTransition (an admin exists). Says account_changed,
        created, as the system."""
        fields = load(FirstAdminSchema(), user)
        credentials.check_password_policy(fields["username"], fields["password"])
        refusal = "an admin exists already: ask them for an account"
        if self.store.admin_exists():
            raise IllegalTransition(refusal)
        now = clock.now()
        stored = people.new_user({**fields, "role": people.ADMIN, "unit_id": None}, now,
                                 created_by=None, first_admin=True)
        # made from the command line, by nobody the system knows yet
        event = people.account_changed(stored, "created", SYSTEM_ACTOR, people.CREATED_FIELDS)
        if not self.store.add(stored, [event]):  # another call was first
            raise IllegalTransition(refusal)
        self._publish(stored["_id"])
        return self._profile(stored, now)

    @rpc(expected_exceptions=EXPECTED)
    def create_user(self, user: dict, actor: dict) -> dict:
        """An admin adds an account: {username, name, role, unit_id, password, district};
        unit staff name their handling unit, others "centre" or none. A program's account
        (call_centre, callback_worker) has no password: ``issue_token`` gives it the API
        token it signs in with. Returns it as get_user shows it. Raises InvalidRequest
        (password policy, role and unit), NotFound (a unit dispatch's directory does not
        have), NotPermitted (not an admin), IllegalTransition (the username is taken).
        Says account_changed, created."""
        actor = load_actor(actor)
        statements.refuse_read_only(actor)
        people.check_admin(actor)
        fields = load(NewUserSchema(), user)
        if fields["password"] is None:  # a program's: a secret nobody knows, never asked
            fields["password"] = secrets.token_urlsafe(32)
        else:
            credentials.check_password_policy(fields["username"], fields["password"])
        people.check_role_unit(fields["role"], fields["unit_id"], self._unit)
        taken = f"user {fields['username']} exists already"
        if self.store.get(fields["username"]) is not None:
            raise IllegalTransition(taken)
        now = clock.now()
        stored = people.new_user(fields, now, created_by=actor["id"])
        event = people.account_changed(stored, "created", actor, people.CREATED_FIELDS)
        if not self.store.add(stored, [event]):
            raise IllegalTransition(taken)
        self._publish(stored["_id"])
        return self._profile(stored, now)

    @rpc(expected_exceptions=EXPECTED)
    def update_user(self, username: str, changes: dict, actor: dict) -> dict:
        """An admin changes an account: any of name, role, unit_id, district (the one it
        serves; none: every district), active (false: it can no longer sign in, by
        password or token), password (which also forgets the sign-in slow-down's counts
        of the username). Deactivating it, or changing its role, unit, district or
        password, ends its console sessions in the same write. Returns it as get_user
        shows it. Raises InvalidRequest, NotFound (user, unit), NotPermitted (not an
        admin), IllegalTransition (the last active admin demoted or deactivated). Says
        account_changed naming the fields whose value changed: password_changed for a
        password alone, changed otherwise, nothing if none did; and session_ended (the
        reason: deactivated, password_changed, role_changed, unit_changed or
        district_changed) if it held sessions."""
        actor = load_actor(actor)
        statements.refuse_read_only(actor)
        people.check_admin(actor)
        args = load(UpdateUserArgs(), {"username": username, "changes": changes})
        user = self._user(args["username"])
        changes = args["changes"]
        now = clock.now()
        fields = people.changed(user, changes, self._unit,
                                self.store.active_admins_besides(user["_id"]), now)
        named = people.fields_changed(user, changes)
        events = [people.account_changed({**user, **fields}, people.change_named(named),
                                         actor, named)
                  ] if named else []  # the same values again: nothing to say
        ending = sessions.ending_reason(named, fields.get("active", user["active"]))
        stored = self.store.change(user["_id"], fields, events, ends_sessions=bool(ending))
        if stored is None:  # gone since it was read: nothing was written
            raise NotFound(f"user {user['_id']}")
        if "password" in changes:
            self.store.forget_failures_of(user["_id"])
        if ending:
            self._end_stale_sessions(stored, ending, actor)
        self._publish(user["_id"])
        return self._profile(stored, now)

    @rpc(expected_exceptions=EXPECTED)
    def list_users(self, actor: dict) -> list[dict]:
        """Every account, by username, as get_user shows them (an admin only). Raises
        NotPermitted."""
        actor = load_actor(actor)
        people.check_admin(actor)
        now = clock.now()
        users = self.store.all()
        names = self._unit_names(user["unit_id"] for user in users)
        counts = self.store.username_counts()
        return PROFILE.dump([people.profile(user, names[user["unit_id"]],
                                            self._held_until(counts.get(user["_id"]), now))
                             for user in users], many=True)

    @rpc(expected_exceptions=EXPECTED)
    def colleagues(self, unit_id: str, actor: dict) -> list[dict]:
        """The active staff of a unit, to give a ticket to (承办人; dispatch's ``assign``
        takes no name it does not find here): [{username, name}] by username, nothing
        personal. Read by the unit's own staff and the centre (services/shared/access.py:
        staff); a reader bound to a district reads its district's units. Raises
        InvalidRequest, NotPermitted (another unit's, and an unknown unit alike),
        NotFound for an unknown unit (to readers of every unit only)."""
        actor = load_actor(actor)
        args = load(UnitArgs(), {"unit_id": unit_id})
        scope = access.require(actor, "staff")
        if scope == access.OWN_UNIT:  # their own unit, which the directory has: not asked
            access.check(actor, "staff", {"unit_id": args["unit_id"]}, args["unit_id"])
        else:
            access.seen(actor, "staff", args["unit_id"], self._unit(args["unit_id"]),
                        lambda unit: {"unit_id": unit["id"], "district": district_of(unit)})
        return COLLEAGUES.dump(self.store.active_staff(args["unit_id"]))

    @rpc(expected_exceptions=EXPECTED)
    def get_user(self, username: str, actor: dict) -> dict:
        """An account (an admin, or the user themself): {id, username, name, role, unit_id,
        unit_name, read_only (false), active, created_at, updated_at, last_login_at,
        locked_until (while the slow-down holds the username), tokens [{token_id, name,
        created_at, last_used_at, expires_at, read_only}]}; never a password hash or a
        token. Raises NotPermitted, NotFound."""
        actor = load_actor(actor)
        args = load(UserArgs(), {"username": username})
        people.check_reader(actor, args["username"])
        return self._profile(self._user(args["username"]), clock.now())

    @rpc(expected_exceptions=EXPECTED)
    def change_password(self, username: str, old_password: str, new_password: str,
                        actor: dict, address: str | None = None) -> dict:
        """The user changes their own password (an admin sets others' with update_user);
        every console session of theirs ends, this one too. Returns the account as get_user
        shows it. Raises InvalidRequest (the policy), NotPermitted (another user's, the old
        password wrong (counted as a failed sign-in from ``address``), held by the
        slow-down, deactivated), NotFound. Says account_changed, password_changed, and
        session_ended, password_changed, if it held sessions."""
        actor = load_actor(actor)
        statements.refuse_read_only(actor)
        args = load(PasswordChangeArgs(), {"username": username, "old_password": old_password,
                                           "new_password": new_password, "address": address})
        if actor["id"] != args["username"]:
            raise NotPermitted("only the user themself changes their password")
        credentials.check_password_policy(args["username"], args["new_password"])  # before counting
        user = self._user(args["username"])
        now = clock.now()
        self._check_password(user["_id"], args["old_password"], args["address"], now,
                             "the old password is wrong")
        stored = self.store.change(
            user["_id"],
            {**credentials.new_password(user["username"], args["new_password"]),
             "updated_at": now},
            [people.account_changed(user, "password_changed", actor, ["password"])],
            ends_sessions=True)
        if stored is None:  # gone since it was read: nothing was written
            raise NotFound(f"user {user['_id']}")
        self._end_stale_sessions(stored, "password_changed", actor)
        self._publish(user["_id"])
        return self._profile(stored, now)

    # API tokens for programs
    @rpc(expected_exceptions=EXPECTED)
    def issue_token(self, username: str, name: str, actor: dict, days: int = 90,
                    read_only: bool = False) -> dict:
        """A new API token for the user (an admin, or the user themself), ``name`` saying
        what it is for, living ``days`` (1 to 365, default 90), and, with ``read_only``,
        good for reads only: {token_id, token, name, created_at, expires_at, read_only}.
        This is the only time the token is shown; it is kept as a hash. Raises
        InvalidRequest, NotPermitted, NotFound, IllegalTransition (the user is deactivated
        or holds 20 tokens already). Says account_changed, token_issued, with the token_id
        (never the token)."""
        actor = load_actor(actor)
        statements.refuse_read_only(actor)
        args = load(IssueTokenArgs(), {"username": username, "name": name, "days": days,
                                       "read_only": read_only})
        people.check_reader(actor, args["username"])
        user = self._user(args["username"])
        if not user["active"]:
            raise IllegalTransition(f"user {user['_id']} is deactivated")
        token, record = credentials.new_token(args["name"], clock.now(), args["days"],
                                              args["read_only"])
        event = people.account_changed(user, "token_issued", actor, ["tokens"], record["token_id"])
        if not self.store.add_token(user["_id"], record, credentials.MAX_TOKENS, [event]):
            raise IllegalTransition(f"user {user['_id']} holds {credentials.MAX_TOKENS} tokens "
                                    f"already: revoke one first")
        self._publish(user["_id"])
        return ISSUED.dump(credentials.issued(token, record))

    @rpc(expected_exceptions=EXPECTED)
    def revoke_token(self, username: str, token_id: str, actor: dict) -> dict:
        """Revoke one of the user's tokens (an admin, or the user themself): it authenticates
        no more. Returns the account as get_user shows it. Raises NotPermitted, NotFound
        (user or token). Says account_changed, token_revoked."""
        actor = load_actor(actor)
        statements.refuse_read_only(actor)
        args = load(RevokeTokenArgs(), {"username": username, "token_id": token_id})
        people.check_reader(actor, args["username"])
        user = self._user(args["username"])
        event = people.account_changed(user, "token_revoked", actor, ["tokens"], args["token_id"])
        if not self.store.remove_token(user["_id"], args["token_id"], [event]):
            raise NotFound(f"token {args['token_id']}")
        self._publish(user["_id"])
        return self._profile(self._user(user["_id"]), clock.now())

    # Saved views (我的视图): each person's own
    @rpc(expected_exceptions=EXPECTED)
    def save_view(self, actor: dict, name: str, filters: dict) -> dict:
        """Keep a named set of the search page's conditions (``filters``: no, phone, name,
        words, place, category, state, unit, first, last, sort, each text) for the person
        the statement vouches for, and only for them; one of the same name is replaced.
        Returns the view: view_id, name, filters, saved_at (SavedViewSchema).
        Raises InvalidRequest (a name empty or over 40 characters, an unknown condition,
        more than VIEWS_MAX views), NotPermitted (no valid statement, or one signed in
        read-only)."""
        actor = load_actor(actor)
        statements.refuse_read_only(actor)
        username = actor["id"]
        asked = load(SaveViewArgs(), {"name": name, "filters": filters})
        kept = self.store.views.find_one({"username": username, "name": asked["name"]})
        if kept is None and self.store.views.count_documents({"username": username}) \
                >= VIEWS_MAX:
            raise InvalidRequest({"name": [f"At most {VIEWS_MAX} saved views."]})
        view = {"_id": kept["_id"] if kept else secrets.token_hex(8), "username": username,
                "name": asked["name"], "filters": asked["filters"], "saved_at": clock.now()}
        self.store.views.replace_one({"_id": view["_id"]}, view, upsert=True)
        return VIEW.dump(_as_view(view))

    @rpc(expected_exceptions=EXPECTED)
    def views(self, actor: dict) -> list[dict]:
        """The saved views of the person the statement vouches for, by name
        (SavedViewSchema). Raises NotPermitted (no valid statement)."""
        username = load_actor(actor)["id"]
        return VIEW.dump([_as_view(view) for view in self.store.views.find(
            {"username": username}, sort=[("name", 1)])], many=True)

    @rpc(expected_exceptions=EXPECTED)
    def delete_view(self, actor: dict, view_id: str) -> dict:
        """Delete one of one's own saved views; returns ``{"deleted": view_id}``.
        Raises InvalidRequest, NotFound (no such view of theirs: another's is not found
        either), NotPermitted (no valid statement, or one signed in read-only)."""
        actor = load_actor(actor)
        statements.refuse_read_only(actor)
        username = actor["id"]
        view_id = load(ViewIdArgs(), {"view_id": view_id})["view_id"]
        if not self.store.views.delete_one({"_id": view_id, "username": username}).deleted_count:
            raise NotFound(f"view {view_id}")
        return {"deleted": view_id}

    # Shared by the entrypoints above
    def _user(self, username: str) -> dict:
        user = self.store.get(username)
        if user is None:
            raise NotFound(f"user {username}")
        return user

    def _unit(self, unit_id: str) -> dict | None:
        """The unit of dispatch's directory, or None if it has none of that id."""
        try:
            return self.directory.get_unit(unit_id, statements.vouch(SYSTEM_ACTOR))
        except NotFound:
            return None

    def _vouched(self, identity: dict, session: str | None) -> dict:
        """The identity with accounts' signed statement of it (statements.py): the actor
        its holder passes to every RPC; ``session`` names what ending withdraws it (a
        console session, ``token:<id>``, or none for a bare check of a password)."""
        return {**identity, "statement": statements.vouch(
            identity, session=session, read_only=identity["read_only"])}

    def _unit_facts(self, unit_id: str | None) -> tuple[str | None, str | None]:
        """The unit's name and district (a unit gone from the directory goes by its id)."""
        if unit_id is None:
            return None, None
        unit = self._unit(unit_id)
        return (unit_id, None) if unit is None else (unit["name"], district_of(unit))

    def _unit_name(self, unit_id: str | None) -> str | None:
        """The unit's name; a unit gone from the directory goes by its id."""
        if unit_id is None:
            return None
        unit = self._unit(unit_id)
        return unit_id if unit is None else unit["name"]

    def _unit_names(self, unit_ids: Iterable[str | None]) -> dict[str | None, str | None]:
        """The names of these units, each asked of dispatch once."""
        return {unit_id: self._unit_name(unit_id) for unit_id in set(unit_ids)}

    def _profile(self, user: dict, now: dt.datetime) -> dict:
        counts = self.store.failure_records({"username": throttle.keys(user["_id"], None)[
            "username"]})
        return PROFILE.dump(people.profile(user, self._unit_name(user["unit_id"]),
                                           self._held_until(counts["username"], now)))

    @staticmethod
    def _held_until(record: dict | None, now: dt.datetime) -> dt.datetime | None:
        if record is None or not throttle.seconds_held(record, now):
            return None
        return record["locked_until"]

    def _session_rules(self) -> sessions.SessionRules:
        return sessions.rules_from(self.config.get("SESSIONS")
                                   if isinstance(self.config, dict) else None)

    def _end_sessions(self, username: str, ended: list[dict], reason: str,
                      actor: dict) -> list[str]:
        """Say session_ended for these sessions of the user, then clear them away; their
        ids. (Said first: a crash between the two leaves sessions that the sweep finds
        over and clears, saying it again, rather than sessions gone unsaid.)"""
        session_ids = [found["_id"] for found in ended]
        if not session_ids:
            return []
        self.store.say(username, [people.session_ended(username, session_ids, reason, actor)])
        self.store.remove_sessions(session_ids)
        self._publish(username)
        return session_ids

    def _end_stale_sessions(self, user: dict, reason: str, actor: dict) -> None:
        """After a change that ended the user's sessions (its epoch moved on in that same
        write): say so and clear them away."""
        stale = [found for found in self.store.sessions_of(user["_id"])
                 if found.get("epoch", 0) != sessions.epoch_of(user)]
        self._end_sessions(user["_id"], stale, reason, actor)

    def _publish(self, username: str) -> None:
        """Publish what the user's last write said (the sweep retries on failure)."""
        outbox.publish_now(self.store.users, self._publish_event, username)

    def _publish_event(self, event_type: str, event: dict) -> None:
        """Publish one event of the outbox, what it withdraws kept first: no copy hears of
        a withdrawal that one starting later could not ask for (a failure in between keeps
        it and publishes again later: kept once, by the event's id)."""
        kept = revocation.withdrawal(event)
        if kept is not None:
            self.store.keep_withdrawal(event["event_id"], kept)
        self.publisher(event_type, event)

    def _check_password(self, username: str, password: str, address: str | None,
                        now: dt.datetime, refusal: str) -> dict:
        """The user, if ``password`` is theirs and the account active (an outdated hash is
        renewed). NotPermitted, in the same words and after the same work whether or not
        the username exists: with the seconds to wait while the slow-down holds the try
        (throttle.py: the password is not checked then, nor the try counted); with
        ``refusal`` for a wrong password, counted by username, address and both (a count
        of the username that starts holding it says account_changed, locked, as the
        system, if the account exists); and, only to whoever knows the password, if the
        account is deactivated."""
        keys = throttle.keys(username, address)
        records = self.store.failure_records(keys)
        wait = throttle.wait(records, now)
        if wait:
            raise NotPermitted(throttle.held_message(wait))
        user = self.store.get(username)
        if user is None:
            credentials.spend_a_check(password)
        if user is None or not credentials.password_matches(user["password_hash"], password):
            self._count_failure(keys, records, username, user, now)
            raise NotPermitted(refusal)
        people.refuse_if_inactive(user)
        people.refuse_program_password(user)
        self.store.forget_failures([keys[kind] for kind in throttle.CLEARED_BY_SUCCESS])
        renewed = (credentials.hash_password(password)
                   if credentials.needs_rehash(user["password_hash"]) else None)
        self.store.signed_in(user["_id"], now, renewed)
        return user

    def _count_failure(self, keys: dict[str, str], records: dict[str, dict | None],
                       username: str, user: dict | None, now: dt.datetime) -> None:
        """One more wrong password on each of the try's counts (a forgotten count starts
        again); holds where a count reaches its limit."""
        stale = [keys[kind] for kind, record in records.items()
                 if throttle.forgotten(record, now)]
        if stale:
            self.store.forget_failures(stale)
        for kind, key in keys.items():
            failures = self.store.count_failure(key, kind,
                                                None if kind == "address" else username, now)
            hold = throttle.LIMITS[kind].lock_for(failures)
            if hold is None:
                continue
            self.store.hold(key, now + hold)
            if kind == "username" and user is not None:
                self.store.say(user["_id"], [people.account_changed(
                    user, "locked", SYSTEM_ACTOR, ["locked_until"])])
                self._publish(user["_id"])


def _as_view(view: dict) -> dict:
    return {"view_id": view["_id"], "name": view["name"], "filters": view["filters"],
            "saved_at": clock.iso(view["saved_at"])}
