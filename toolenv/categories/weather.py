"""Weather: city lookup, daily forecasts, air quality and alert subscriptions."""

from toolenv.category_spec import CategorySpec
from toolenv.spec import Aggregate, Create, F, Get, ListBy, Search, TableSpec, Update, api, tool

SPEC = CategorySpec(
    name="Weather",
    description="City climate data, seven-day forecasts, air quality and weather alerts.",
    tables=(
        TableSpec(
            name="cities", entity="city", plural="cities", prefix="CTY", rows=40, names="{city}",
            fields=(
                F.text("country", "country", "{country}"),
                F.float("latitude", "latitude", -55, 70, 2),
                F.int("elevation", "elevation in meters", 0, 2800),
                F.int("population", "population", 50000, 9000000),
                F.enum("climate", "climate", "Oceanic, Continental, Mediterranean, Arid, Tropical, Subarctic",
                       phrase="with a {} climate"),
            ),
        ),
        TableSpec(
            name="forecasts", entity="forecast", prefix="FCS", rows=140,
            fields=(
                F.ref("city_id", "city", "cities", phrase="for {}"),
                F.date("date", "forecast date", "2025-06-01", "2025-06-07"),
                F.float("high_c", "high temperature in Celsius", -5, 42, 1),
                F.float("low_c", "low temperature in Celsius", -15, 26, 1),
                F.enum("condition", "sky condition", "Sunny, Cloudy, Rain, Storm, Snow, Fog",
                       phrase="with {} conditions"),
                F.int("wind_kph", "wind speed in km/h", 0, 90),
            ),
        ),
        TableSpec(
            name="air_readings", entity="air reading", prefix="AQR", rows=90,
            fields=(
                F.ref("city_id", "city", "cities", phrase="for {}"),
                F.text("station", "monitoring station", "{noun} Station"),
                F.int("aqi", "air quality index", 5, 300),
                F.float("pm25", "PM2.5 level", 1, 150, 1),
                F.date("measured", "measurement date", "2025-05-20", "2025-05-31"),
            ),
        ),
        TableSpec(
            name="alerts", entity="alert", prefix="ALR", rows=24,
            fields=(
                F.ref("city_id", "city", "cities"),
                F.enum("alert_type", "alert type", "Heat, Frost, Storm, Air Quality"),
                F.enum("status", "status", "active, cancelled"),
            ),
        ),
    ),
    tools=(
        tool(
            "geo_lookup", "City facts and coordinates.",
            api("search_cities", "Find cities whose name contains the query.", Search("cities", param="city")),
            api("get_city_info", "Country, latitude, elevation, population and climate of a city.",
                Get("cities")),
            api("list_cities_by_climate", "Cities with a climate type, most populous first.",
                ListBy("cities", by="climate", order="population", superlative="most populous")),
        ),
        tool(
            "daily_forecast", "Seven-day forecasts per city.",
            api("list_forecast_days", "A city's forecast days, hottest first.",
                ListBy("forecasts", by="city_id", order="high_c", superlative="hottest")),
            api("get_forecast", "Temperatures, condition and wind of one forecast day.", Get("forecasts")),
            api("get_forecast_summary", "High-temperature statistics over a city's forecast.",
                Aggregate("forecasts", by="city_id", metric="high_c")),
            api("get_condition_stats", "Wind statistics of all forecast days with a sky condition.",
                Aggregate("forecasts", by="condition", metric="wind_kph")),
        ),
        tool(
            "air_quality", "Air-quality measurements from monitoring stations.",
            api("list_air_readings", "A city's air readings, most polluted first.",
                ListBy("air_readings", by="city_id", order="aqi", superlative="most polluted")),
            api("get_air_reading", "Station, AQI, PM2.5 and date of one reading.", Get("air_readings")),
        ),
        tool(
            "weather_alerts", "Subscriptions to severe-weather alerts.",
            api("create_alert", "Subscribe to alerts of one type for a city.",
                Create("alerts", via="city_id", sets=("alert_type",), defaults={"status": "active"},
                       phrase="subscribe me to {alert_type} alerts for {target}")),
            api("get_alert", "Details of an alert subscription.", Get("alerts")),
            api("cancel_alert", "Cancel an alert subscription.",
                Update("alerts", field="status", value="cancelled", phrase="cancel {target}")),
        ),
    ),
)
