"""The accounts service: who may sign in to the console, as what and for which unit, and the
API tokens of programs.

Contract version 1. The console holds no data: it calls ``authenticate`` (or
``authenticate_token``) and takes the answer's id, name, role and unit_id as the actor of
every later RPC. Errors a caller may see (``services.shared.errors``): InvalidRequest
(``errors`` lists every field), NotFound, IllegalTransition, NotPermitted; a refused call
changes nothing, except that a wrong password is counted towards the sign-in slow-down.

Every change to an account says ``account_changed`` (created, changed, password_changed,
token_issued, token_revoked, and locked when failed sign-ins lock it) with who made it,
through the user's outbox (``publish_outbox`` sweeps it).

The units accounts name are dispatch's (its directory): accounts asks dispatch for a unit
(``get_unit``, by RPC) to learn its name and whether it exists, and never reads dispatch's
database. While dispatch does not answer, a call that needs a unit waits for it.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from nameko.events import EventDispatcher
from nameko.rpc import rpc

from services.accounts import credentials, people
from services.accounts.schemas import (
    IssueTokenArgs,
    PasswordChangeArgs,
    RevokeTokenArgs,
    SignInArgs,
    TokenArgs,
    UpdateUserArgs,
    UserArgs,
)
from services.accounts.store import AccountStore
from services.shared import clock, outbox
from services.shared.accounts import FirstAdminSchema, NewUserSchema
from services.shared.answers import accounts as answers
from services.shared.errors import EXPECTED, IllegalTransition, NotFound, NotPermitted
from services.shared.schemas import SYSTEM_ACTOR, load, load_actor
from services.shared.service_rpc import ServiceRpc
from services.shared.storage import Storage

IDENTITY, PROFILE = answers.IdentitySchema(), answers.UserProfileSchema()
ISSUED = answers.IssuedTokenSchema()


class AccountsService:
    name = "accounts"

    store: AccountStore = Storage(AccountStore)
    directory = ServiceRpc("dispatch")  # the directory's units: get_unit
    publisher = EventDispatcher()
    publish_outbox = outbox.sweep(lambda service: service.store.users)

    # Signing in
    @rpc(expected_exceptions=EXPECTED)
    def authenticate(self, username: str, password: str) -> dict:
        """The user a username and password belong to: {id (= username), username, name,
        role, unit_id, unit_name}. Raises NotPermitted: "wrong username or password" for an
        unknown user and a wrong password alike (each wrong password is counted: after 5
        in a row the account is locked for 30 s, doubling up to 15 min, and each lock says
        account_changed, locked), the seconds to wait while locked, or that the account is
        deactivated."""
        args = load(SignInArgs(), {"username": username, "password": password})
        now = clock.now()
        user = self.store.get(args["username"])
        if user is None:
            credentials.spend_a_check(args["password"])
            raise NotPermitted(credentials.WRONG_LOGIN)
        self._check_password(user, args["password"], now, credentials.WRONG_LOGIN)
        return IDENTITY.dump(people.identity(user, self._unit_name(user["unit_id"])))

    @rpc(expected_exceptions=EXPECTED)
    def authenticate_token(self, token: str) -> dict:
        """The user an API token was issued to, as ``authenticate`` answers. Raises
        NotPermitted (not a token of ours, revoked, or the user deactivated)."""
        args = load(TokenArgs(), {"token": token})
        token_id = credentials.token_id_of(args["token"])
        user = self.store.by_token(token_id) if token_id else None
        record = credentials.token_record(user, token_id) if user and token_id else None
        if user is None or token_id is None or record is None \
                or not credentials.token_matches(record, args["token"]):
            raise NotPermitted(credentials.WRONG_TOKEN)
        people.refuse_if_inactive(user)
        now = clock.now()
        if credentials.use_worth_recording(record, now):
            self.store.token_used(user["_id"], token_id, now)
        return IDENTITY.dump(people.identity(user, self._unit_name(user["unit_id"])))

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
        """An admin adds an account: {username, name, role, unit_id, password}; unit staff
        name their handling unit, others "centre" or none. Returns it as get_user shows
        it. Raises InvalidRequest (password policy, role and unit), NotFound (a unit
        dispatch's directory does not have), NotPermitted (not an admin),
        IllegalTransition (the username is taken). Says account_changed, created."""
        actor = load_actor(actor)
        people.check_admin(actor)
        fields = load(NewUserSchema(), user)
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
        """An admin changes an account: any of name, role, unit_id, active (false: it can no
        longer sign in, by password or token), password (which also lifts a lock). Returns
        it as get_user shows it. Raises InvalidRequest, NotFound (user, unit),
        NotPermitted (not an admin), IllegalTransition (the last active admin demoted or
        deactivated). Says account_changed naming the fields whose value changed:
        password_changed for a password alone, changed otherwise, nothing if none did."""
        actor = load_actor(actor)
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
        stored = self.store.change(user["_id"], fields, events)
        if stored is None:  # gone since it was read: nothing was written
            raise NotFound(f"user {user['_id']}")
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
        return PROFILE.dump([people.profile(user, names[user["unit_id"]], now)
                             for user in users], many=True)

    @rpc(expected_exceptions=EXPECTED)
    def get_user(self, username: str, actor: dict) -> dict:
        """An account (an admin, or the user themself): {id, username, name, role, unit_id,
        unit_name, active, created_at, updated_at, last_login_at, locked_until (while
        locked), tokens [{token_id, name, created_at, last_used_at}]}; never a password
        hash or a token. Raises NotPermitted, NotFound."""
        actor = load_actor(actor)
        args = load(UserArgs(), {"username": username})
        people.check_reader(actor, args["username"])
        return self._profile(self._user(args["username"]), clock.now())

    @rpc(expected_exceptions=EXPECTED)
    def change_password(self, username: str, old_password: str, new_password: str,
                        actor: dict) -> dict:
        """The user changes their own password (an admin sets others' with update_user).
        Returns the account as get_user shows it. Raises InvalidRequest (the policy),
        NotPermitted (another user's, the old password wrong (counted as a failed
        sign-in), locked, deactivated), NotFound. Says account_changed, password_changed."""
        actor = load_actor(actor)
        args = load(PasswordChangeArgs(), {"username": username, "old_password": old_password,
                                           "new_password": new_password})
        if actor["id"] != args["username"]:
            raise NotPermitted("only the user themself changes their password")
        credentials.check_password_policy(args["username"], args["new_password"])  # before counting
        user = self._user(args["username"])
        now = clock.now()
        self._check_password(user, args["old_password"], now, "the old password is wrong")
        stored = self.store.change(
            user["_id"],
            {**credentials.new_password(user["username"], args["new_password"]),
             "updated_at": now},
            [people.account_changed(user, "password_changed", actor, ["password"])])
        if stored is None:  # gone since it was read: nothing was written
            raise NotFound(f"user {user['_id']}")
        self._publish(user["_id"])
        return self._profile(stored, now)

    # API tokens for programs
    @rpc(expected_exceptions=EXPECTED)
    def issue_token(self, username: str, name: str, actor: dict) -> dict:
        """A new API token for the user (an admin, or the user themself), ``name`` saying
        what it is for: {token_id, token, name, created_at}. This is the only time the token
        is shown; it is kept as a hash. Raises InvalidRequest, NotPermitted, NotFound,
        IllegalTransition (the user is deactivated or holds 20 tokens already). Says
        account_changed, token_issued, with the token_id (never the token)."""
        actor = load_actor(actor)
        args = load(IssueTokenArgs(), {"username": username, "name": name})
        people.check_reader(actor, args["username"])
        user = self._user(args["username"])
        if not user["active"]:
            raise IllegalTransition(f"user {user['_id']} is deactivated")
        token, record = credentials.new_token(args["name"], clock.now())
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
        args = load(RevokeTokenArgs(), {"username": username, "token_id": token_id})
        people.check_reader(actor, args["username"])
        user = self._user(args["username"])
        event = people.account_changed(user, "token_revoked", actor, ["tokens"], args["token_id"])
        if not self.store.remove_token(user["_id"], args["token_id"], [event]):
            raise NotFound(f"token {args['token_id']}")
        self._publish(user["_id"])
        return self._profile(self._user(user["_id"]), clock.now())

    # Shared by the entrypoints above
    def _user(self, username: str) -> dict:
        user = self.store.get(username)
        if user is None:
            raise NotFound(f"user {username}")
        return user

    def _unit(self, unit_id: str) -> dict | None:
        """The unit of dispatch's directory, or None if it has none of that id."""
        try:
            return self.directory.get_unit(unit_id, SYSTEM_ACTOR)
        except NotFound:
            return None

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
        return PROFILE.dump(people.profile(user, self._unit_name(user["unit_id"]), now))

    def _publish(self, username: str) -> None:
        """Publish what the user's last write said (the sweep retries on failure)."""
        outbox.publish_now(self.store.users, self.publisher, username)

    def _check_password(self, user: dict, password: str, now: dt.datetime,
                        refusal: str) -> None:
        """Pass if ``password`` is the user's and the account active (the failure count
        starts again, an outdated hash is renewed). NotPermitted while locked; with
        ``refusal`` if the password is wrong, counted, and locking the account at the fifth
        in a row and each one after (saying ``account_changed``, locked, as the system);
        and, only to whoever knows the password, if the account is deactivated."""
        credentials.refuse_if_locked(user, now)
        if not credentials.password_matches(user["password_hash"], password):
            failures = self.store.count_failure(user["_id"])
            until = credentials.locked_until(failures, now)
            if until is not None:
                self.store.change(
                    user["_id"], {"locked_until": until},
                    [people.account_changed(user, "locked", SYSTEM_ACTOR, ["locked_until"])])
                self._publish(user["_id"])
            raise NotPermitted(refusal)
        people.refuse_if_inactive(user)
        renewed = (credentials.hash_password(password)
                   if credentials.needs_rehash(user["password_hash"]) else None)
        self.store.signed_in(user["_id"], now, renewed)
