"""Music: artist profiles, discographies and concert tickets."""

from toolenv.category_spec import CategorySpec
from toolenv.spec import Aggregate, Create, F, Get, ListBy, Search, TableSpec, Update, api, tool

SPEC = CategorySpec(
    name="Music",
    description="Artists, albums, tour dates and concert tickets.",
    tables=(
        TableSpec(
            name="artists", entity="artist", prefix="ART", rows=36, names="The {color} {animal}s",
            fields=(
                F.enum("genre", "genre", "Rock, Jazz, Hip-Hop, Electronic, Folk, Classical, Pop, Reggae",
                       phrase="in the {} genre"),
                F.text("country", "home country", "{country}"),
                F.int("monthly_listeners", "number of monthly listeners", 1000, 40000000),
                F.int("debut_year", "debut year", 1965, 2022),
            ),
        ),
        TableSpec(
            name="albums", entity="album", prefix="ALB", rows=80, names="{adj} {noun}",
            fields=(
                F.ref("artist_id", "artist", "artists", phrase="by {}"),
                F.date("release_date", "release date", "1970-01-01", "2024-12-31"),
                F.int("tracks", "number of tracks", 6, 22),
                F.float("length_min", "running time in minutes", 28, 80, 1),
                F.int("sales", "number of copies sold", 1000, 5000000),
            ),
        ),
        TableSpec(
            name="concerts", entity="concert", prefix="CON", rows=80,
            fields=(
                F.ref("artist_id", "artist", "artists", phrase="by {}"),
                F.text("city", "city", "{city}"),
                F.date("date", "concert date", "2025-06-01", "2025-12-20"),
                F.float("ticket_price", "ticket price", 15, 240),
                F.int("tickets_left", "number of tickets left", 0, 400),
            ),
        ),
        TableSpec(
            name="ticket_orders", entity="ticket order", prefix="TOR", rows=24,
            fields=(
                F.ref("concert_id", "concert", "concerts"),
                F.int("tickets", "number of tickets", 1, 6),
                F.float("total", "total price", 15, 1500),
                F.enum("status", "status", "confirmed, refunded"),
            ),
        ),
    ),
    tools=(
        tool(
            "artist_info", "Artist profiles and audience figures.",
            api("search_artists", "Find artists whose name contains the query.", Search("artists")),
            api("get_artist", "Genre, country, monthly listeners and debut year of an artist.", Get("artists")),
            api("list_artists_by_genre", "Artists of a genre, most monthly listeners first.",
                ListBy("artists", by="genre", order="monthly_listeners", superlative="most-streamed")),
        ),
        tool(
            "discography", "Albums and their sales.",
            api("search_albums", "Find albums whose title contains the query.", Search("albums", param="title")),
            api("get_album", "Artist, release date, tracks, length and sales of an album.", Get("albums")),
            api("list_albums_by_artist", "An artist's albums, latest release first.",
                ListBy("albums", by="artist_id", order="release_date", superlative="latest")),
            api("get_sales_summary", "Sales statistics over an artist's albums.",
                Aggregate("albums", by="artist_id", metric="sales")),
        ),
        tool(
            "tour_tickets", "Upcoming concerts and ticket sales.",
            api("list_tour_dates", "An artist's upcoming concerts, soonest first.",
                ListBy("concerts", by="artist_id", order="date", descending=False, superlative="next")),
            api("get_concert", "City, date, price and remaining tickets of a concert.", Get("concerts")),
            api("buy_concert_tickets", "Buy tickets for a concert at the listed price.",
                Create("ticket_orders", via="concert_id", sets=("tickets",), quantity="tickets",
                       cost=("ticket_price", "total"), decrement="tickets_left", defaults={"status": "confirmed"},
                       phrase="buy {tickets} tickets for {target}")),
            api("refund_ticket_order", "Refund a ticket order.",
                Update("ticket_orders", field="status", value="refunded", phrase="refund {target}")),
        ),
    ),
)
