"""Health_and_Fitness: an exercise library, nutrition facts and studio classes."""

from toolenv.category_spec import CategorySpec
from toolenv.spec import Aggregate, Create, F, Get, ListBy, Quote, Search, TableSpec, api, tool

SPEC = CategorySpec(
    name="Health_and_Fitness",
    description="Exercises, food nutrition and fitness class booking.",
    tables=(
        TableSpec(
            name="exercises", entity="exercise", prefix="EXR", rows=40, names="{adj} {move}",
            vocab={"move": ("Squat", "Lunge", "Plank", "Row", "Press", "Curl", "Deadlift", "Burpee", "Crunch",
                            "Bridge", "Pull-up", "Sprint")},
            fields=(
                F.enum("muscle_group", "muscle group", "Legs, Core, Back, Chest, Arms, Full Body",
                       phrase="targeting {}"),
                F.enum("difficulty", "difficulty", "Beginner, Intermediate, Advanced"),
                F.float("calories_per_min", "calories burned per minute", 3, 16, 1),
                F.enum("equipment", "equipment", "Bodyweight, Dumbbells, Barbell, Kettlebell, Band"),
            ),
        ),
        TableSpec(
            name="foods", entity="food", prefix="FOD", rows=50, names="{adj} {food}",
            vocab={"food": ("Oats", "Yogurt", "Lentils", "Salmon", "Quinoa", "Almonds", "Tofu", "Spinach", "Rice",
                            "Chickpeas", "Avocado", "Eggs")},
            fields=(
                F.enum("food_group", "food group", "Grain, Dairy, Legume, Fish, Nut, Vegetable, Fruit",
                       phrase="in the {} food group"),
                F.int("calories", "calories per serving", 20, 650),
                F.float("protein_g", "protein per serving in grams", 0, 40, 1),
            ),
        ),
        TableSpec(
            name="classes", entity="class", plural="classes", prefix="CLS", rows=60, names="{adj} {style}",
            vocab={"style": ("Spin", "Yoga", "Pilates", "HIIT", "Boxing", "Zumba", "Barre", "CrossFit")},
            fields=(
                F.enum("studio", "studio", "Downtown, Riverside, Uptown, Harbor", phrase="at the {} studio"),
                F.time("start_time", "start time", "06:00", "21:00"),
                F.int("spots_left", "number of open spots", 0, 30),
                F.float("price", "drop-in price", 8, 35),
                F.ref("signature_exercise_id", "signature exercise", "exercises"),
            ),
        ),
        TableSpec(
            name="class_bookings", entity="class booking", prefix="CBK", rows=24,
            fields=(
                F.ref("class_id", "class", "classes"),
                F.int("spots", "number of spots", 1, 4),
                F.float("total", "total price", 8, 140),
                F.enum("status", "status", "booked, cancelled"),
            ),
        ),
    ),
    tools=(
        tool(
            "exercise_library", "Exercises and their intensity.",
            api("search_exercises", "Find exercises whose name contains the query.", Search("exercises")),
            api("get_exercise", "Muscle group, difficulty, calorie burn and equipment of an exercise.",
                Get("exercises")),
            api("list_exercises_by_muscle", "Exercises for a muscle group, most intense first.",
                ListBy("exercises", by="muscle_group", order="calories_per_min", superlative="most intense")),
            api("get_muscle_group_stats", "Calorie-burn statistics of a muscle group's exercises.",
                Aggregate("exercises", by="muscle_group", metric="calories_per_min")),
        ),
        tool(
            "nutrition", "Nutrition facts per serving.",
            api("search_foods", "Find foods whose name contains the query.", Search("foods")),
            api("get_nutrition_facts", "Food group, calories and protein of a food.", Get("foods")),
            api("estimate_calories", "Calories of several servings of a food.",
                Quote("foods", price="calories", quantity="servings", phrase="{quantity} servings of {target}",
                      total_label="total calories")),
            api("list_foods_by_group", "Foods of a group, most protein first.",
                ListBy("foods", by="food_group", order="protein_g", superlative="most protein-rich")),
        ),
        tool(
            "fitness_classes", "Studio classes and bookings.",
            api("search_classes", "Find classes whose name contains the query.", Search("classes")),
            api("get_class", "Studio, start time, open spots, price and signature exercise of a class.",
                Get("classes")),
            api("list_classes_by_studio", "A studio's classes, earliest first.",
                ListBy("classes", by="studio", order="start_time", descending=False, superlative="earliest")),
            api("book_class", "Book spots in a class at its drop-in price.",
                Create("class_bookings", via="class_id", sets=("spots",), quantity="spots", cost=("price", "total"),
                       decrement="spots_left", defaults={"status": "booked"},
                       phrase="book {spots} spots in {target}")),
            api("get_class_booking", "Details of a class booking.", Get("class_bookings")),
        ),
    ),
)
