"""Travel: hotel search, flight search and trip bookings."""

from toolenv.category_spec import CategorySpec
from toolenv.spec import Aggregate, Create, F, Get, ListBy, Search, TableSpec, Update, api, tool

_CITIES = "Lisbon, Kyoto, Cusco, Tallinn, Marrakesh, Hobart, Reykjavik, Valparaiso"

SPEC = CategorySpec(
    name="Travel",
    description="Hotels, flights and trip bookings.",
    tables=(
        TableSpec(
            name="hotels", entity="hotel", prefix="HTL", rows=40, names="{adj} {noun} Hotel",
            fields=(
                F.enum("city", "city", _CITIES, phrase="in {}"),
                F.int("stars", "star rating", 1, 5),
                F.float("nightly_rate", "nightly rate in USD", 45, 620),
                F.int("rooms_available", "number of available rooms", 0, 40),
                F.float("review_score", "guest review score", 5, 10, 1),
            ),
        ),
        TableSpec(
            name="flights", entity="flight", prefix="FLT", rows=70, names="LL###",
            name_field="flight_number", name_label="flight number",
            fields=(
                F.enum("origin", "departure city", _CITIES, phrase="from {}"),
                F.enum("destination", "destination", _CITIES, phrase="to {}"),
                F.date("departure_date", "departure date", "2025-07-01", "2025-09-30"),
                F.time("departure_time", "departure time", "05:00", "23:45"),
                F.float("fare", "fare in USD", 40, 1400),
                F.int("seats_left", "number of available seats", 0, 180),
            ),
        ),
        TableSpec(
            name="hotel_bookings", entity="hotel booking", prefix="HBK", rows=24,
            fields=(
                F.ref("hotel_id", "hotel", "hotels"),
                F.int("nights", "number of nights", 1, 14),
                F.date("check_in", "check-in date", "2025-07-01", "2025-09-30"),
                F.float("total_cost", "total cost", 45, 8000),
                F.enum("status", "status", "confirmed, cancelled"),
            ),
        ),
        TableSpec(
            name="flight_bookings", entity="flight booking", prefix="FBK", rows=24,
            fields=(
                F.ref("flight_id", "flight", "flights"),
                F.int("passengers", "number of passengers", 1, 6),
                F.float("total_fare", "total fare", 40, 8000),
                F.enum("status", "status", "confirmed, cancelled"),
            ),
        ),
    ),
    tools=(
        tool(
            "hotel_search", "Hotels, rates and availability.",
            api("search_hotels", "Find hotels whose name contains the query.", Search("hotels")),
            api("get_hotel", "City, stars, nightly rate, free rooms and review score of a hotel.", Get("hotels")),
            api("list_hotels_by_city", "Hotels in a city, best guest reviews first.",
                ListBy("hotels", by="city", order="review_score", superlative="best-reviewed")),
        ),
        tool(
            "flight_search", "Scheduled flights between cities.",
            api("search_flights", "Find flights by flight number.", Search("flights", param="flight_number")),
            api("get_flight", "Route, schedule, fare and free seats of a flight.", Get("flights")),
            api("list_flights_to_city", "Flights arriving in a city, cheapest first.",
                ListBy("flights", by="destination", order="fare", descending=False, superlative="cheapest")),
            api("get_route_fares", "Fare statistics of all flights to a destination.",
                Aggregate("flights", by="destination", metric="fare")),
        ),
        tool(
            "trip_bookings", "Book and manage hotels and flights.",
            api("book_hotel", "Reserve a room for some nights from a check-in date.",
                Create("hotel_bookings", via="hotel_id", sets=("nights", "check_in"), quantity="nights",
                       cost=("nightly_rate", "total_cost"), defaults={"status": "confirmed"},
                       phrase="book {target} for {nights} nights from {check_in}")),
            api("book_flight", "Book seats on a flight for some passengers.",
                Create("flight_bookings", via="flight_id", sets=("passengers",), quantity="passengers",
                       cost=("fare", "total_fare"), decrement="seats_left", defaults={"status": "confirmed"},
                       phrase="book {passengers} seats on {target}")),
            api("get_flight_booking", "Details of a flight booking.", Get("flight_bookings")),
            api("cancel_hotel_booking", "Cancel a hotel booking.",
                Update("hotel_bookings", field="status", value="cancelled", phrase="cancel {target}")),
        ),
    ),
)
