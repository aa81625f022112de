"""Medical: a drug database, provider directory and appointments."""

from toolenv.category_spec import CategorySpec
from toolenv.spec import Create, F, Get, ListBy, Search, TableSpec, Update, api, tool

SPEC = CategorySpec(
    name="Medical",
    description="Medicines, clinics, doctors and appointment booking.",
    tables=(
        TableSpec(
            name="drugs", entity="drug", prefix="DRG", rows=50, names="{head}{mid}{tail}",
            vocab={
                "head": ("Ba", "Cor", "Da", "El", "Fen", "Ga", "Hal", "Ix", "Jo", "Ka", "Lor", "Mer", "Nor", "Ob",
                         "Pra", "Quo", "Ren", "Sol", "Tav", "Ul", "Vex", "Wyn", "Zel"),
                "mid": ("ra", "li", "to", "ve", "ne", "mo", "xi", "sa"),
                "tail": ("pril", "zole", "statin", "mab", "cillin", "dronate", "pine", "tide"),
            },
            fields=(
                F.enum("drug_class", "drug class",
                       "Analgesic, Antibiotic, Antiviral, Statin, Antihistamine, Beta Blocker",
                       phrase="in the {} class"),
                F.int("dose_mg", "standard dose in mg", 5, 1000),
                F.float("price", "price per pack in USD", 2, 300),
                F.int("pack_size", "number of tablets per pack", 10, 120),
            ),
        ),
        TableSpec(
            name="clinics", entity="clinic", prefix="CLN", rows=24, names="{city} {noun} Clinic",
            fields=(
                F.enum("care", "type of care", "General, Pediatric, Dental, Cardiology, Dermatology",
                       phrase="offering {} care"),
                F.float("rating", "patient rating", 1, 5, 1),
                F.int("wait_days", "average wait in days", 0, 45),
            ),
        ),
        TableSpec(
            name="doctors", entity="doctor", prefix="DOC", rows=80, names="Dr. {first} {last}",
            fields=(
                F.ref("clinic_id", "clinic", "clinics", phrase="at {}"),
                F.enum("specialty", "specialty", "Cardiology, Dermatology, Pediatrics, Neurology, Orthopedics, "
                       "Family Medicine", phrase="specializing in {}"),
                F.int("experience", "number of years of experience", 1, 40),
                F.float("fee", "consultation fee in USD", 40, 400),
                F.int("open_slots", "number of open appointment slots", 0, 12),
            ),
        ),
        TableSpec(
            name="appointments", entity="appointment", prefix="APT", rows=24,
            fields=(
                F.ref("doctor_id", "doctor", "doctors"),
                F.date("date", "appointment date", "2025-06-02", "2025-06-30"),
                F.float("fee", "fee", 40, 400),
                F.enum("status", "status", "booked, cancelled"),
            ),
        ),
    ),
    tools=(
        tool(
            "drug_database", "Medicines, doses and prices.",
            api("search_drugs", "Find drugs whose name contains the query.", Search("drugs")),
            api("get_drug_info", "Class, standard dose, price and pack size of a drug.", Get("drugs")),
            api("list_drugs_by_class", "Drugs of a class, cheapest first.",
                ListBy("drugs", by="drug_class", order="price", descending=False, superlative="cheapest")),
        ),
        tool(
            "provider_directory", "Clinics and doctors.",
            api("search_doctors", "Find doctors whose name contains the query.", Search("doctors")),
            api("get_doctor", "Clinic, specialty, experience, fee and open slots of a doctor.", Get("doctors")),
            api("list_clinic_doctors", "A clinic's doctors, most experienced first.",
                ListBy("doctors", by="clinic_id", order="experience", superlative="most experienced")),
            api("search_clinics", "Find clinics whose name contains the query.", Search("clinics")),
            api("get_clinic", "Type of care, rating and average wait of a clinic.", Get("clinics")),
        ),
        tool(
            "appointments", "Book and cancel appointments.",
            api("book_appointment", "Book an appointment with a doctor on a date; the fee is charged.",
                Create("appointments", via="doctor_id", sets=("date",), cost=("fee", "fee"),
                       decrement="open_slots", defaults={"status": "booked"},
                       phrase="book an appointment with {target} on {date}")),
            api("get_appointment", "Details of an appointment.", Get("appointments")),
            api("cancel_appointment", "Cancel an appointment.",
                Update("appointments", field="status", value="cancelled", phrase="cancel {target}")),
        ),
    ),
)
