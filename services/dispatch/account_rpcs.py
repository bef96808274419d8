"""dispatch's RPCs for accounts: who may sign in to the console, as what, for which unit,
and the API tokens of programs. Mixed into DispatchService, which owns the directory the
accounts name units of, and gives ``store`` and ``_unit_name``.

The console holds no data: it calls ``authenticate`` (or ``authenticate_token``) and takes
the answer's id, name, role and unit_id as the actor of every later RPC. Errors a caller
may see: InvalidRequest, NotFound, IllegalTransition, NotPermitted; a refused call changes
nothing, except that a wrong password is counted towards the sign-in slow-down.

Every change to an account says ``account_changed`` (created, changed, password_changed,
token_issued, token_revoked, and locked when failed sign-ins lock it) with who made it,
through the user's outbox (``publish_account_outbox`` on DispatchService sweeps it).
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from nameko.rpc import rpc

from services.dispatch import accounts
from services.dispatch.schemas import (
    FirstAdminSchema, IssueTokenArgs, NewUserSchema, PasswordChangeArgs, RevokeTokenArgs,
    SignInArgs, TokenArgs, UpdateUserArgs, UserArgs,
)
from services.dispatch.store import TicketStateStore
from services.shared import clock, outbox
from services.shared.errors import EXPECTED, IllegalTransition, NotFound, NotPermitted
from services.shared.schemas import SYSTEM_ACTOR, load, load_actor


class AccountRpcs:
    store: TicketStateStore  # and DispatchService's _unit_name(unit_id)
    dispatch: Callable[[str, dict], Any]  # DispatchService's EventDispatcher

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
        user = self.store.accounts.get(args["username"])
        if user is None:
            accounts.spend_a_check(args["password"])
            raise NotPermitted(accounts.WRONG_LOGIN)
        self._check_password(user, args["password"], now, accounts.WRONG_LOGIN)
        return accounts.identity(user, self._unit_name(user["unit_id"]))

    @rpc(expected_exceptions=EXPECTED)
    def authenticate_token(self, token: str) -> dict:
        """The user an API token was issued to, as ``authenticate`` answers. Raises
        NotPermitted (not a token of ours, revoked, or the user deactivated)."""
        args = load(TokenArgs(), {"token": token})
        token_id = accounts.token_id_of(args["token"])
        user = self.store.accounts.by_token(token_id) if token_id else None
        record = accounts.token_record(user, token_id) if user else None
        if record is None or not accounts.token_matches(record, args["token"]):
            raise NotPermitted(accounts.WRONG_TOKEN)
        accounts.refuse_if_inactive(user)
        now = clock.now()
        if accounts.use_worth_recording(record, now):
            self.store.accounts.token_used(user["_id"], token_id, now)
        return accounts.identity(user, self._unit_name(user["unit_id"]))

    # Managing accounts
    @rpc(expected_exceptions=EXPECTED)
    def create_first_admin(self, user: dict) -> dict:
        """Make the first admin from {username, name, password}, while there is no admin
        (the way in on a fresh system; ``hotline-admin create-admin``). Returns the account
        as get_user shows it. Raises InvalidRequest (the password policy: 8 characters at
        least, not the username), IllegalTransition (an admin exists). Says account_changed,
        created, as the system."""
        fields = load(FirstAdminSchema(), user)
        accounts.check_password_policy(fields["username"], fields["password"])
        refusal = "an admin exists already: ask them for an account"
        if self.store.accounts.admin_exists():
            raise IllegalTransition(refusal)
        now = clock.now()
        stored = accounts.new_user({**fields, "role": accounts.ADMIN, "unit_id": None}, now,
                                   created_by=None, first_admin=True)
        # made from the command line, by nobody the system knows yet
        said = accounts.said(stored, "created", SYSTEM_ACTOR, accounts.CREATED_FIELDS)
        if not self.store.accounts.add(stored, [said]):  # another call was first
            raise IllegalTransition(refusal)
        self._publish(stored["_id"])
        return self._profile(stored, now)

    @rpc(expected_exceptions=EXPECTED)
    def create_user(self, user: dict, actor: dict) -> dict:
        """An admin adds an account: {username, name, role, unit_id, password}; unit staff
        name their handling unit, others "centre" or none. Returns it as get_user shows
        it. Raises InvalidRequest (password policy, role and unit), NotFound (unit),
        NotPermitted (not an admin), IllegalTransition (the username is taken). Says
        account_changed, created."""
        actor = load_actor(actor)
        accounts.check_admin(actor)
        fields = load(NewUserSchema(), user)
        accounts.check_password_policy(fields["username"], fields["password"])
        accounts.check_role_unit(fields["role"], fields["unit_id"],
                                 self._unit(fields["unit_id"]))
        taken = f"user {fields['username']} exists already"
        if self.store.accounts.get(fields["username"]) is not None:
            raise IllegalTransition(taken)
        now = clock.now()
        stored = accounts.new_user(fields, now, created_by=actor["id"])
        said = accounts.said(stored, "created", actor, accounts.CREATED_FIELDS)
        if not self.store.accounts.add(stored, [said]):
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
        accounts.check_admin(actor)
        args = load(UpdateUserArgs(), {"username": username, "changes": changes})
        user = self._user(args["username"])
        changes = args["changes"]
        unit_id = changes["unit_id"] if "unit_id" in changes else user["unit_id"]
        now = clock.now()
        fields = accounts.changed(user, changes, self._unit(unit_id),
                                  self.store.accounts.active_admins_besides(user["_id"]), now)
        named = accounts.fields_changed(user, changes)
        said = [accounts.said({**user, **fields}, accounts.change_named(named), actor, named)
                ] if named else []  # the same values again: nothing to say
        stored = self.store.accounts.change(user["_id"], fields, said)
        self._publish(user["_id"])
        return self._profile(stored, now)

    @rpc(expected_exceptions=EXPECTED)
    def list_users(self, actor: dict) -> list[dict]:
        """Every account, by username, as get_user shows them (an admin only). Raises
        NotPermitted."""
        actor = load_actor(actor)
        accounts.check_admin(actor)
        now = clock.now()
        return [self._profile(user, now) for user in self.store.accounts.all()]

    @rpc(expected_exceptions=EXPECTED)
    def get_user(self, username: str, actor: dict) -> dict:
        """An account (an admin, or the user themself): {id, username, name, role, unit_id,
        unit_name, active, created_at, updated_at, last_login_at, locked_until (while
        locked), tokens [{token_id, name, created_at, last_used_at}]}; never a password
        hash or a token. Raises NotPermitted, NotFound."""
        actor = load_actor(actor)
        args = load(UserArgs(), {"username": username})
        accounts.check_reader(actor, args["username"])
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
        accounts.check_password_policy(args["username"], args["new_password"])  # before counting
        user = self._user(args["username"])
        now = clock.now()
        self._check_password(user, args["old_password"], now, "the old password is wrong")
        stored = self.store.accounts.change(
            user["_id"],
            {**accounts.new_password(user["username"], args["new_password"]), "updated_at": now},
            [accounts.said(user, "password_changed", actor, ["password"])])
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
        accounts.check_reader(actor, args["username"])
        user = self._user(args["username"])
        if not user["active"]:
            raise IllegalTransition(f"user {user['_id']} is deactivated")
        token, record = accounts.new_token(args["name"], clock.now())
        said = accounts.said(user, "token_issued", actor, ["tokens"], record["token_id"])
        if not self.store.accounts.add_token(user["_id"], record, accounts.MAX_TOKENS, [said]):
            raise IllegalTransition(f"user {user['_id']} holds {accounts.MAX_TOKENS} tokens "
                                    f"already: revoke one first")
        self._publish(user["_id"])
        return accounts.issued(token, record)

    @rpc(expected_exceptions=EXPECTED)
    def revoke_token(self, username: str, token_id: str, actor: dict) -> dict:
        """Revoke one of the user's tokens (an admin, or the user themself): it authenticates
        no more. Returns the account as get_user shows it. Raises NotPermitted, NotFound
        (user or token). Says account_changed, token_revoked."""
        actor = load_actor(actor)
        args = load(RevokeTokenArgs(), {"username": username, "token_id": token_id})
        accounts.check_reader(actor, args["username"])
        user = self._user(args["username"])
        said = accounts.said(user, "token_revoked", actor, ["tokens"], args["token_id"])
        if not self.store.accounts.remove_token(user["_id"], args["token_id"], [said]):
            raise NotFound(f"token {args['token_id']}")
        self._publish(user["_id"])
        return self._profile(self._user(user["_id"]), clock.now())

    # Shared by the entrypoints above
    def _user(self, username: str) -> dict:
        user = self.store.accounts.get(username)
        if user is None:
            raise NotFound(f"user {username}")
        return user

    def _unit(self, unit_id: str | None) -> dict | None:
        return None if unit_id is None else self.store.unit(unit_id)

    def _profile(self, user: dict, now: dt.datetime) -> dict:
        return accounts.profile(user, self._unit_name(user["unit_id"]), now)

    def _publish(self, username: str) -> None:
        """Publish what the user's last write said (the sweep retries on failure)."""
        outbox.publish_now(self.store.accounts.users, self.publisher, username)

    def _check_password(self, user: dict, password: str, now: dt.datetime,
                        refusal: str) -> None:
        """Pass if ``password`` is the user's and the account active (the failure count
        starts again, an outdated hash is renewed). NotPermitted while locked; with
        ``refusal`` if the password is wrong, counted, and locking the account at the fifth
        in a row and each one after (saying ``account_changed``, locked, as the system);
        and, only to whoever knows the password, if the account is deactivated."""
        accounts.refuse_if_locked(user, now)
        if not accounts.password_matches(user["password_hash"], password):
            failures = self.store.accounts.count_failure(user["_id"])
            until = accounts.locked_until(failures, now)
            if until is not None:
                self.store.accounts.change(
                    user["_id"], {"locked_until": until},
                    [accounts.said(user, "locked", SYSTEM_ACTOR, ["locked_until"])])
                self._publish(user["_id"])
            raise NotPermitted(refusal)
        accounts.refuse_if_inactive(user)
        renewed = (accounts.hash_password(password)
                   if accounts.needs_rehash(user["password_hash"]) else None)
        self.store.accounts.signed_in(user["_id"], now, renewed)
