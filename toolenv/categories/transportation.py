"""Transportation: a route planner, stop finder and transit ticketing."""

from toolenv.category_spec import CategorySpec
from toolenv.spec import Aggregate, Create, F, Get, ListBy, Quote, Search, TableSpec, api, tool

SPEC = CategorySpec(
    name="Transportation",
    description="Public transit routes, stops, departures and tickets.",
    tables=(
        TableSpec(
            name="routes", entity="route", prefix="RTE", rows=30, names="{city} {kind}",
            vocab={"kind": ("Express", "Line", "Shuttle", "Connector", "Loop", "Rapid")},
            fields=(
                F.enum("mode", "transport mode", "Bus, Tram, Metro, Ferry, Rail", phrase="in the {} network"),
                F.float("length_km", "length in km", 2, 120, 1),
                F.int("daily_riders", "daily ridership", 200, 250000),
                F.float("base_fare", "base fare", 1, 12),
            ),
        ),
        TableSpec(
            name="stops", entity="stop", prefix="STP", rows=110, names="{noun} {street}",
            vocab={"street": ("Street", "Avenue", "Square", "Station", "Terminal", "Plaza")},
            fields=(
                F.ref("route_id", "route", "routes", phrase="on the route {}"),
                F.enum("zone", "fare zone", "A, B, C, D", phrase="in fare zone {}"),
                F.int("sequence", "stop number", 1, 40),
                F.int("boardings", "number of daily boardings", 10, 20000),
            ),
        ),
        TableSpec(
            name="departures", entity="departure", prefix="DEP", rows=120,
            fields=(
                F.ref("route_id", "route", "routes", phrase="on the route {}"),
                F.time("departure_time", "departure time", "05:00", "23:30"),
                F.int("seats_left", "number of available seats", 0, 60),
                F.float("fare", "ticket price", 1, 40),
            ),
        ),
        TableSpec(
            name="tickets", entity="ticket", prefix="TIX", rows=24,
            fields=(
                F.ref("departure_id", "departure", "departures"),
                F.int("passengers", "number of passengers", 1, 6),
                F.float("total", "total fare", 1, 240),
                F.enum("status", "status", "issued, refunded"),
            ),
        ),
    ),
    tools=(
        tool(
            "route_planner", "Transit routes and fares.",
            api("search_routes", "Find routes whose name contains the query.", Search("routes")),
            api("get_route", "Mode, length, riders and base fare of a route.", Get("routes")),
            api("list_routes_by_mode", "Routes of a transport mode, busiest first.",
                ListBy("routes", by="mode", order="daily_riders", superlative="busiest")),
            api("estimate_fare", "Base fare for a group of riders on a route.",
                Quote("routes", price="base_fare", quantity="riders", phrase="{quantity} riders on {target}",
                      total_label="total base fare")),
        ),
        tool(
            "stop_finder", "Stops along routes.",
            api("search_stops", "Find stops whose name contains the query.", Search("stops")),
            api("get_stop", "Route, zone, stop number and boardings of a stop.", Get("stops")),
            api("list_route_stops", "A route's stops, in order from the first.",
                ListBy("stops", by="route_id", order="sequence", descending=False, superlative="first")),
            api("get_zone_stats", "Boarding statistics of all stops in a fare zone.",
                Aggregate("stops", by="zone", metric="boardings")),
        ),
        tool(
            "transit_ticketing", "Today's departures and tickets.",
            api("list_departures", "A route's departures today, earliest first.",
                ListBy("departures", by="route_id", order="departure_time", descending=False,
                       superlative="earliest")),
            api("get_departure", "Route, time, free seats and price of a departure.", Get("departures")),
            api("buy_ticket", "Buy tickets on a departure for some passengers.",
                Create("tickets", via="departure_id", sets=("passengers",), quantity="passengers",
                       cost=("fare", "total"), decrement="seats_left", defaults={"status": "issued"},
                       phrase="buy tickets for {passengers} passengers on {target}")),
            api("get_ticket", "Details of a ticket.", Get("tickets")),
        ),
    ),
)
