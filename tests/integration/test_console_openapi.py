"""schemathesis over /api/openapi.json with all its checks: requests made up from the
description, fitting it and not, each operation on its own and then tickets created and
worked by following the links the description declares. The description must say exactly
what the API does: every status, every key, every rule."""
from __future__ import annotations

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

ADMIN_ACTOR = {"id": "admin", "name": "系统管理员", "role": "admin", "unit_id": None}
USERNAMES = {"admin": "admin", "agent": "zhou", "dispatcher": "chen", "supervisor": "wang",
             "grid": "li"}
# Numbers libphonenumber knows as valid Chinese ones, written as people write them.
PHONES = ("13812345678", "+86 139 1234 5678", "021-65432100", "(021) 6543 2101", "15900001111")
GROUPS = ("retired_cadre", "low_income", "childless", "veteran", "disabled", "advanced_age")
# The rules an operation's description names because OpenAPI cannot say them (across
# fields, or about data the service holds): a schema-valid request refused with 422 is
# right only when each field refused is one of these. Each is covered by a test of its own
# (test_console_api.py, and the services' unit tests).
NAMED_RULES = {
    "create_ticket": ({"caller", "answer", "praise"}, "Rules across fields"),
    "indicator_figures": ({"end"}, "``start`` is before ``end``"),
    "indicator_workbook": ({"end"}, "``start`` is before ``end``"),
    "create_user": ({"password", "unit_id", "role"}, "has a ``password``"),
    "update_user": ({"_schema", "password", "unit_id", "role"}, "at least one change"),
    "add_resident": ({"birth_date", "grid_unit_id"}, "birth date is not in the future"),
    "change_resident": ({"changes", "birth_date", "grid_unit_id"}, "at least one field"),
    "birthdays": ({"grid_unit_id"}, "names ``grid_unit_id``"),
    "register_import": ({"content_base64", "file"}, "readable .xlsx"),
}


@pytest.fixture(scope="module")
def tokens(console_system):
    with ClusterRpcProxy(console_system, timeout=10) as rpc:
        return {key: rpc.accounts.issue_token(username, "schemathesis", ADMIN_ACTOR)["token"]
                for key, username in USERNAMES.items()}


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


def checked(case, response, headers: dict):
    from schemathesis.checks import positive_data_acceptance

    case.validate_response(response, headers=headers,
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
        @settings(max_examples=15, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def as_described(case):
            headers = token_for(case, tokens)
            checked(case, case.call(headers=headers), headers)

        try:
            as_described()
        except BaseException as failure:  # noqa: BLE001 - collect them all, then report
            failures.append(f"{operation.method.upper()} {operation.path}: {failure}")
    assert not failures, "\n\n".join(failures)


def test_tickets_created_and_worked_by_the_links_answer_as_described(schema, tokens):
    from hypothesis import HealthCheck, settings

    class Tickets(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": token_for(case, tokens)}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            checked(case, response, token_for(case, tokens))

    Tickets.run(settings=settings(max_examples=25, stateful_step_count=6, deadline=None,
                                  database=None, derandomize=True,
                                  suppress_health_check=list(HealthCheck)))
