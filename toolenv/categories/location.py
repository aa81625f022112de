"""Location: geocoding, points of interest and saved places."""

from toolenv.category_spec import CategorySpec
from toolenv.spec import Aggregate, Create, F, Get, ListBy, Quote, Search, TableSpec, Update, api, tool

SPEC = CategorySpec(
    name="Location",
    description="Cities, points of interest, entry costs and saved places.",
    tables=(
        TableSpec(
            name="cities", entity="city", plural="cities", prefix="CIT", rows=40, names="{city}",
            fields=(
                F.text("country", "country", "{country}"),
                F.int("population", "population", 40000, 9000000),
                F.float("area_km2", "area in square kilometres", 20, 3000, 1),
                F.enum("region", "region", "North, South, East, West, Central", phrase="in the {} region"),
            ),
        ),
        TableSpec(
            name="places", entity="place", prefix="PLC", rows=120, names="{adj} {noun} {kind}",
            vocab={"kind": ("Park", "Museum", "Market", "Gallery", "Tower", "Garden", "Square", "Library")},
            fields=(
                F.ref("city_id", "city", "cities", phrase="in {}"),
                F.enum("category", "place category", "Nature, Culture, Shopping, Landmark, Leisure",
                       phrase="in the {} category"),
                F.float("rating", "visitor rating", 1, 5, 1),
                F.int("visitors", "number of yearly visitors", 500, 3000000),
                F.float("entry_fee", "entry fee in EUR", 0, 40),
            ),
        ),
        TableSpec(
            name="saved_places", entity="saved place", prefix="SAV", rows=24,
            fields=(
                F.ref("place_id", "place", "places"),
                F.enum("collection", "collection", "Favorites, Want to Go, Visited"),
                F.enum("status", "status", "saved, removed"),
            ),
        ),
    ),
    tools=(
        tool(
            "geocoding", "City facts and regions.",
            api("search_cities", "Find cities whose name contains the query.", Search("cities")),
            api("get_city", "Country, population, area and region of a city.", Get("cities")),
            api("list_cities_by_region", "Cities of a region, most populous first.",
                ListBy("cities", by="region", order="population", superlative="most populous")),
        ),
        tool(
            "places_directory", "Points of interest, ratings and fees.",
            api("search_places", "Find places whose name contains the query.", Search("places")),
            api("get_place", "City, category, rating, visitors and entry fee of a place.", Get("places")),
            api("list_places_in_city", "A city's places, best rated first.",
                ListBy("places", by="city_id", order="rating", superlative="top-rated")),
            api("estimate_entry_cost", "Total entry fee for a number of visitors.",
                Quote("places", price="entry_fee", quantity="visitors", phrase="{quantity} visitors to {target}",
                      total_label="total entry cost")),
            api("get_category_ratings", "Rating statistics of all places in a category.",
                Aggregate("places", by="category", metric="rating")),
        ),
        tool(
            "saved_places", "The user's saved places.",
            api("save_place", "Save a place to one of the user's collections.",
                Create("saved_places", via="place_id", sets=("collection",), defaults={"status": "saved"},
                       phrase="save {target} to my {collection} collection")),
            api("get_saved_place", "Details of a saved place.", Get("saved_places")),
            api("remove_saved_place", "Remove a saved place.",
                Update("saved_places", field="status", value="removed", phrase="remove {target}")),
        ),
    ),
)
