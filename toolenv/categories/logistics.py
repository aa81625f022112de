"""Logistics: shipment tracking, warehouses and freight pickups."""

from toolenv.category_spec import CategorySpec
from toolenv.spec import Aggregate, Create, F, Get, ListBy, Quote, Search, TableSpec, Update, api, tool

SPEC = CategorySpec(
    name="Logistics",
    description="Parcel tracking, warehouse hubs, handling fees and pickups.",
    tables=(
        TableSpec(
            name="warehouses", entity="warehouse", prefix="WHS", rows=24, names="{city} {hub}",
            vocab={"hub": ("Hub", "Depot", "Fulfillment Center", "Terminal")},
            fields=(
                F.enum("region", "region", "North, South, East, West", phrase="in the {} region"),
                F.int("capacity", "capacity in pallets", 500, 60000),
                F.float("utilization", "utilization in percent", 10, 99, 1),
                F.float("handling_fee", "handling fee per pallet", 2, 40),
            ),
        ),
        TableSpec(
            name="shipments", entity="shipment", prefix="SHP", rows=120, names="LL#######",
            name_field="tracking_number", name_label="tracking number",
            fields=(
                F.ref("warehouse_id", "origin warehouse", "warehouses", phrase="from {}"),
                F.enum("status", "status", "Processing, In Transit, Delayed, Delivered", phrase="with status {}"),
                F.float("weight_kg", "weight in kg", 0.2, 900, 1),
                F.date("eta", "estimated delivery date", "2025-06-01", "2025-07-15"),
                F.enum("carrier", "carrier", "Speedline, Cargoway, Northpost, Rapidex", phrase="carried by {}"),
            ),
        ),
        TableSpec(
            name="pickups", entity="pickup", prefix="PCK", rows=24,
            fields=(
                F.ref("warehouse_id", "warehouse", "warehouses"),
                F.int("pallets", "number of pallets", 1, 20),
                F.date("date", "pickup date", "2025-06-02", "2025-06-30"),
                F.enum("status", "status", "scheduled, cancelled"),
            ),
        ),
    ),
    tools=(
        tool(
            "parcel_tracking", "Track shipments.",
            api("track_shipment", "Find shipments by tracking number.",
                Search("shipments", param="tracking_number")),
            api("get_shipment", "Origin, status, weight, ETA and carrier of a shipment.", Get("shipments")),
            api("list_shipments_by_status", "Shipments with a status, heaviest first.",
                ListBy("shipments", by="status", order="weight_kg", superlative="heaviest")),
            api("get_carrier_stats", "Weight statistics of a carrier's shipments.",
                Aggregate("shipments", by="carrier", metric="weight_kg")),
        ),
        tool(
            "warehouse_network", "Warehouse hubs and fees.",
            api("search_warehouses", "Find warehouses whose name contains the query.", Search("warehouses")),
            api("get_warehouse", "Region, capacity, utilization and handling fee of a warehouse.",
                Get("warehouses")),
            api("list_warehouse_shipments", "A warehouse's shipments, earliest ETA first.",
                ListBy("shipments", by="warehouse_id", order="eta", descending=False, superlative="next-arriving")),
            api("estimate_handling_fee", "Handling fee for a number of pallets at a warehouse.",
                Quote("warehouses", price="handling_fee", quantity="pallets",
                      phrase="handling {quantity} pallets at {target}", total_label="total handling fee")),
        ),
        tool(
            "freight_pickups", "Schedule freight pickups.",
            api("schedule_pickup", "Schedule a pickup of pallets from a warehouse on a date.",
                Create("pickups", via="warehouse_id", sets=("pallets", "date"), defaults={"status": "scheduled"},
                       phrase="schedule a pickup of {pallets} pallets from {target} on {date}")),
            api("get_pickup", "Details of a pickup.", Get("pickups")),
            api("cancel_pickup", "Cancel a pickup.",
                Update("pickups", field="status", value="cancelled", phrase="cancel {target}")),
        ),
    ),
)
