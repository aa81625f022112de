"""News_Media: outlets, article search and subscriptions."""

from toolenv.category_spec import CategorySpec
from toolenv.spec import Create, F, Get, ListBy, Search, TableSpec, Update, api, tool

SPEC = CategorySpec(
    name="News_Media",
    description="News outlets, articles and reader subscriptions.",
    tables=(
        TableSpec(
            name="outlets", entity="outlet", prefix="OUT", rows=30, names="The {city} {paper}",
            vocab={"paper": ("Herald", "Tribune", "Gazette", "Courier", "Chronicle", "Observer", "Sentinel", "Post")},
            fields=(
                F.text("country", "country", "{country}"),
                F.int("founded", "founding year", 1800, 2015),
                F.int("circulation", "daily circulation", 5000, 2500000),
                F.enum("format", "format", "Print, Digital, Broadcast", phrase="publishing in {} format"),
                F.float("monthly_price", "monthly subscription price", 3, 30),
            ),
        ),
        TableSpec(
            name="articles", entity="article", prefix="ATC", rows=120, names="{adj} {noun} {story}",
            name_field="headline", name_label="headline",
            vocab={"story": ("Report", "Debate", "Crisis", "Summit", "Deal", "Revival", "Scandal", "Forecast",
                             "Reform", "Rally")},
            fields=(
                F.ref("outlet_id", "publisher", "outlets", phrase="from {}"),
                F.enum("topic", "topic", "Politics, Economy, Science, Culture, Sports, Health", phrase="about {}"),
                F.date("published", "publication date", "2025-01-01", "2025-05-31"),
                F.int("word_count", "word count", 300, 4000),
                F.int("reads", "read count", 100, 900000),
            ),
        ),
        TableSpec(
            name="subscriptions", entity="subscription", prefix="SUB", rows=24,
            fields=(
                F.ref("outlet_id", "outlet", "outlets"),
                F.enum("plan", "plan", "Standard, Premium, Student"),
                F.int("months", "number of months", 1, 24),
                F.float("total", "total price", 3, 720),
                F.enum("status", "status", "active, cancelled"),
            ),
        ),
    ),
    tools=(
        tool(
            "outlet_directory", "Newspapers and broadcasters.",
            api("search_outlets", "Find outlets whose name contains the query.", Search("outlets")),
            api("get_outlet", "Country, founding year, circulation, format and price of an outlet.",
                Get("outlets")),
            api("list_outlets_by_format", "Outlets of a format, largest circulation first.",
                ListBy("outlets", by="format", order="circulation", superlative="largest")),
        ),
        tool(
            "article_search", "Articles and readership.",
            api("search_articles", "Find articles whose headline contains the query.",
                Search("articles", param="headline")),
            api("get_article", "Publisher, topic, date, length and reads of an article.", Get("articles")),
            api("list_articles_by_topic", "Articles about a topic, most read first.",
                ListBy("articles", by="topic", order="reads", superlative="most-read")),
            api("list_outlet_articles", "An outlet's articles, newest first.",
                ListBy("articles", by="outlet_id", order="published", superlative="most recent")),
        ),
        tool(
            "subscriptions", "Reader subscriptions to outlets.",
            api("subscribe", "Subscribe to an outlet on a plan for some months at its monthly price.",
                Create("subscriptions", via="outlet_id", sets=("plan", "months"), quantity="months",
                       cost=("monthly_price", "total"), defaults={"status": "active"},
                       phrase="subscribe me to {target} on the {plan} plan for {months} months")),
            api("get_subscription", "Details of a subscription.", Get("subscriptions")),
            api("cancel_subscription", "Cancel a subscription.",
                Update("subscriptions", field="status", value="cancelled", phrase="cancel {target}")),
        ),
    ),
)
