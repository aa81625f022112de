"""Social: user profiles, post engagement and direct messages."""

from toolenv.category_spec import CategorySpec
from toolenv.spec import Aggregate, Create, F, Get, ListBy, Search, TableSpec, Update, api, tool

SPEC = CategorySpec(
    name="Social",
    description="Social network profiles, posts, engagement and messaging.",
    tables=(
        TableSpec(
            name="users", entity="user", prefix="USR", rows=40, names="{first} {last}",
            name_label="display name",
            fields=(
                F.text("country", "country", "{country}"),
                F.int("followers", "follower count", 10, 2000000),
                F.date("joined", "join date", "2010-01-01", "2024-12-31"),
                F.enum("tier", "account tier", "Free, Creator, Business", phrase="on the {} tier"),
            ),
        ),
        TableSpec(
            name="posts", entity="post", prefix="PST", rows=140,
            fields=(
                F.ref("user_id", "author", "users", phrase="by {}"),
                F.enum("topic", "topic", "Travel, Food, Tech, Fitness, Music, Art", phrase="about {}"),
                F.int("likes", "like count", 0, 50000),
                F.int("shares", "share count", 0, 8000),
                F.date("posted", "posting date", "2024-01-01", "2025-05-31"),
            ),
        ),
        TableSpec(
            name="messages", entity="message", prefix="MSG", rows=24,
            fields=(
                F.ref("user_id", "recipient", "users"),
                F.enum("subject", "subject", "Collaboration, Question, Feedback, Invitation"),
                F.enum("status", "status", "sent, deleted"),
            ),
        ),
    ),
    tools=(
        tool(
            "user_directory", "Public user profiles.",
            api("search_users", "Find users whose display name contains the query.", Search("users")),
            api("get_user_profile", "Country, followers, join date and tier of a user.", Get("users")),
            api("list_users_by_tier", "Users on an account tier, most followers first.",
                ListBy("users", by="tier", order="followers", superlative="most-followed")),
        ),
        tool(
            "post_analytics", "Engagement figures of posts.",
            api("list_user_posts", "A user's posts, most liked first.",
                ListBy("posts", by="user_id", order="likes", superlative="most-liked")),
            api("get_post", "Author, topic, likes, shares and date of a post.", Get("posts")),
            api("get_topic_engagement", "Like statistics of all posts about a topic.",
                Aggregate("posts", by="topic", metric="likes")),
            api("get_user_engagement", "Like statistics of a user's posts.",
                Aggregate("posts", by="user_id", metric="likes")),
        ),
        tool(
            "direct_messages", "Send and manage direct messages.",
            api("send_message", "Send a direct message with a subject to a user.",
                Create("messages", via="user_id", sets=("subject",), defaults={"status": "sent"},
                       phrase="send {target} a direct message with the subject {subject}")),
            api("get_message", "Details of a sent message.", Get("messages")),
            api("delete_message", "Delete a sent message.",
                Update("messages", field="status", value="deleted", phrase="delete {target}")),
        ),
    ),
)
