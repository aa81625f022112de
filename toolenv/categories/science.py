"""Science: a star catalog, an exoplanet archive and telescope scheduling."""

from toolenv.category_spec import CategorySpec
from toolenv.spec import Aggregate, Create, F, Get, ListBy, Search, TableSpec, Update, api, tool

SPEC = CategorySpec(
    name="Science",
    description="Stars, exoplanets and telescope observation requests.",
    tables=(
        TableSpec(
            name="stars", entity="star", prefix="STR", rows=36, names="{greek} {constellation}",
            vocab={"constellation": ("Lyrae", "Cygni", "Orionis", "Draconis", "Aquilae", "Centauri", "Pegasi",
                                     "Tauri", "Leonis", "Scorpii")},
            fields=(
                F.enum("spectral_type", "spectral type", "O, B, A, F, G, K, M", phrase="of spectral type {}"),
                F.float("distance_ly", "distance in light-years", 4, 3000, 1),
                F.float("magnitude", "apparent magnitude", -1, 12),
                F.float("mass_solar", "mass in solar masses", 0.1, 30),
            ),
        ),
        TableSpec(
            name="exoplanets", entity="exoplanet", prefix="EXO", rows=90, names="LLL-###",
            name_field="designation", name_label="designation",
            fields=(
                F.ref("star_id", "host star", "stars", phrase="orbiting {}"),
                F.float("radius_earth", "radius in Earth radii", 0.3, 20),
                F.float("period_days", "orbital period in days", 0.5, 900, 1),
                F.int("temperature_k", "equilibrium temperature in kelvin", 90, 2500),
                F.int("discovery_year", "discovery year", 1995, 2024),
                F.enum("method", "discovery method", "Transit, Radial Velocity, Imaging, Microlensing",
                       phrase="discovered by {}"),
            ),
        ),
        TableSpec(
            name="observations", entity="observation request", prefix="OBS", rows=24,
            fields=(
                F.ref("exoplanet_id", "exoplanet", "exoplanets"),
                F.int("hours", "observing hours", 1, 12),
                F.date("date", "observation date", "2025-09-01", "2025-12-31"),
                F.enum("instrument", "instrument", "Spectrograph, Photometer, Coronagraph"),
                F.enum("status", "status", "scheduled, cancelled"),
            ),
        ),
    ),
    tools=(
        tool(
            "star_catalog", "Stellar properties.",
            api("search_stars", "Find stars whose name contains the query.", Search("stars")),
            api("get_star", "Spectral type, distance, magnitude and mass of a star.", Get("stars")),
            api("list_stars_by_type", "Stars of a spectral type, nearest first.",
                ListBy("stars", by="spectral_type", order="distance_ly", descending=False, superlative="nearest")),
        ),
        tool(
            "exoplanet_archive", "Confirmed exoplanets.",
            api("search_exoplanets", "Find exoplanets by designation.", Search("exoplanets", param="designation")),
            api("get_exoplanet", "Host star, radius, period, temperature and discovery of an exoplanet.",
                Get("exoplanets")),
            api("list_star_planets", "Planets of a star, largest first.",
                ListBy("exoplanets", by="star_id", order="radius_earth", superlative="largest")),
            api("get_method_stats", "Radius statistics of planets found by a discovery method.",
                Aggregate("exoplanets", by="method", metric="radius_earth")),
        ),
        tool(
            "telescope_scheduler", "Observation requests for the observatory.",
            api("request_observation", "Request observing hours on an exoplanet with an instrument on a date.",
                Create("observations", via="exoplanet_id", sets=("hours", "instrument", "date"),
                       defaults={"status": "scheduled"},
                       phrase="schedule {hours} hours of {instrument} observation of {target} on {date}")),
            api("get_observation", "Details of an observation request.", Get("observations")),
            api("cancel_observation", "Cancel an observation request.",
                Update("observations", field="status", value="cancelled", phrase="cancel {target}")),
        ),
    ),
)
