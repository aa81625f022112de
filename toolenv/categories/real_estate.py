"""Real_Estate: property listings, agents and viewings."""

from toolenv.category_spec import CategorySpec
from toolenv.spec import Aggregate, Create, F, Get, ListBy, Search, TableSpec, Update, api, tool

SPEC = CategorySpec(
    name="Real_Estate",
    description="Homes for sale, estate agents and viewing appointments.",
    tables=(
        TableSpec(
            name="agents", entity="agent", prefix="AGT", rows=24, names="{first} {last}",
            fields=(
                F.enum("agency", "agency", "Keystone Realty, Harbor Homes, Summit Estates, Urban Nest",
                       phrase="at {}"),
                F.float("rating", "client rating", 1, 5, 1),
                F.int("homes_sold", "number of homes sold", 0, 600),
            ),
        ),
        TableSpec(
            name="properties", entity="property", plural="properties", prefix="PRP", rows=80,
            names="{number} {noun} {road}", name_field="address", name_label="address",
            vocab={"number": tuple(str(n) for n in range(2, 99, 3)),
                   "road": ("Lane", "Court", "Terrace", "Row", "Gardens", "Heights", "Road")},
            fields=(
                F.ref("agent_id", "listing agent", "agents", phrase="listed by {}"),
                F.enum("home_type", "home type", "Apartment, House, Townhouse, Studio, Loft",
                       phrase="of type {}"),
                F.float("price", "asking price in thousands of USD", 80, 2500),
                F.int("bedrooms", "number of bedrooms", 0, 6),
                F.int("area_m2", "floor area in square metres", 25, 400),
            ),
        ),
        TableSpec(
            name="viewings", entity="viewing", prefix="VWG", rows=24,
            fields=(
                F.ref("property_id", "property", "properties"),
                F.date("date", "viewing date", "2025-06-02", "2025-07-31"),
                F.time("slot", "time slot", "09:00", "18:00"),
                F.enum("status", "status", "scheduled, cancelled"),
            ),
        ),
    ),
    tools=(
        tool(
            "property_listings", "Homes for sale.",
            api("search_properties", "Find properties whose address contains the query.",
                Search("properties", param="address")),
            api("get_property", "Agent, type, price, bedrooms and area of a property.", Get("properties")),
            api("list_properties_by_type", "Properties of a home type, cheapest first.",
                ListBy("properties", by="home_type", order="price", descending=False, superlative="cheapest")),
            api("get_market_stats", "Asking-price statistics of a home type.",
                Aggregate("properties", by="home_type", metric="price")),
        ),
        tool(
            "agent_directory", "Estate agents and their listings.",
            api("search_agents", "Find agents whose name contains the query.", Search("agents")),
            api("get_agent", "Agency, rating and homes sold of an agent.", Get("agents")),
            api("list_agent_listings", "An agent's listings, most expensive first.",
                ListBy("properties", by="agent_id", order="price", superlative="most expensive")),
        ),
        tool(
            "viewings", "Book property viewings.",
            api("schedule_viewing", "Book a viewing of a property on a date at a time.",
                Create("viewings", via="property_id", sets=("date", "slot"), defaults={"status": "scheduled"},
                       phrase="schedule a viewing of {target} on {date} at {slot}")),
            api("get_viewing", "Details of a viewing.", Get("viewings")),
            api("cancel_viewing", "Cancel a viewing.",
                Update("viewings", field="status", value="cancelled", phrase="cancel {target}")),
        ),
    ),
)
