"""Events: an event finder, speaker line-ups and registration."""

from toolenv.category_spec import CategorySpec
from toolenv.spec import Aggregate, Create, F, Get, ListBy, Search, TableSpec, Update, api, tool

SPEC = CategorySpec(
    name="Events",
    description="Conferences and festivals, their speakers and registrations.",
    tables=(
        TableSpec(
            name="events", entity="event", prefix="EVT", rows=40, names="{city} {adj} {kind}",
            vocab={"kind": ("Summit", "Festival", "Expo", "Conference", "Meetup", "Forum", "Fair")},
            fields=(
                F.enum("event_type", "event type", "Tech, Music, Food, Art, Business, Sports",
                       phrase="in the {} category"),
                F.date("date", "event date", "2025-04-01", "2025-12-15"),
                F.float("price", "ticket price", 5, 450),
                F.int("tickets_left", "number of tickets left", 0, 500),
                F.int("capacity", "capacity", 50, 20000),
            ),
        ),
        TableSpec(
            name="speakers", entity="speaker", prefix="SPK", rows=90, names="{first} {last}",
            fields=(
                F.ref("event_id", "event", "events", phrase="at {}"),
                F.enum("topic", "talk topic", "AI, Design, Climate, Finance, Health, Culture",
                       phrase="talking about {}"),
                F.int("talk_minutes", "talk length in minutes", 10, 90),
                F.float("rating", "speaker rating", 1, 5, 1),
            ),
        ),
        TableSpec(
            name="registrations", entity="registration", prefix="REG", rows=24,
            fields=(
                F.ref("event_id", "event", "events"),
                F.int("attendees", "number of attendees", 1, 6),
                F.float("total", "total price", 5, 2700),
                F.enum("status", "status", "confirmed, cancelled"),
            ),
        ),
    ),
    tools=(
        tool(
            "event_finder", "Upcoming events.",
            api("search_events", "Find events whose name contains the query.", Search("events")),
            api("get_event", "Type, date, price, tickets left and capacity of an event.", Get("events")),
            api("list_events_by_type", "Events of a type, soonest first.",
                ListBy("events", by="event_type", order="date", descending=False, superlative="soonest")),
            api("get_type_prices", "Ticket-price statistics of all events of a type.",
                Aggregate("events", by="event_type", metric="price")),
        ),
        tool(
            "speaker_lineup", "Who speaks where.",
            api("search_speakers", "Find speakers whose name contains the query.", Search("speakers")),
            api("get_speaker", "Event, topic, talk length and rating of a speaker.", Get("speakers")),
            api("list_event_speakers", "An event's speakers, best rated first.",
                ListBy("speakers", by="event_id", order="rating", superlative="top-rated")),
        ),
        tool(
            "registration", "Register for events.",
            api("register_for_event", "Register attendees for an event at its ticket price.",
                Create("registrations", via="event_id", sets=("attendees",), quantity="attendees",
                       cost=("price", "total"), decrement="tickets_left", defaults={"status": "confirmed"},
                       phrase="register {attendees} attendees for {target}")),
            api("get_registration", "Details of a registration.", Get("registrations")),
            api("cancel_registration", "Cancel a registration.",
                Update("registrations", field="status", value="cancelled", phrase="cancel {target}")),
        ),
    ),
)
