"""Gaming: a game catalog, achievements, player profiles and a store."""

from toolenv.category_spec import CategorySpec
from toolenv.spec import Aggregate, Create, F, Get, ListBy, Search, TableSpec, Update, api, tool

SPEC = CategorySpec(
    name="Gaming",
    description="Video games, achievements, player profiles and purchases.",
    tables=(
        TableSpec(
            name="games", entity="game", prefix="GAM", rows=40, names="{adj} {noun}",
            fields=(
                F.enum("genre", "genre", "RPG, Shooter, Strategy, Puzzle, Racing, Platformer",
                       phrase="in the {} genre"),
                F.enum("platform", "platform", "PC, Console, Mobile, Cross-platform", phrase="on {}"),
                F.date("release_date", "release date", "2005-01-01", "2025-05-31"),
                F.float("price", "price in USD", 0, 70),
                F.float("rating", "review score", 1, 10, 1),
                F.int("players_online", "number of players online", 100, 900000),
            ),
        ),
        TableSpec(
            name="achievements", entity="achievement", prefix="ACH", rows=120, names="{noun} {feat}",
            vocab={"feat": ("Hunter", "Slayer", "Collector", "Champion", "Explorer", "Legend", "Master")},
            fields=(
                F.ref("game_id", "game", "games", phrase="in {}"),
                F.int("points", "point value", 5, 100),
                F.float("unlock_rate", "unlock rate in percent", 0.1, 95, 1),
            ),
        ),
        TableSpec(
            name="gamers", entity="player", prefix="PLR", rows=40, names="{adj}{animal}",
            name_field="gamertag", name_label="gamertag",
            fields=(
                F.int("level", "level", 1, 120),
                F.int("hours_played", "number of hours played", 1, 9000),
                F.text("country", "country", "{country}"),
                F.ref("favorite_game_id", "favorite game", "games"),
            ),
        ),
        TableSpec(
            name="purchases", entity="purchase", prefix="PUR", rows=24,
            fields=(
                F.ref("game_id", "game", "games"),
                F.int("copies", "number of copies", 1, 3),
                F.float("total", "total price", 0, 210),
                F.enum("status", "status", "completed, refunded"),
            ),
        ),
    ),
    tools=(
        tool(
            "game_catalog", "Games, prices and popularity.",
            api("search_games", "Find games whose title contains the query.", Search("games", param="title")),
            api("get_game", "Genre, platform, release date, price, score and players online of a game.",
                Get("games")),
            api("list_games_by_genre", "Games of a genre, most players online first.",
                ListBy("games", by="genre", order="players_online", superlative="most-played")),
            api("get_platform_prices", "Price statistics of all games on a platform.",
                Aggregate("games", by="platform", metric="price")),
        ),
        tool(
            "achievements", "In-game achievements and how rare they are.",
            api("list_achievements", "A game's achievements, rarest first.",
                ListBy("achievements", by="game_id", order="unlock_rate", descending=False, superlative="rarest")),
            api("get_achievement", "Game, points and unlock rate of an achievement.", Get("achievements")),
        ),
        tool(
            "player_profiles", "Public gamer profiles.",
            api("search_players", "Find players whose gamertag contains the query.",
                Search("gamers", param="gamertag")),
            api("get_player_profile", "Level, hours played, country and favorite game of a player.", Get("gamers")),
        ),
        tool(
            "game_store", "Buy and refund games.",
            api("buy_game", "Buy copies of a game at its price.",
                Create("purchases", via="game_id", sets=("copies",), quantity="copies", cost=("price", "total"),
                       defaults={"status": "completed"}, phrase="buy {copies} copies of {target}")),
            api("get_purchase", "Details of a purchase.", Get("purchases")),
            api("refund_purchase", "Refund a purchase.",
                Update("purchases", field="status", value="refunded", phrase="refund {target}")),
        ),
    ),
)
