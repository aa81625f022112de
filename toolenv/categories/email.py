"""Email: mailbox administration, inbox search and mail actions."""

from toolenv.category_spec import CategorySpec
from toolenv.spec import Aggregate, Create, F, Get, ListBy, Search, TableSpec, Update, api, tool

SPEC = CategorySpec(
    name="Email",
    description="Company mailboxes, messages and sending mail.",
    tables=(
        TableSpec(
            name="mailboxes", entity="mailbox", plural="mailboxes", prefix="MBX", rows=30, names="{first} {last}",
            name_label="owner name",
            fields=(
                F.enum("department", "department", "Sales, Support, Engineering, Finance, Legal",
                       phrase="in the {} department"),
                F.int("quota_gb", "storage quota in GB", 5, 100),
                F.float("used_gb", "storage used in GB", 0.1, 95),
            ),
        ),
        TableSpec(
            name="messages", entity="message", prefix="MSG", rows=150, names="{adj} {noun} {topic}",
            name_field="subject", name_label="subject",
            vocab={"topic": ("Update", "Invoice", "Reminder", "Proposal", "Agenda", "Report", "Request")},
            fields=(
                F.ref("mailbox_id", "mailbox", "mailboxes", phrase="in the mailbox of {}"),
                F.enum("folder", "folder", "Inbox, Archive, Spam, Important", phrase="in the {} folder"),
                F.text("sender", "sender", "{first} {last}"),
                F.int("size_kb", "size in KB", 2, 25000),
                F.date("received", "received date", "2025-01-01", "2025-05-31"),
            ),
        ),
        TableSpec(
            name="outgoing", entity="sent email", prefix="OUT", rows=24,
            fields=(
                F.ref("mailbox_id", "mailbox", "mailboxes"),
                F.enum("priority", "priority", "low, normal, high"),
                F.enum("status", "status", "sent, recalled"),
            ),
        ),
    ),
    tools=(
        tool(
            "mailbox_admin", "Mailbox owners and storage.",
            api("search_mailboxes", "Find mailboxes whose owner name contains the query.", Search("mailboxes")),
            api("get_mailbox", "Department, quota and used storage of a mailbox.", Get("mailboxes")),
            api("list_mailboxes_by_department", "Mailboxes of a department, most storage used first.",
                ListBy("mailboxes", by="department", order="used_gb", superlative="fullest")),
        ),
        tool(
            "inbox", "Read and search messages.",
            api("search_messages", "Find messages whose subject contains the query.",
                Search("messages", param="subject")),
            api("get_message", "Mailbox, folder, sender, size and date of a message.", Get("messages")),
            api("list_messages", "A mailbox's messages, most recently received first.",
                ListBy("messages", by="mailbox_id", order="received", superlative="most recent")),
            api("get_folder_stats", "Size statistics of all messages in a folder.",
                Aggregate("messages", by="folder", metric="size_kb")),
        ),
        tool(
            "mail_actions", "Move, send and recall mail.",
            api("move_message", "Move a message to another folder.",
                Update("messages", field="folder", phrase="move {target} to the {value} folder")),
            api("send_email", "Send an email from a mailbox with a priority.",
                Create("outgoing", via="mailbox_id", sets=("priority",), defaults={"status": "sent"},
                       phrase="send a {priority}-priority email from {target}")),
            api("get_sent_email", "Details of a sent email.", Get("outgoing")),
            api("recall_email", "Recall a sent email.",
                Update("outgoing", field="status", value="recalled", phrase="recall {target}")),
        ),
    ),
)
