"""Every operation of /openapi.json has a route-cost scenario (bench/routes.py), and no request
makes more than four DynamoDB calls: the scenario table of ``make bench-routes``, run once, small."""

from __future__ import annotations

from bench import routes
from bench.inproc import Caller, Meter

# Routes over the target today, with the calls they make: each must not get worse, and leaves this
# list when it is brought to four (the bench prints them as "over 4"). Empty: every route is within.
KNOWN_OVER: dict[str, int] = {}


def test_every_operation_has_a_scenario(api):
    doc = api.call("GET", "/openapi.json", auth=False).json
    assert routes.missing_scenarios(doc) == []
    assert routes.unknown_scenarios(doc) == []


def test_every_route_stays_within_four_dynamodb_calls(api):
    from chalicelib.api.openapi import document

    meter = Meter().install()
    try:
        outcomes = routes.run_scenarios(Caller(api.client), meter, document())
    finally:
        meter.uninstall()
    table = routes.route_calls(outcomes)
    over = {key: max(roles.values()) for key, roles in table.items() if max(roles.values()) > routes.MAX_CALLS}
    worse = {key: n for key, n in over.items() if n > KNOWN_OVER.get(key, routes.MAX_CALLS)}
    assert worse == {}, worse
    fixed = sorted(set(KNOWN_OVER) - set(over))
    assert fixed == [], f"now within four calls: take them off KNOWN_OVER: {fixed}"
    # every scenario ran as each role it lists
    assert {(o.key, o.role) for o in outcomes} == {
        (s.key(*routes.operations(document())[s.operation][:2]), role) for s in routes.SCENARIOS for role in s.roles
    }
