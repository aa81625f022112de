"""Movies: a film database, cinema showtimes and ticketing."""

from toolenv.category_spec import CategorySpec
from toolenv.spec import Aggregate, Create, F, Get, ListBy, Search, TableSpec, Update, api, tool

SPEC = CategorySpec(
    name="Movies",
    description="Film facts, cinema showtimes and ticket booking.",
    tables=(
        TableSpec(
            name="movies", entity="movie", prefix="MOV", rows=40, names="The {adj} {noun}",
            name_field="title", name_label="title",
            fields=(
                F.enum("genre", "genre", "Drama, Comedy, Thriller, Sci-Fi, Animation, Documentary, Horror, Romance",
                       phrase="in the {} genre"),
                F.date("release_date", "release date", "1975-01-01", "2024-12-31"),
                F.int("runtime", "runtime in minutes", 78, 185),
                F.float("rating", "audience rating", 1, 10, 1),
                F.text("director", "director", "{first} {last}"),
                F.float("box_office", "box office gross in millions of USD", 0.5, 950),
            ),
        ),
        TableSpec(
            name="showtimes", entity="showtime", prefix="SHW", rows=100,
            fields=(
                F.ref("movie_id", "movie", "movies", phrase="of the movie {}"),
                F.enum("cinema", "cinema", "Odeon Central, Rex Palace, Lumiere Hall, Starlight Cinema, Grand Regal",
                       phrase="at {}"),
                F.time("start_time", "start time", "10:00", "23:00"),
                F.float("price", "ticket price", 6, 19),
                F.int("seats_left", "number of available seats", 0, 120),
            ),
        ),
        TableSpec(
            name="tickets", entity="ticket", prefix="TKT", rows=24,
            fields=(
                F.ref("showtime_id", "showtime", "showtimes"),
                F.int("seats", "number of seats", 1, 8),
                F.float("total_price", "total price", 6, 150),
                F.enum("status", "status", "confirmed, cancelled"),
            ),
        ),
    ),
    tools=(
        tool(
            "movie_database", "Facts and figures about films.",
            api("search_movies", "Find movies whose title contains the query.", Search("movies", param="title")),
            api("get_movie_details", "Genre, release, runtime, rating, director and box office of a movie.",
                Get("movies")),
            api("list_movies_by_genre", "Movies of a genre, best audience rating first.",
                ListBy("movies", by="genre", order="rating", superlative="highest-rated")),
            api("get_genre_box_office", "Box-office statistics of all movies in a genre.",
                Aggregate("movies", by="genre", metric="box_office")),
        ),
        tool(
            "cinema_showtimes", "Today's screenings in the city's cinemas.",
            api("list_showtimes", "Screenings of a movie today, earliest first.",
                ListBy("showtimes", by="movie_id", order="start_time", descending=False, superlative="earliest")),
            api("get_showtime", "Cinema, start time, price and free seats of a screening.", Get("showtimes")),
            api("get_cinema_prices", "Ticket-price statistics of all screenings at a cinema.",
                Aggregate("showtimes", by="cinema", metric="price")),
        ),
        tool(
            "ticketing", "Book and manage cinema tickets.",
            api("book_tickets", "Book seats for a screening; the price is charged per seat.",
                Create("tickets", via="showtime_id", sets=("seats",), quantity="seats",
                       cost=("price", "total_price"), decrement="seats_left", defaults={"status": "confirmed"},
                       phrase="book {seats} seats for {target}")),
            api("get_ticket", "Details of a ticket booking.", Get("tickets")),
            api("cancel_ticket", "Cancel a ticket booking.",
                Update("tickets", field="status", value="cancelled", phrase="cancel {target}")),
        ),
    ),
)
