"""Food: restaurant discovery, menus with nutrition, and delivery orders."""

from toolenv.category_spec import CategorySpec
from toolenv.spec import Aggregate, Create, F, Get, ListBy, Quote, Search, TableSpec, Update, api, tool

SPEC = CategorySpec(
    name="Food",
    description="Restaurants, menus, nutrition estimates and food delivery.",
    tables=(
        TableSpec(
            name="restaurants", entity="restaurant", prefix="RST", rows=36, names="{adj} {noun} {suffix}",
            vocab={"suffix": ("Bistro", "Kitchen", "Grill", "Cafe", "Trattoria", "Diner", "Brasserie")},
            fields=(
                F.enum("cuisine", "cuisine", "Italian, Japanese, Mexican, Indian, French, Thai, Lebanese, Peruvian",
                       phrase="serving {} food"),
                F.text("city", "city", "{city}"),
                F.float("rating", "average rating", 2.5, 5, 1),
                F.int("price_level", "price level", 1, 4),
                F.int("seats", "seating capacity", 20, 200),
            ),
        ),
        TableSpec(
            name="dishes", entity="dish", plural="dishes", prefix="DSH", rows=90, names="{style} {dish}",
            vocab={
                "style": ("Smoked", "Grilled", "Spicy", "Crispy", "Braised", "Roasted", "Glazed", "Stuffed",
                          "Charred", "Herbed", "Zesty", "Creamy"),
                "dish": ("Tacos", "Ramen", "Risotto", "Curry", "Dumplings", "Salad", "Burger", "Gnocchi", "Paella",
                         "Falafel", "Ceviche", "Lasagna", "Noodles", "Skewers", "Flatbread", "Chowder"),
            },
            fields=(
                F.ref("restaurant_id", "restaurant", "restaurants", phrase="on the menu of {}"),
                F.float("price", "price", 4, 48),
                F.int("calories", "calories per serving", 120, 1400),
                F.enum("spice_level", "spice level", "mild, medium, hot", phrase="rated {}"),
            ),
        ),
        TableSpec(
            name="orders", entity="order", prefix="ORD", rows=24,
            fields=(
                F.ref("dish_id", "dish", "dishes"),
                F.int("quantity", "quantity", 1, 10),
                F.float("total", "order total", 4, 480),
                F.enum("status", "status", "placed, delivered, cancelled"),
            ),
        ),
    ),
    tools=(
        tool(
            "restaurant_finder", "Restaurant listings and ratings.",
            api("search_restaurants", "Find restaurants whose name contains the query.", Search("restaurants")),
            api("get_restaurant", "Cuisine, city, rating, price level and capacity of a restaurant.",
                Get("restaurants")),
            api("list_restaurants_by_cuisine", "Restaurants of a cuisine, best rated first.",
                ListBy("restaurants", by="cuisine", order="rating", superlative="best-rated")),
        ),
        tool(
            "menu_browser", "Menus, prices and nutrition.",
            api("search_dishes", "Find dishes whose name contains the query.", Search("dishes")),
            api("get_dish", "Restaurant, price, calories and spice level of a dish.", Get("dishes")),
            api("list_menu", "A restaurant's dishes, most expensive first.",
                ListBy("dishes", by="restaurant_id", order="price", superlative="most expensive")),
            api("get_menu_stats", "Price statistics of a restaurant's menu.",
                Aggregate("dishes", by="restaurant_id", metric="price")),
            api("estimate_calories", "Calories of several servings of a dish.",
                Quote("dishes", price="calories", quantity="servings", phrase="{quantity} servings of {target}",
                      total_label="total calories")),
        ),
        tool(
            "food_delivery", "Order dishes for delivery.",
            api("place_order", "Order a quantity of a dish; charged at the menu price.",
                Create("orders", via="dish_id", sets=("quantity",), quantity="quantity", cost=("price", "total"),
                       defaults={"status": "placed"}, phrase="order {quantity} portions of {target}")),
            api("get_order", "Details of a delivery order.", Get("orders")),
            api("cancel_order", "Cancel a delivery order.",
                Update("orders", field="status", value="cancelled", phrase="cancel {target}")),
        ),
    ),
)
