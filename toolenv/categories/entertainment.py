"""Entertainment: a TV series guide, episode guide and personal watchlist."""

from toolenv.category_spec import CategorySpec
from toolenv.spec import Aggregate, Create, F, Get, ListBy, Search, TableSpec, Update, api, tool

SPEC = CategorySpec(
    name="Entertainment",
    description="Streaming series, their episodes and the user's watchlist.",
    tables=(
        TableSpec(
            name="series", entity="series", plural="series", prefix="SER", rows=36, names="{adj} {noun}",
            fields=(
                F.enum("network", "network", "Northstar, Bluewave, Kinoplex, Orbit Plus, Tandem TV", phrase="on {}"),
                F.enum("genre", "genre", "Drama, Comedy, Crime, Fantasy, Reality, Documentary",
                       phrase="in the {} genre"),
                F.int("seasons", "number of seasons", 1, 12),
                F.float("critic_score", "critic score", 4, 9.8, 1),
                F.date("premiere", "premiere date", "2000-01-01", "2024-12-31"),
            ),
        ),
        TableSpec(
            name="episodes", entity="episode", prefix="EPS", rows=120, names="The {noun} {word}",
            vocab={"word": ("Affair", "Gambit", "Promise", "Reckoning", "Return", "Secret", "Verdict", "Escape")},
            fields=(
                F.ref("series_id", "series", "series", phrase="of {}"),
                F.int("season", "season number", 1, 12),
                F.int("runtime", "runtime in minutes", 20, 75),
                F.int("views", "view count", 10000, 9000000),
                F.date("air_date", "air date", "2000-01-01", "2025-05-31"),
            ),
        ),
        TableSpec(
            name="watchlist", entity="watchlist entry", plural="watchlist entries", prefix="WAT", rows=24,
            fields=(
                F.ref("series_id", "series", "series"),
                F.enum("priority", "priority", "high, normal, low"),
                F.enum("status", "watch status", "watching, finished, dropped"),
            ),
        ),
    ),
    tools=(
        tool(
            "series_guide", "Series facts and critic scores.",
            api("search_series", "Find series whose title contains the query.", Search("series", param="title")),
            api("get_series", "Network, genre, seasons, critic score and premiere of a series.", Get("series")),
            api("list_series_by_network", "Series on a network, best critic score first.",
                ListBy("series", by="network", order="critic_score", superlative="highest-rated")),
            api("get_genre_scores", "Critic-score statistics of a genre.",
                Aggregate("series", by="genre", metric="critic_score")),
        ),
        tool(
            "episode_guide", "Episode listings and viewing figures.",
            api("search_episodes", "Find episodes whose title contains the query.",
                Search("episodes", param="title")),
            api("get_episode", "Series, season, runtime, views and air date of an episode.", Get("episodes")),
            api("list_episodes", "A series' episodes, most viewed first.",
                ListBy("episodes", by="series_id", order="views", superlative="most-watched")),
        ),
        tool(
            "watchlist", "The user's personal watchlist.",
            api("add_to_watchlist", "Add a series to the watchlist with a priority.",
                Create("watchlist", via="series_id", sets=("priority",), defaults={"status": "watching"},
                       phrase="add {target} to my watchlist with {priority} priority")),
            api("get_watchlist_entry", "Details of a watchlist entry.", Get("watchlist")),
            api("set_watch_status", "Mark a watchlist entry as watching, finished or dropped.",
                Update("watchlist", field="status", phrase="mark {target} as {value}")),
        ),
    ),
)
