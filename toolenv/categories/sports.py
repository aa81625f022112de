"""Sports: teams, player statistics, match results and a fantasy league."""

from toolenv.category_spec import CategorySpec
from toolenv.spec import Aggregate, Create, F, Get, ListBy, Search, TableSpec, Update, api, tool

SPEC = CategorySpec(
    name="Sports",
    description="Football club data, player statistics, results and fantasy teams.",
    tables=(
        TableSpec(
            name="teams", entity="team", prefix="TEM", rows=30, names="{city} {animal}s",
            fields=(
                F.enum("league", "league", "Premier Division, Coastal League, Northern Cup, Metro League",
                       phrase="in the {}"),
                F.int("founded", "founding year", 1880, 2010),
                F.int("stadium_capacity", "stadium capacity", 5000, 90000),
                F.int("titles", "number of titles", 0, 30),
                F.text("coach", "head coach", "{first} {last}"),
            ),
        ),
        TableSpec(
            name="players", entity="player", prefix="PLY", rows=90, names="{first} {last}",
            fields=(
                F.ref("team_id", "team", "teams", phrase="on the team {}"),
                F.enum("position", "position", "Goalkeeper, Defender, Midfielder, Forward",
                       phrase="in the {} position"),
                F.int("age", "age", 17, 38),
                F.int("goals", "number of goals this season", 0, 40),
                F.float("market_value", "market value in millions of EUR", 0.1, 120),
            ),
        ),
        TableSpec(
            name="matches", entity="match", plural="matches", prefix="MTC", rows=90,
            fields=(
                F.ref("team_id", "team", "teams", phrase="played by {}"),
                F.text("opponent", "opponent", "{city} {animal}s"),
                F.date("date", "match date", "2024-08-01", "2025-05-31"),
                F.int("goals_for", "number of goals scored", 0, 6),
                F.int("goals_against", "number of goals conceded", 0, 6),
                F.int("attendance", "attendance", 3000, 90000),
            ),
        ),
        TableSpec(
            name="picks", entity="fantasy pick", prefix="FAN", rows=24,
            fields=(
                F.ref("player_id", "player", "players"),
                F.enum("slot", "roster slot", "Starter, Bench, Captain"),
                F.enum("status", "status", "active, released"),
            ),
        ),
    ),
    tools=(
        tool(
            "team_directory", "Clubs, leagues, stadiums and honours.",
            api("search_teams", "Find teams whose name contains the query.", Search("teams")),
            api("get_team", "League, founding year, stadium, titles and coach of a team.", Get("teams")),
            api("list_teams_by_league", "Teams of a league, most titles first.",
                ListBy("teams", by="league", order="titles", superlative="most decorated")),
        ),
        tool(
            "player_stats", "Season statistics of players.",
            api("search_players", "Find players whose name contains the query.", Search("players")),
            api("get_player_stats", "Team, position, age, goals and market value of a player.", Get("players")),
            api("list_players_by_team", "Players of a team, top scorer first.",
                ListBy("players", by="team_id", order="goals", superlative="top-scoring")),
            api("get_position_stats", "Goal statistics of all players in a position.",
                Aggregate("players", by="position", metric="goals")),
        ),
        tool(
            "match_results", "Results of this season's matches.",
            api("list_matches_by_team", "Matches of a team, most recent first.",
                ListBy("matches", by="team_id", order="date", superlative="most recent")),
            api("get_match", "Opponent, date, score and attendance of a match.", Get("matches")),
            api("get_team_scoring", "Goals-scored statistics of a team's matches.",
                Aggregate("matches", by="team_id", metric="goals_for")),
        ),
        tool(
            "fantasy_league", "The user's fantasy football roster.",
            api("draft_player", "Add a player to the user's fantasy roster in a slot.",
                Create("picks", via="player_id", sets=("slot",), defaults={"status": "active"},
                       phrase="draft {target} into my fantasy team as {slot}")),
            api("get_fantasy_pick", "Details of one fantasy roster pick.", Get("picks")),
            api("release_player", "Release a pick from the fantasy roster.",
                Update("picks", field="status", value="released", phrase="release {target}")),
        ),
    ),
)
