"""schemathesis over /api/openapi.json with all its checks: requests made up from the
description, fitting it and not, each operation on its own and then tickets created and
worked by following the links the description declares. The description must say exactly
what the API does: every status, every key, every rule."""
from __future__ import annotations

import os
import time
from collections import Counter

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from test_console_api import ADMIN_ACTOR, tokens  # noqa: F401 - tokens: a pytest fixture

# Numbers libphonenumber knows as valid Chinese ones, written as people write them.
PHONES = ("13812345678", "+86 139 1234 5678", "021-65432100", "(021) 6543 2101", "15900001111")
GROUPS = ("retired_cadre", "low_income", "childless", "veteran", "disabled", "advanced_age")
# The rules an operation's description names because OpenAPI cannot say them (across
# fields, or about data the service holds): a schema-valid request refused with 422 is
# right only when each field refused is one of these. Each is covered by a test of its own
# (test_console_named_rules.py: a request breaking the rule alone, refused, nothing done).
NAMED_RULES = {
    "create_ticket": ({"caller", "answer", "praise"}, "Rules across fields"),
    "indicator_figures": ({"end"}, "``start`` is before ``end``"),
    "search_tickets": ({"end"}, "``start`` is before ``end``"),
    "indicator_workbook": ({"end"}, "``start`` is before ``end``"),
    "create_user": ({"password", "unit_id", "role"}, "has a ``password``"),
    "update_user": ({"_schema", "password", "unit_id", "role"}, "at least one change"),
    "add_resident": ({"birth_date"}, "birth date is not in the future"),
    "change_resident": ({"changes", "birth_date"}, "at least one field"),
    "birthdays": ({"grid_unit_id"}, "names ``grid_unit_id``"),
    "register_import": ({"content_base64", "file"}, "readable .xlsx"),
    "reassign": ({"unit_id"}, "not the centre itself"),
    "request_extension": ({"until"}, "later than the deadline in force"),
    "request_pause": ({"resume_on"}, "``resume_on`` is still to come"),
    "add_assist": ({"unit_id"}, "neither the centre nor the lead unit"),
    "assign": ({"username"}, "active staff member of the unit holding the ticket"),
    "bulk_steps": ({"unit_id", "note"}, "a reassign names ``unit_id``"),
    "attach_files": ({"files"}, "read from its bytes"),
    "resolve": ({"photos"}, "photos_at_resolve"),
}


@pytest.fixture(scope="module")
def schema(console_app):
    import schemathesis
    from hypothesis import strategies as st
    from schemathesis.specs.openapi.formats import (
        register_string_format,
        unregister_string_format,
    )

    register_string_format("phone-cn", st.sampled_from(PHONES))
    register_string_format("register-group", st.sampled_from(GROUPS))
    yield schemathesis.openapi.from_wsgi("/api/openapi.json", console_app)
    unregister_string_format("phone-cn")
    unregister_string_format("register-group")


def token_for(case, tokens: dict) -> dict:
    """Agents take calls; the rest is tried by an admin (who may read and decide all)."""
    who = "agent" if case.operation.definition.raw.get("operationId") == "create_ticket" \
        else "admin"
    return {"Authorization": f"Bearer {tokens[who]}"}


def within_named_rules(ctx, response, case):
    """positive_data_acceptance, but for the rules an operation's description names."""
    from schemathesis.checks import positive_data_acceptance

    operation_id = case.operation.definition.raw.get("operationId")
    if response.status_code == 422 and operation_id in NAMED_RULES and case.meta \
            and case.meta.generation.mode.is_positive:
        refused = set((response.json() or {}).get("errors") or {})
        if refused and refused <= NAMED_RULES[operation_id][0]:
            return None
    return positive_data_acceptance(ctx, response, case)


def checked(case, response, headers: dict, recorder=None):
    from schemathesis.checks import positive_data_acceptance

    case.validate_response(response, headers=headers, recorder=recorder,
                           excluded_checks=[positive_data_acceptance],
                           additional_checks=[within_named_rules])


def test_the_rules_skipped_are_named_in_their_operations(schema):
    described = {operation.ok().definition.raw.get("operationId"):
                 operation.ok().definition.raw.get("description", "")
                 for operation in schema.get_all_operations()}
    for operation_id, (_, named) in NAMED_RULES.items():
        assert named in described[operation_id], operation_id


def test_every_operation_answers_as_described(schema, tokens):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from schemathesis import GenerationMode

    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                          operation.as_strategy(GenerationMode.NEGATIVE))

        @given(case=cases)
        @settings(max_examples=15, deadline=None, database=None, derandomize=DERANDOMIZE,
                  suppress_health_check=list(HealthCheck))
        def as_described(case):
            headers = token_for(case, tokens)
            checked(case, case.call(headers=headers), headers)

        try:
            as_described()
        except BaseException as failure:  # noqa: BLE001 - collect them all, then report
            failures.append(f"{operation.method.upper()} {operation.path}: {failure}")
    assert not failures, "\n\n".join(failures)


# Calls about places the directory routes to a unit, and that unit: a ticket generated
# from the description is made one of these (its category and place; the rest as
# generated), so that dispatch gives it to a unit whose staff can then work it.
ROUTED = (
    ("street_light", ("杨浦区", "殷行街道", None, None), "yinhang-grid-1"),
    ("home_repair", ("杨浦区", "殷行街道", "开鲁新村", "开鲁新村"), "kaichen-property"),
    ("welfare_check", ("杨浦区", "殷行街道", "国和居民区", None), "guohe-committee"),
    ("errands", ("杨浦区", "殷行街道", "开鲁新村", None), "kailu-committee"),
)
# Who takes each step on a ticket (services/dispatch/steps.py): UNIT is the staff of the
# unit holding it; a step on a ticket no unit holds is tried by the dispatcher (refused).
UNIT = "unit"
TAKERS = {"create_ticket": "agent", "get_ticket": "dispatcher",
          "accept": UNIT, "return_ticket": UNIT, "record_contact": UNIT, "resolve": UNIT,
          "request_extension": UNIT, "request_pause": UNIT, "resume": UNIT,
          "reassign": "dispatcher", "add_assist": "dispatcher",
          "urge": "supervisor", "decide_extension": "supervisor", "decide_pause": "supervisor"}
STEPS = set(TAKERS) - {"create_ticket", "get_ticket"}
# The stateful run: rounds of SCENARIOS scenarios of at most STEPS_PER_SCENARIO calls,
# until it has made and worked this many tickets (at most ROUNDS rounds).
SCENARIOS, STEPS_PER_SCENARIO, ROUNDS = 25, 10, 6
# The suite draws the same scenarios each run, so that it passes or fails on the code alone;
# FUZZ=random draws new ones (make fuzz), to look for what those have not met.
DERANDOMIZE = os.environ.get("FUZZ") != "random"
MIN_TICKETS, MIN_STEPS, MIN_KINDS = 15, 20, 4


@pytest.fixture(scope="module")
def unit_tokens(console_system):
    """A token of a staff member of each unit of ROUTED, by unit."""
    made = {}
    with ClusterRpcProxy(console_system, timeout=10) as rpc:
        for _, _, unit_id in ROUTED:
            username = f"staff.{unit_id}"
            rpc.accounts.create_user({"username": username, "name": f"{unit_id} 值班员",
                                      "role": "unit_staff", "unit_id": unit_id,
                                      "password": "staff-password-1"}, ADMIN_ACTOR)
            made[unit_id] = rpc.accounts.issue_token(username, "schemathesis",
                                                      ADMIN_ACTOR)["token"]
    return made


def routed_call(case, choice: int):
    """The generated call, about a place the directory routes (ROUTED[choice]), and within
    the rules across fields the operation names (a reachable caller, an answer only for a
    consultation, a praise only for praise calls): what an agent would send."""
    body = case.body
    category, (district, subdistrict, community, estate), _ = ROUTED[choice]
    body["category"] = category
    body["address"] = {**body["address"], "district": district, "subdistrict": subdistrict,
                       "community": community, "estate": estate}
    if body["kind"] == "praise":
        body["kind"] = "help"
    body.pop("praise", None)
    if body["kind"] != "consult":
        body.pop("answer", None)
    if not (body["caller"].get("name") or body["caller"].get("phone")):
        body["caller"]["anonymous"] = True
    # a new matter each time: merged into an open ticket of an earlier scenario, the call
    # would answer with a ticket whose state the scenario cannot know
    body["merge"] = False
    return case


def test_tickets_created_and_worked_by_the_links_answer_as_described(schema, tokens,
                                                                     unit_tokens, console_app):
    """Each scenario starts by creating a ticket (POST /api/tickets, data generated from its
    schema) and follows the links of its answer, and of each step's, to the ticket's
    operations with that ticket_no, each taken by whom the step is for."""
    from hypothesis import HealthCheck, Phase, settings
    from hypothesis import strategies as st
    from hypothesis.errors import Flaky
    from hypothesis.stateful import Bundle
    from schemathesis import GenerationMode
    from schemathesis.generation.meta import TestPhase
    from schemathesis.generation.stateful.state_machine import StepInput, normalize_name
    from schemathesis.specs.openapi.stateful import is_root_allowed, transition

    client = console_app.test_client()
    reader = {"Authorization": f"Bearer {tokens['dispatcher']}"}
    answered: list[tuple[str, int, str | None]] = []  # (operationId, status, ticket_no)
    failures: list[str] = []

    def tickets_made() -> set[str]:
        return {number for name, status, number in answered
                if name == "create_ticket" and status == 201 and number}

    def steps_taken() -> list[tuple[str, str | None]]:
        return [(name, number) for name, status, number in answered
                if name in STEPS and status == 200]

    def worked_enough() -> bool:
        """MIN_TICKETS tickets made, MIN_STEPS steps taken on them, of MIN_KINDS kinds,
        signing for tickets (accept) among them."""
        steps = steps_taken()
        kinds = {name for name, _ in steps}
        return (len(tickets_made()) >= MIN_TICKETS and len(steps) >= MIN_STEPS
                and "accept" in kinds and len(kinds) >= MIN_KINDS)

    Workflow = schema.as_state_machine()
    create = schema["/api/tickets"]["POST"]
    calls = st.tuples(create.as_strategy(GenerationMode.POSITIVE, phase=TestPhase.STATEFUL),
                      st.integers(0, len(ROUTED) - 1))
    # Every scenario starts with a new ticket. schemathesis would start from each step (a
    # POST with links) on a made-up ticket number, which only finds nothing, and never
    # from POST /api/tickets: it infers from ``praise.unit_id`` that the call needs a unit
    # read first, so it does not count it as a root.
    start = normalize_name(f"RANDOM -> {create.label}")
    others = [name for name in Workflow.root_rules if name != start]

    def unit_of(ticket_no: str) -> str | None:
        """The unit holding the ticket, once dispatch has it (it hears of it after intake
        answered)."""
        for _ in range(50):
            answer = client.get(f"/api/tickets/{ticket_no}", headers=reader)
            if answer.status_code != 200:  # a number made up: no ticket, no unit
                return None
            if answer.get_json()["status"]:
                return answer.get_json()["status"]["unit_id"]
            time.sleep(0.1)
        return None

    def operation_id(case) -> str:
        return case.operation.definition.raw.get("operationId")

    class Tickets(Workflow):
        root_rules = frozenset({start})
        _root_labels = frozenset({create.label})

        def get_call_kwargs(self, case):
            taker = TAKERS.get(operation_id(case), "admin")
            if taker == UNIT:
                unit_id = unit_of(case.path_parameters["ticket_no"])
                token = unit_tokens.get(unit_id, tokens["dispatcher"])
            else:
                if "ticket_no" in (case.path_parameters or {}):
                    unit_of(case.path_parameters["ticket_no"])
                token = tokens[taker]
            return {"headers": {"Authorization": f"Bearer {token}"}}

        def after_call(self, response, case):
            super().after_call(response, case)
            body = response.json() if response.status_code < 300 else {}
            answered.append((operation_id(case), response.status_code,
                             (body or {}).get("ticket_no")))

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # collected, not raised: a failure would make hypothesis replay the scenario,
            # and an API with state does not answer a replay alike
            try:
                checked(case, response, kwargs.get("headers") or {}, self.recorder)
            except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001 - all, below
                failures.append(f"{case.operation.label}: {failure}")

    for name in others:
        setattr(Tickets, name, None)
    setattr(Tickets, start, transition(
        name=start, target=Bundle("catch_all"), precondition=is_root_allowed(create.label),
        input=calls.map(lambda drawn: StepInput.initial(routed_call(*drawn)))))
    for _ in range(ROUNDS):
        try:
            Tickets.run(settings=settings(
                max_examples=SCENARIOS, stateful_step_count=STEPS_PER_SCENARIO, deadline=None,
                database=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck),
                derandomize=DERANDOMIZE))
        except Flaky:
            # Which links can be followed depends on what the API answered, and that on
            # the tickets earlier scenarios left: hypothesis calls it flaky when a choice it
            # made before leads elsewhere. schemathesis's own runner ends the run there too.
            pass
        if worked_enough():
            break
    assert not failures, "\n\n".join(failures)
    created, worked = tickets_made(), steps_taken()
    print(f"tickets created: {len(created)}; steps taken: {len(worked)} "
          f"{dict(Counter(name for name, _ in worked))}; calls: {len(answered)}")
    assert worked_enough()
    assert {number for _, number in worked} <= created  # the tickets the run made


def test_a_residents_check_ins_and_tickets_answer_only_declared_keys(schema, tokens,
                                                                      console_app,
                                                                      console_system):
    """A resident with a check-in called (nobody answered) and more planned, and a ticket
    from their own call: their card's check-ins and tickets answer as /api/openapi.json
    describes them, key for key."""
    from integration_support import CALLBACK_WORKER, eventually
    from schemathesis.checks import response_schema_conformance
    from test_console_register_api import resident
    from test_register_care import this_minute

    from services.callback.dialers import ScriptedDialer
    from services.callback.worker import CallbackWorker

    client = console_app.test_client()
    document = client.get("/api/openapi.json").get_json()
    phone = "13800000514"

    def headers(who: str) -> dict:
        return {"Authorization": f"Bearer {tokens[who]}"}

    card = client.post("/api/register", headers=headers("grid"), json=resident(
        phones=[phone], checkin_plan={"days": [1, 2, 3, 4, 5, 6, 7],
                                      "times": [this_minute(), "18:00"]}))
    assert card.status_code == 201, card.get_json()
    resident_id = card.get_json()["resident_id"]
    call = client.post("/api/tickets", headers=headers("agent"), json={
        "channel": "hotline", "kind": "help", "category": "home_repair", "merge": False,
        "caller": {"name": "张老伯", "phone": phone},
        "description": "家里水管漏水\n请尽快上门", "address": resident()["address"]})
    assert call.status_code == 201, call.get_json()

    # the check-in of this minute is called; nobody answers (other due calls alike)
    with ClusterRpcProxy(console_system, timeout=10) as rpc:
        worker = CallbackWorker(rpc.callback, ScriptedDialer({"default": "unreachable"}),
                                "dialer-test", lambda: CALLBACK_WORKER)

        def called() -> bool:
            worker.work_once()
            return any(entry["attempts"] for entry in rpc.callback.checkins_for(
                resident_id, ADMIN_ACTOR))
        eventually(called)

    for path, listed in (("checkins", None), ("tickets", call.get_json()["ticket_no"])):
        operation = schema[f"/api/residents/{{resident_id}}/{path}"]["GET"]
        case = operation.Case(path_parameters={"resident_id": resident_id})

        def answered(case=case, listed=listed):
            """The answer once callback has planned the check-ins, or the ledger has the
            ticket (they hear of them by events)."""
            answer = case.call(headers=headers("grid"))
            rows = answer.json() if answer.status_code == 200 else []
            if rows and (listed is None or listed in {row["ticket_no"] for row in rows}):
                return answer
            return None

        answer = eventually(answered)
        if path == "checkins":  # one called, with its attempt; one still to call
            assert any(row["attempts"] for row in answer.json()), answer.json()
            assert any(row["result"] is None for row in answer.json()), answer.json()
        case.validate_response(answer, checks=[response_schema_conformance],
                               headers=headers("grid"))
        # what the check holds the answer to: the shared contract's answer, no other key
        content = operation.definition.raw["responses"]["200"]["content"]["application/json"]
        name = content["schema"]["items"]["$ref"].rsplit("/", 1)[-1]
        described = document["components"]["schemas"][name]
        assert described["additionalProperties"] is False, name
        assert set(answer.json()[0]) <= set(described["properties"]), path
