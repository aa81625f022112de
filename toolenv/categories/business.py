"""Business: a CRM with accounts, contacts and a sales pipeline."""

from toolenv.category_spec import CategorySpec
from toolenv.spec import Aggregate, Create, F, Get, ListBy, Search, TableSpec, Update, api, tool

SPEC = CategorySpec(
    name="Business",
    description="Customer accounts, contacts and the sales pipeline.",
    tables=(
        TableSpec(
            name="accounts", entity="account", prefix="ACC", rows=36, names="{adj} {noun} {suffix}",
            vocab={"suffix": ("Logistics", "Foods", "Media", "Robotics", "Textiles", "Motors", "Pharma")},
            fields=(
                F.enum("industry", "industry", "Retail, Manufacturing, Healthcare, Software, Hospitality, Energy",
                       phrase="in the {} industry"),
                F.text("country", "country", "{country}"),
                F.float("annual_revenue", "annual revenue in millions of USD", 0.5, 900),
                F.int("employees", "number of employees", 5, 60000),
            ),
        ),
        TableSpec(
            name="contacts", entity="contact", prefix="CNT", rows=90, names="{first} {last}",
            fields=(
                F.ref("account_id", "account", "accounts", phrase="at {}"),
                F.enum("role", "role", "CEO, CFO, Buyer, Engineer, Manager", phrase="working as {}"),
                F.int("experience", "number of years of experience", 1, 35),
                F.date("last_contacted", "last contact date", "2024-01-01", "2025-05-31"),
            ),
        ),
        TableSpec(
            name="deals", entity="deal", prefix="DEL", rows=90,
            fields=(
                F.ref("account_id", "account", "accounts", phrase="with {}"),
                F.enum("stage", "stage", "Prospecting, Proposal, Negotiation, Won, Lost", phrase="in the {} stage"),
                F.float("value", "deal value in USD", 1000, 900000),
                F.date("close_date", "expected close date", "2025-06-01", "2026-03-31"),
            ),
        ),
    ),
    tools=(
        tool(
            "crm_accounts", "Customer accounts and firmographics.",
            api("search_accounts", "Find accounts whose name contains the query.", Search("accounts")),
            api("get_account", "Industry, country, revenue and headcount of an account.", Get("accounts")),
            api("list_accounts_by_industry", "Accounts of an industry, highest revenue first.",
                ListBy("accounts", by="industry", order="annual_revenue", superlative="highest-revenue")),
        ),
        tool(
            "crm_contacts", "People at customer accounts.",
            api("search_contacts", "Find contacts whose name contains the query.", Search("contacts")),
            api("get_contact", "Account, role, experience and last contact date of a contact.", Get("contacts")),
            api("list_account_contacts", "Contacts at an account, most experienced first.",
                ListBy("contacts", by="account_id", order="experience", superlative="most experienced")),
        ),
        tool(
            "sales_pipeline", "Deals and forecasts.",
            api("create_deal", "Open a deal with an account for a value and expected close date.",
                Create("deals", via="account_id", sets=("value", "close_date"), defaults={"stage": "Prospecting"},
                       phrase="open a deal worth {value} USD with {target}, closing on {close_date}")),
            api("get_deal", "Account, stage, value and close date of a deal.", Get("deals")),
            api("update_deal_stage", "Move a deal to another stage.",
                Update("deals", field="stage", phrase="move {target} to the {value} stage")),
            api("get_account_pipeline", "Deal-value statistics of an account's deals.",
                Aggregate("deals", by="account_id", metric="value")),
            api("list_deals_by_stage", "Deals in a stage, largest value first.",
                ListBy("deals", by="stage", order="value", superlative="largest")),
        ),
    ),
)
