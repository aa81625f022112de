"""eCommerce: a product catalog, seller directory and order management."""

from toolenv.category_spec import CategorySpec
from toolenv.spec import Aggregate, Create, F, Get, ListBy, Search, TableSpec, Update, api, tool

SPEC = CategorySpec(
    name="eCommerce",
    description="Products, sellers and online orders.",
    tables=(
        TableSpec(
            name="sellers", entity="seller", prefix="SLR", rows=30, names="{adj} {noun} Store",
            fields=(
                F.text("country", "country", "{country}"),
                F.float("rating", "seller rating", 3, 5, 1),
                F.int("years_active", "number of years active", 1, 25),
                F.enum("fulfillment", "fulfillment tier", "Express, Standard, Economy", phrase="with {} fulfillment"),
            ),
        ),
        TableSpec(
            name="products", entity="product", prefix="PRD", rows=90, names="{brand} {item} {model}",
            vocab={
                "brand": ("Zentro", "Lumio", "Veltra", "Orbix", "Kavo", "Nuvex", "Tessa", "Brio"),
                "item": ("Headphones", "Blender", "Backpack", "Desk Lamp", "Smartwatch", "Kettle", "Speaker",
                         "Monitor", "Keyboard", "Camera"),
                "model": ("X1", "S2", "Pro", "Max", "Mini", "Air", "Plus", "Lite", "3", "5", "7"),
            },
            fields=(
                F.ref("seller_id", "seller", "sellers", phrase="sold by {}"),
                F.enum("category", "product category", "Electronics, Home, Outdoors, Office, Kitchen",
                       phrase="in the {} category"),
                F.float("price", "price in USD", 9, 1200),
                F.int("stock", "number of units in stock", 0, 250),
                F.float("rating", "customer rating", 1, 5, 1),
            ),
        ),
        TableSpec(
            name="orders", entity="order", prefix="ORD", rows=30,
            fields=(
                F.ref("product_id", "product", "products"),
                F.int("quantity", "quantity", 1, 5),
                F.float("total", "order total", 9, 6000),
                F.enum("shipping", "shipping speed", "standard, express, overnight"),
                F.enum("status", "status", "placed, shipped, cancelled"),
            ),
        ),
    ),
    tools=(
        tool(
            "product_catalog", "Product listings with prices and stock.",
            api("search_products", "Find products whose name contains the query.", Search("products")),
            api("get_product", "Seller, category, price, stock and rating of a product.", Get("products")),
            api("list_products_by_category", "Products of a category, cheapest first.",
                ListBy("products", by="category", order="price", descending=False, superlative="cheapest")),
            api("get_category_prices", "Price statistics of a product category.",
                Aggregate("products", by="category", metric="price")),
        ),
        tool(
            "seller_directory", "Marketplace sellers and their catalogs.",
            api("search_sellers", "Find sellers whose name contains the query.", Search("sellers")),
            api("get_seller", "Country, rating, years active and fulfillment tier of a seller.", Get("sellers")),
            api("list_seller_products", "A seller's products, best customer rating first.",
                ListBy("products", by="seller_id", order="rating", superlative="best-rated")),
        ),
        tool(
            "order_management", "Place and manage orders.",
            api("place_order", "Order a quantity of a product; stock is reserved and the price charged.",
                Create("orders", via="product_id", sets=("quantity",), quantity="quantity", cost=("price", "total"),
                       decrement="stock", defaults={"shipping": "standard", "status": "placed"},
                       phrase="order {quantity} units of {target}")),
            api("get_order", "Details of an order.", Get("orders")),
            api("change_shipping", "Change the shipping speed of an order.",
                Update("orders", field="shipping", phrase="switch {target} to {value} shipping")),
            api("cancel_order", "Cancel an order.",
                Update("orders", field="status", value="cancelled", phrase="cancel {target}")),
        ),
    ),
)
