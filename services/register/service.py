"""The register of vulnerable residents (台账): who they are, where they live, who answers
for them, when they are phoned to check on them, and every change and read of their card.
It drives the work: callback plans check-in calls from it, intake finds callers in it.

Contract version 1. Every RPC takes ``actor`` = {id, name, role, unit_id}. Who may:
admins anything, anywhere; unit staff the residents of their own grid unit
(``grid_unit_id``); dispatchers and supervisors read; agents only look a caller up by
phone. Every read of a card is recorded (``card_views``). Errors a caller may see
(``services.shared.errors``): InvalidRequest (``errors`` lists every field), NotFound,
IllegalTransition, NotPermitted, ServicesUnavailable (a resident's tickets while the ledger
does not answer). A refused call changes nothing and says nothing.

Says ``register_changed`` (source ``register``) through each resident's outbox: the card
as it now is, for intake and callback to keep their copies; the ledger records it.
Asks dispatch for unit names (an import's 网格 column may name a unit) and the ledger for
a resident's tickets.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Callable
from typing import cast

from nameko.dependency_providers import Config
from nameko.events import EventDispatcher

from services.register import importing, residents, sheets
from services.register.schemas import (
    BirthdaysArgs,
    CardViewsArgs,
    ChangeArgs,
    FilterArgs,
    FindArgs,
    ImportArgs,
    PauseArgs,
    ResidentIdArgs,
    ResidentSchema,
    ResumeArgs,
    RetireArgs,
)
from services.register.store import RegisterStore
from services.shared import access, clock, outbox, parking_depth, revocation, statements
from services.shared.answers import register as answers
from services.shared.deadlines import rpc
from services.shared.errors import (
    EXPECTED,
    IllegalTransition,
    InvalidRequest,
    NotFound,
    NotPermitted,
)
from services.shared.events import on_event
from services.shared.health import HealthProbes
from services.shared.schemas import load, load_actor
from services.shared.service_rpc import ServiceRpc
from services.shared.storage import LOST, Lost, Storage, until_written

ROW, BIRTHDAY, CARD = answers.ResidentRowSchema(), answers.BirthdaySchema(), \
    answers.ResidentRecordSchema()
VIEW = answers.CardViewSchema()
REPORT, WORDS = answers.ImportReportSchema(), answers.RegisterWordsSchema()
TICKET, WORKBOOK = answers.ListedTicketSchema(), answers.WorkbookSchema()
# A step that loses a race is decided again on the resident as the winner left them.
STEP_ATTEMPTS = 3
EXPORT_MAX = 100_000
STALE = "导入时该人员已被他人修改，请重新预览后导入"


class RegisterService:
    name = "register"

    store: RegisterStore = Storage(RegisterStore)
    health = HealthProbes()  # /live and /ready on HEALTH_ADDRESS, for a scheduler
    # statements accounts withdrew: refused from the moment it says so (every copy)
    hear_ended_sessions, hear_account_changes = revocation.handlers()
    parking_depth, parked_count = parking_depth.counting()
    config = Config()
    publisher = EventDispatcher()
    ledger = ServiceRpc("ledger")
    directory = ServiceRpc("dispatch")
    publish_outbox = outbox.sweep(lambda service: service.store.residents)

    # Changing the register
    @rpc(expected_exceptions=EXPECTED)
    def add_resident(self, resident: dict, actor: dict) -> dict:
        """Add a resident: ``name``, ``address`` {district required, subdistrict, community,
        estate, building, room, detail}; optional ``phones`` (any Chinese way of writing
        them, kept in E.164), ``birth_date`` (YYYY-MM-DD, or YYYY-MM / YYYY when only the
        month or the year is known), ``living_status`` (alone,
        empty_nest, with_family), ``groups`` (retired_cadre, low_income, childless, veteran,
        disabled, and those of REGISTER.groups), ``health_notes``, ``hobbies``,
        ``emergency_contacts`` [{name, relation, phone}], ``grid_unit_id`` (unit staff's
        own unit when they leave it out), ``grid_worker``, ``checkin_plan`` {days (1 =
        Monday … 7), times ["HH:MM"]}, ``consent_notes``. Says register_changed (added).
        Returns the card (get_resident's answer). Raises InvalidRequest, NotPermitted
        (another unit's register), IllegalTransition (the same person, by name and phone or
        name and room, is in the register already: the message names them)."""
        actor = load_actor(actor)
        statements.refuse_read_only(actor)
        fields = load(ResidentSchema(known_groups=self._groups()), resident)
        if fields["grid_unit_id"] is None and actor["role"] == "unit_staff":
            fields["grid_unit_id"] = actor["unit_id"]
        residents.check_edit(actor, fields["grid_unit_id"])
        twin = self._twin(fields)
        if twin is not None:
            raise IllegalTransition(f"{fields['name']} is in the register already as "
                                    f"{twin['_id']}; change that entry instead")
        now = clock.now()
        added = residents.new_resident(residents.new_resident_id(), fields, actor, now)
        self.store.add(added)
        outbox.publish_now(self.store.residents, self.publisher, added["_id"])
        return _card(self._resident(added["_id"]), now, actor)

    @rpc(expected_exceptions=EXPECTED)
    def change_resident(self, resident_id: str, changes: dict, actor: dict,
                        version: int | None = None) -> dict:
        """Change some of a resident's fields (any of add_resident's; a field given
        replaces the whole of it, an address or a list included). ``version`` is the
        card's version as the editor read it. A new check-in timetable keeps the plan
        paused if it was. Says register_changed (changed) with the fields' old and new
        values in the history; changing nothing says nothing. Returns the card. Raises
        InvalidRequest (nothing to change, a bad field, no version), NotFound,
        NotPermitted (another unit's resident; unit staff handing a resident to another
        unit), IllegalTransition (someone changed the resident since ``version``; the
        resident is retired)."""
        actor = load_actor(actor)
        statements.refuse_read_only(actor)
        args = load(ChangeArgs(), {"resident_id": resident_id, "version": version})
        fields = load(ResidentSchema(known_groups=self._groups()), changes,
                      partial=residents.RESIDENT_FIELDS)
        if not fields:
            raise InvalidRequest({"changes": ["Nothing to change."]})
        resident = self._resident(args["resident_id"])
        residents.check_edit(actor, resident.get("grid_unit_id"))
        if resident["version"] != args["version"]:
            raise IllegalTransition(f"resident {resident['_id']} was changed since version "
                                    f"{args['version']} (now {resident['version']}); read it again")
        now = clock.now()
        change = residents.changed(resident, fields, actor, now)
        if change is None:
            return _card(resident, now, actor)
        stored = self.store.apply(change)
        if stored is None:
            raise IllegalTransition(f"resident {resident['_id']} was changed meanwhile; "
                                    f"read it again")
        outbox.publish_now(self.store.residents, self.publisher, resident["_id"])
        return _card(stored, now, actor)

    @rpc(expected_exceptions=EXPECTED)
    def retire_resident(self, resident_id: str, actor: dict, reason: str | None = None) -> dict:
        """Retire a resident (moved away, passed away, in residential care): kept in the
        register and its history, no longer listed (unless include_retired) or called.
        ``reason`` required. Says register_changed (retired). Returns the card. Raises
        InvalidRequest, NotFound, NotPermitted, IllegalTransition (retired already)."""
        actor = load_actor(actor)
        args = load(RetireArgs(), {"resident_id": resident_id, "reason": reason})
        return self._step(args["resident_id"], actor, lambda resident, now: residents.retired(
            resident, actor, args["reason"], now))

    @rpc(expected_exceptions=EXPECTED)
    def pause_checkins(self, resident_id: str, actor: dict, until: str | None = None,
                       reason: str | None = None) -> dict:
        """Pause a resident's check-in calls (a hospital stay, travel) with the plan kept:
        ``until`` the last day without calls (YYYY-MM-DD; after it the plan counts as
        active again), or none until resume_checkins; ``reason`` required. Says
        register_changed (changed). Returns the card. Raises InvalidRequest, NotFound,
        NotPermitted, IllegalTransition (no plan, paused already, ``until`` past, retired)."""
        actor = load_actor(actor)
        args = load(PauseArgs(), {"resident_id": resident_id, "until": until, "reason": reason})
        until_day = dt.date.fromisoformat(args["until"]) if args["until"] else None
        return self._step(args["resident_id"], actor,
                          lambda resident, now: residents.checkins_paused(
                              resident, actor, until_day, args["reason"], now))

    @rpc(expected_exceptions=EXPECTED)
    def resume_checkins(self, resident_id: str, actor: dict, reason: str | None = None) -> dict:
        """Resume paused check-in calls on the plan as it was. Says register_changed
        (changed). Returns the card. Raises InvalidRequest, NotFound, NotPermitted,
        IllegalTransition (not paused, retired)."""
        actor = load_actor(actor)
        args = load(ResumeArgs(), {"resident_id": resident_id, "reason": reason})
        return self._step(args["resident_id"], actor,
                          lambda resident, now: residents.checkins_resumed(
                              resident, actor, args["reason"], now))

    # Reading the register
    @rpc(expected_exceptions=EXPECTED)
    def get_resident(self, resident_id: str, actor: dict) -> dict:
        """A resident's card: resident_id, name, phones, address, birth_date, age (today,
        in Shanghai; a birth year-month or year counts from its first day), birthday
        (MM-DD, null unless month and day are known), living_status, groups, health_notes, hobbies,
        emergency_contacts, grid_unit_id, grid_worker, checkin_plan {days, times, paused,
        paused_until}, checkin_status (null, active, paused), consent_notes, retired,
        retired_at, retired_reason, created_at, changed_at, version, history [{at, action
        (added, changed, retired, checkins_paused, checkins_resumed), actor, changes
        {field: {from, to}}, reason, batch_id, version}], views (the latest reads of the
        card, newest first, this one included: {at, actor, via}) and view_count. This read
        is recorded. Raises InvalidRequest, NotFound, NotPermitted (agents; another unit's
        staff)."""
        actor = load_actor(actor)
        args = load(ResidentIdArgs(), {"resident_id": resident_id})
        resident = self.store.get(args["resident_id"])
        if resident is None:
            raise access.unseen(actor, "card", args["resident_id"])
        residents.check_read(actor, resident)
        now = clock.now()
        self.store.viewed([resident["_id"]], residents.view(actor, now, "card"))
        return _card(self._resident(resident["_id"]), now, actor)

    @rpc(expected_exceptions=EXPECTED)
    def tickets_of_resident(self, resident_id: str, actor: dict) -> list[dict]:
        """The tickets received with this resident's card on them (their calls, the
        welfare checks of their missed check-ins), as the ledger's ``tickets`` lists them,
        newest received first, at most 500. Whoever may read the card may read these (the
        card's read is recorded by get_resident, not here). Raises InvalidRequest, NotFound,
        NotPermitted (agents; another unit's staff), ServicesUnavailable (the ledger does
        not answer)."""
        # the statement the caller brought (RPCs name it ``actor``), passed on as it came
        statement, actor = cast(str, actor), load_actor(actor)
        args = load(ResidentIdArgs(), {"resident_id": resident_id})
        resident = self.store.get(args["resident_id"])
        if resident is None:
            raise access.unseen(actor, "card", args["resident_id"])
        residents.check_read(actor, resident)
        # the ledger reads as the same person, on the statement they brought
        return TICKET.dump(self.ledger.tickets_of_resident(args["resident_id"], statement),
                           many=True)

    @rpc(expected_exceptions=EXPECTED)
    def find_residents(self, actor: dict, phone: str | None = None, place: str | None = None,
                       living_status: str | None = None, group: str | None = None,
                       min_age: int | None = None, grid_unit_id: str | None = None,
                       include_retired: bool = False,
                       limit: int = 1000) -> list[dict]:
        """Residents meeting every filter given, in address order: ``phone`` (however
        written), ``place`` (a path from the district down, "杨浦区/殷行街道/开鲁新村"),
        ``living_status``, ``group``, ``min_age`` (at least this old today),
        ``grid_unit_id``; retired ones only with ``include_retired``; at most ``limit``
        (1–5000, default 1000). Each: resident_id, name, phones, address, birth_date, age,
        birthday, living_status, groups, grid_unit_id, grid_worker, checkin_plan,
        checkin_status, retired, version (no health notes, contacts or history: those are on
        the card). Unit staff get their own unit's residents; agents must give a phone and
        nothing else, and their look-up is recorded in each found resident's views.
        Raises InvalidRequest (an unknown group among them), NotPermitted."""
        actor = load_actor(actor)
        asked = load(FindArgs(), {
            "phone": phone, "place": place, "living_status": living_status, "group": group,
            "min_age": min_age, "grid_unit_id": grid_unit_id,
            "include_retired": include_retired, "limit": limit})
        found, day = self._find(actor, asked)
        if residents.phone_lookup(actor):
            self.store.viewed([resident["_id"] for resident in found],
                                       residents.view(actor, clock.now(), "phone_lookup"))
        return ROW.dump([residents.as_row(resident, day) for resident in found], many=True)

    @rpc(expected_exceptions=EXPECTED)
    def birthdays(self, grid_unit_id: str, start: str | None = None, days: int = 7,
                  actor: dict | None = None) -> list[dict]:
        """The unit's residents whose birthday falls in the ``days`` (1–366, default 7)
        from ``start`` (YYYY-MM-DD, default today in Shanghai), in date order: find's row
        plus ``birthday_on`` (the date it falls on) and ``turns`` (the age reached).
        29 February is kept on the 28th in common years. Retired residents are left out,
        and so are those whose month and day of birth are not known.
        Raises InvalidRequest (``actor`` is required), NotPermitted."""
        actor = load_actor(actor)
        args = load(BirthdaysArgs(), {"grid_unit_id": grid_unit_id, "start": start,
                                      "days": days})
        scope = residents.find_scope(actor, {"grid_unit_id": args["grid_unit_id"]})
        day = residents.today(clock.now())
        first = dt.date.fromisoformat(args["start"]) if args["start"] else day
        listed = self.store.find(scope, None)
        return BIRTHDAY.dump([{**residents.as_row(found["resident"], day),
                               "birthday_on": found["date"], "turns": found["turns"]}
                              for found in residents.birthdays_between(listed, first,
                                                                       args["days"])],
                             many=True)

    @rpc(expected_exceptions=EXPECTED)
    def register_words(self, actor: dict) -> dict:
        """The register's vocabulary for forms and filters: {living_statuses: {code: 中文},
        groups: {code: 中文}} (groups: the built-in five and REGISTER.groups)."""
        load_actor(actor)
        return WORDS.dump(residents.words(self._configured_groups()))

    # Excel in, Excel out
    @rpc(expected_exceptions=EXPECTED)
    def register_template(self) -> dict:
        """The blank register to fill in: {filename, content_base64}, an .xlsx whose first
        sheet has the columns import_register reads (姓名, 联系电话, 区, 街道, 社区, 小区,
        楼栋, 室, 出生日期, 居住状态, 人员类别, 健康状况, 兴趣爱好, 紧急联系人, 联系人关系,
        联系人电话, 网格, 网格员, 探访计划, 备注/同意情况, 台账编号) and a second, 填写说明,
        explaining each."""
        return _file("register_template.xlsx", sheets.template(self._groups()))

    @rpc(expected_exceptions=EXPECTED)
    def import_register(self, content_base64: str, filename: str, actor: dict,
                        dry_run: bool = True, rows: list[int] | None = None,
                        batch_id: str | None = None) -> dict:
        """Import a register kept in Excel (.xlsx) or CSV (UTF-8 or GBK) in the template's
        columns (a title above the header is fine; a column under another header is
        listed in ``ignored_columns`` and not read). Each row below the header is decided:
        ``add`` (a new resident), ``change`` (a resident of the register, found by
        台账编号, name and phone, or name and room), ``unchanged``, ``refused`` with the
        reasons in Chinese (missing name or district, unreadable phone, date, living
        status, group or plan, a cell that is a formula, a row repeating an earlier one,
        a resident of another unit, a retired one…), or ``skipped`` (a blank row, a
        footer such as 制表人：…, a note such as 注：…, with its reason). A birth date
        known only to the month or the year (1938年5月, 1938) is kept as such. With
        ``dry_run`` (the default) nothing
        is written. Otherwise the add and change rows are applied in one go, each history
        entry naming the import's ``batch_id`` (given, or made), each saying
        register_changed; importing the same file again finds every row unchanged.
        ``rows`` [first, last] imports only those sheet rows (the command line imports a
        large file in chunks). Returns {filename, dry_run, batch_id, columns,
        ignored_columns, counts {add, change, unchanged, refused, skipped}, rows [{row, name,
        action, reasons, resident_id, changes {field: {from, to}}, changed_columns}]}.
        Raises InvalidRequest (not base64, not a register file: no 姓名 header, .xls),
        NotPermitted (only admins and unit staff import; unit staff only rows of their
        own unit, which a blank 网格 means)."""
        # the statement the caller brought (RPCs name it ``actor``), passed on as it came
        statement, actor = cast(str, actor), load_actor(actor)
        args = load(ImportArgs(), {"content_base64": content_base64, "filename": filename,
                                   "dry_run": dry_run, "rows": rows, "batch_id": batch_id})
        if not args["dry_run"]:
            statements.refuse_read_only(actor)
        if actor["role"] not in importing.IMPORTERS:
            raise NotPermitted("only admins and unit staff import a register")
        groups = self._groups()
        sheet = self._sheet(args, groups, statement)
        now = clock.now()
        plans = importing.plan(
            sheet, self.store.matching(*importing.lookups(sheet)), actor, groups)
        if args["rows"]:
            first, last = args["rows"]
            plans = [decision for decision in plans if first <= decision.row <= last]
        batch = None
        if not args["dry_run"]:
            batch = args["batch_id"] or importing.new_batch_id(now)
            for decision in plans:
                self._apply_row(decision, actor, now, batch)
        return REPORT.dump(importing.report(plans, sheet, args["filename"], args["dry_run"],
                                            batch))

    @rpc(expected_exceptions=EXPECTED)
    def export_register(self, actor: dict, grid_unit_id: str | None = None,
                        place: str | None = None, living_status: str | None = None,
                        group: str | None = None, min_age: int | None = None) -> dict:
        """The register (a unit's, for unit staff) as an .xlsx in the template's columns,
        filtered as find_residents: {filename, content_base64}. Importing it back changes
        nothing. Retired residents are left out. Each exported card's read is recorded.
        Raises InvalidRequest, NotPermitted (agents)."""
        actor = load_actor(actor)
        asked = load(FilterArgs(), {"grid_unit_id": grid_unit_id, "place": place,
                                    "living_status": living_status, "group": group,
                                    "min_age": min_age})
        found, day = self._find(actor, {**asked, "limit": EXPORT_MAX})
        ids = [resident["_id"] for resident in found]
        self.store.viewed(ids, residents.view(actor, clock.now(), "export"))
        scope = residents.find_scope(actor, asked).get("grid_unit_id") or "all"
        return _file(f"register_{scope}_{day.isoformat()}.xlsx",
                     sheets.workbook([residents.as_read_by(actor, resident)
                                      for resident in found], self._groups()))

    # Who looked
    @rpc(expected_exceptions=EXPECTED)
    def card_views(self, resident_id: str, actor: dict, limit: int = 200) -> list[dict]:
        """Who looked at a resident's card, newest first, at most ``limit`` (1–1000): each
        {at, actor {id, name, role, unit_id}, via} where via is card (the register's card
        page), phone_lookup (an agent's find by phone), export, or "ticket <number>" (the
        card, whole or in summary, on a ticket dispatch showed). For supervisors and admins
        (services/shared/access.py: card_views); listing them is not itself a view.
        Raises InvalidRequest, NotPermitted (also for a resident who does not exist, unless
        the reader sees every resident everywhere: NotFound)."""
        actor = load_actor(actor)
        args = load(CardViewsArgs(), {"resident_id": resident_id, "limit": limit})
        access.require(actor, "card_views")
        resident = access.seen(actor, "card_views", args["resident_id"],
                               self.store.get(args["resident_id"]), residents.facts)
        return VIEW.dump(self.store.views_of(resident["_id"], args["limit"]), many=True)

    @on_event("dispatch", "card_shown")
    def on_card_shown(self, event: dict) -> None:
        """Record that the event's actor saw the resident's card on a ticket (once per
        event: a redelivery records nothing more)."""
        data = event["data"]
        self.store.viewed_once(event["event_id"], data["resident_id"], residents.view(
            event["actor"] or {}, clock.parse_iso(event["occurred_at"]),
            f"ticket {data['ticket_no']}"))

    # Shared by the entrypoints
    def _configured_groups(self) -> dict:
        settings = self.config.get("REGISTER") if isinstance(self.config, dict) else None
        return (settings or {}).get("groups") or {}

    def _groups(self) -> dict[str, str]:
        return residents.group_words(self._configured_groups())

    def _unit_ids_by_name(self, statement: str) -> dict[str, str]:
        """Unit ids by the names dispatch's directory gives them, so that a sheet may name
        its 网格 either way."""
        return {unit["name"]: unit["id"]
                for unit in self.directory.get_directory(statement)["units"]}

    def _resident(self, resident_id: str) -> dict:
        resident = self.store.get(resident_id)
        if resident is None:
            raise NotFound(f"resident {resident_id}")
        return resident

    def _twin(self, fields: dict) -> dict | None:
        """A resident in the register (not retired) who is the same person as ``fields``."""
        keys = residents.match_keys(fields)
        for resident in self.store.matching([fields["name"]], fields["phones"], []):
            if not resident.get("retired") and keys & residents.match_keys(resident):
                return resident
        return None

    def _find(self, actor: dict, asked: dict) -> tuple[list[dict], dt.date]:
        scope = residents.find_scope(actor, asked)
        if scope.get("group") and scope["group"] not in self._groups():
            raise InvalidRequest({"group": [f"Unknown group; known: "
                                            f"{', '.join(self._groups())}."]})
        day = residents.today(clock.now())
        born_by = residents.latest_birth_date(scope["min_age"], day) \
            if scope.get("min_age") is not None else None
        return self.store.find(scope, born_by, scope.get("limit")), day

    def _step(self, resident_id: str, actor: dict,
              decide: Callable[[dict, dt.datetime], residents.Change]) -> dict:
        """Decide a step on the resident as read and write it if nobody changed them
        meanwhile; otherwise decide again on what they left. Returns the card, as
        ``actor`` may read it; a read-only actor is refused."""
        statements.refuse_read_only(actor)

        def attempt() -> dict | Lost:
            now = clock.now()
            stored = self.store.apply(decide(self._resident(resident_id), now))
            if stored is None:
                return LOST
            outbox.publish_now(self.store.residents, self.publisher, resident_id)
            return _card(stored, now, actor)

        return until_written(attempt, STEP_ATTEMPTS, IllegalTransition(
            f"resident {resident_id} keeps changing; read it again"))

    def _sheet(self, args: dict, groups: dict[str, str], statement: str) -> sheets.Sheet:
        try:
            content = base64.b64decode(args["content_base64"], validate=True)
        except (binascii.Error, ValueError):
            raise InvalidRequest({"content_base64": ["Not base64."]}) from None
        try:
            return sheets.read(
                content, args["filename"], unit_ids=self._unit_ids_by_name(statement),
                group_codes={word: code for code, word in groups.items()},
                today=residents.today(clock.now()))
        except sheets.SheetError as exc:
            raise InvalidRequest({"content_base64": [str(exc)]}) from None

    def _apply_row(self, decision: importing.RowPlan, actor: dict, now: dt.datetime,
                   batch: str) -> None:
        """Write what the plan decided for one row; a row overtaken by another change
        since the plan was made is refused, and nothing of it written."""
        if decision.action == importing.ADD and decision.fields is not None:
            added = residents.new_resident(residents.new_resident_id(), decision.fields, actor,
                                          now, batch)
            self.store.add(added)
            outbox.publish_now(self.store.residents, self.publisher, added["_id"])
            decision.resident_id = added["_id"]
            return
        if decision.action != importing.CHANGE or decision.resident_id is None \
                or decision.fields is None:
            return
        resident = self.store.get(decision.resident_id)
        try:
            change = None if resident is None or resident["version"] != decision.version else \
                residents.changed(resident, decision.fields, actor, now, batch)
        except (NotPermitted, IllegalTransition) as exc:
            decision.refuse(str(exc))
            return
        if change is None or self.store.apply(change) is None:
            decision.refuse(STALE)
            return
        outbox.publish_now(self.store.residents, self.publisher, decision.resident_id)


def _file(filename: str, content: bytes) -> dict:
    return WORKBOOK.dump({"filename": filename,
                          "content_base64": base64.b64encode(content).decode("ascii")})


def _card(resident: dict, now: dt.datetime, actor: dict) -> dict:
    """The card as ``actor`` may read it (health notes for the resident's grid only)."""
    return CARD.dump(residents.as_card(residents.as_read_by(actor, resident),
                                       residents.today(now)))
