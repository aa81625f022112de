"""Finance: company fundamentals, stock quotes and a brokerage portfolio."""

from toolenv.category_spec import CategorySpec
from toolenv.spec import Aggregate, Create, F, Get, ListBy, Search, TableSpec, Update, api, tool

SPEC = CategorySpec(
    name="Finance",
    description="Company fundamentals, market quotes and a brokerage account.",
    tables=(
        TableSpec(
            name="companies", entity="company", plural="companies", prefix="CMP", rows=36,
            names="{adj} {noun} {suffix}",
            vocab={"suffix": ("Holdings", "Group", "Industries", "Capital", "Systems", "Labs", "Partners")},
            fields=(
                F.enum("sector", "sector", "Technology, Energy, Healthcare, Utilities, Financials, Industrials",
                       phrase="in the {} sector"),
                F.text("country", "headquarters country", "{country}"),
                F.int("employees", "number of employees", 40, 250000),
                F.date("founded", "founding date", "1950-01-01", "2018-12-31"),
                F.text("ceo", "chief executive", "{first} {last}"),
            ),
        ),
        TableSpec(
            name="stocks", entity="stock", prefix="STK", rows=48, names="LLLL",
            name_field="ticker", name_label="ticker symbol",
            fields=(
                F.ref("company_id", "issuing company", "companies", phrase="issued by company {}"),
                F.enum("exchange", "exchange", "NYSE, NASDAQ, LSE, TSX, XETRA", phrase="listed on {}"),
                F.float("price", "share price", 4, 950),
                F.int("volume", "daily trading volume", 10000, 9000000),
                F.float("pe_ratio", "price-to-earnings ratio", 4, 80, 1),
                F.float("dividend_yield", "dividend yield", 0, 7),
            ),
        ),
        TableSpec(
            name="positions", entity="position", prefix="POS", rows=30,
            fields=(
                F.ref("stock_id", "stock", "stocks"),
                F.int("shares", "number of shares", 1, 500),
                F.float("cost_basis", "cost basis", 10, 400000),
                F.enum("status", "status", "open, closed"),
            ),
        ),
    ),
    tools=(
        tool(
            "company_profiles", "Corporate profiles: sector, headquarters, staff and leadership.",
            api("search_companies", "Find companies whose name contains the query.", Search("companies")),
            api("get_company_profile", "Full profile of one company.", Get("companies")),
            api("list_companies_by_sector", "Companies in a sector, largest workforce first.",
                ListBy("companies", by="sector", order="employees", superlative="largest by headcount")),
        ),
        tool(
            "stock_quotes", "End-of-day market data for listed stocks.",
            api("search_ticker", "Look up stocks by ticker symbol.", Search("stocks", param="symbol")),
            api("get_quote", "Latest quote and valuation metrics for a stock.", Get("stocks")),
            api("list_stocks_by_company", "Stocks issued by a company, highest share price first.",
                ListBy("stocks", by="company_id", order="price", superlative="highest-priced")),
            api("get_exchange_summary", "Share-price statistics for all stocks on an exchange.",
                Aggregate("stocks", by="exchange", metric="price")),
        ),
        tool(
            "brokerage_account", "Trade and manage positions in the user's brokerage account.",
            api("buy_shares", "Buy shares of a stock at the current price, opening a position.",
                Create("positions", via="stock_id", sets=("shares",), quantity="shares",
                       cost=("price", "cost_basis"), defaults={"status": "open"},
                       phrase="buy {shares} shares of {target}")),
            api("get_position", "Details of one position in the account.", Get("positions")),
            api("close_position", "Close an open position.",
                Update("positions", field="status", value="closed", phrase="close {target}")),
        ),
    ),
)
