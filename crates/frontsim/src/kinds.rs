//! The kinds of resource the simulator knows, by the names of connector.json's `resources`.
//!
//! Some are kept as typed structs in [`crate::world::World`] (conversations, contacts, tags…:
//! the core operations' resources, with behaviour of their own); the rest are kept as JSON
//! objects in the world's generic store, built from Front's response schemas.

/// One kind of resource.
#[derive(Debug)]
pub struct Kind {
    /// The connector's resource name (`message_template`).
    pub resource: &'static str,
    /// Where one object lives: `_links.self` is `{base}/{collection}/{id}`.
    pub collection: &'static str,
    /// As named in messages (`Message template`).
    pub label: &'static str,
    /// The response schemas an object of this kind is shown as; a stored object carries the
    /// required fields of all of them, so that it answers as any.
    pub schemas: &'static [&'static str],
    /// Kept as a typed struct in the world rather than in the generic store.
    pub typed: bool,
    /// The id prefix for kinds that connector.json does not list.
    pub fallback_prefix: &'static str,
}

const fn typed(resource: &'static str, collection: &'static str, label: &'static str) -> Kind {
    Kind {
        resource,
        collection,
        label,
        schemas: &[],
        typed: true,
        fallback_prefix: "",
    }
}

const fn stored(
    resource: &'static str,
    collection: &'static str,
    label: &'static str,
    schemas: &'static [&'static str],
    fallback_prefix: &'static str,
) -> Kind {
    Kind {
        resource,
        collection,
        label,
        schemas,
        typed: false,
        fallback_prefix,
    }
}

pub const KINDS: &[Kind] = &[
    typed("teammate", "teammates", "Teammate"),
    typed("inbox", "inboxes", "Inbox"),
    typed("channel", "channels", "Channel"),
    typed("tag", "tags", "Tag"),
    typed("contact", "contacts", "Contact"),
    typed("contact_list", "contact_lists", "Contact list"),
    typed("account", "accounts", "Account"),
    typed("conversation", "conversations", "Conversation"),
    typed("message", "messages", "Message"),
    typed("comment", "comments", "Comment"),
    typed("event", "events", "Event"),
    typed("attachment", "download", "Attachment"),
    stored(
        "team",
        "teams",
        "Team",
        &["TeamResponse", "TeamPreviewResponse"],
        "",
    ),
    stored(
        "teammate_group",
        "teammate_groups",
        "Teammate group",
        &["TeammateGroupResponse"],
        "",
    ),
    stored("shift", "shifts", "Shift", &["ShiftResponse"], ""),
    stored(
        "time_off",
        "time_offs",
        "Time off",
        &["TimeOffResponse"],
        "",
    ),
    stored("rule", "rules", "Rule", &["RuleResponse"], ""),
    stored("view", "views", "View", &["SharedViewResponse"], ""),
    stored(
        "signature",
        "signatures",
        "Signature",
        &["SignatureResponse"],
        "",
    ),
    stored(
        "message_template",
        "message_templates",
        "Message template",
        &["MessageTemplateResponse"],
        "",
    ),
    stored(
        "message_template_folder",
        "message_template_folders",
        "Message template folder",
        &["MessageTemplateFolderResponse"],
        "",
    ),
    stored(
        "knowledge_base",
        "knowledge_bases",
        "Knowledge base",
        &["KnowledgeBaseResponse", "KnowledgeBaseSlimResponse"],
        "",
    ),
    stored(
        "knowledge_base_category",
        "knowledge_base_categories",
        "Knowledge base category",
        &[
            "KnowledgeBaseCategoryResponse",
            "KnowledgeBaseCategorySlimResponse",
        ],
        "",
    ),
    stored(
        "knowledge_base_article",
        "knowledge_base_articles",
        "Knowledge base article",
        &[
            "KnowledgeBaseArticleResponse",
            "KnowledgeBaseArticleSlimResponse",
        ],
        "",
    ),
    stored("link", "links", "Link", &["LinkResponse"], ""),
    stored(
        "ticket_status",
        "company/statuses",
        "Ticket status",
        &["StatusResponse"],
        "",
    ),
    stored(
        "custom_field",
        "custom_fields",
        "Custom field",
        &["CustomFieldResponse"],
        "fld_",
    ),
    stored(
        "analytics_export",
        "analytics/exports",
        "Analytics export",
        &["AnalyticsExportResponse"],
        "",
    ),
    stored(
        "analytics_report",
        "analytics/reports",
        "Analytics report",
        &["AnalyticsReportResponse"],
        "rep_",
    ),
];

/// A kind by resource name; Front's "contact groups" are contact lists under their old name.
pub fn kind(resource: &str) -> Option<&'static Kind> {
    let resource = if resource == "contact_group" {
        "contact_list"
    } else {
        resource
    };
    KINDS.iter().find(|k| k.resource == resource)
}

/// The kind of the objects a path segment names as a collection (`message_templates`,
/// `private_inboxes`, `categories`…).
pub fn kind_of_segment(segment: &str) -> Option<&'static Kind> {
    let resource = match segment {
        "private_inboxes" => "inbox",
        "contact_groups" => "contact_list",
        "followers" | "mentions" => "teammate",
        "articles" => "knowledge_base_article",
        "categories" => "knowledge_base_category",
        "statuses" => "ticket_status",
        "exports" => "analytics_export",
        "reports" => "analytics_report",
        other => return KINDS.iter().find(|k| k.collection == other),
    };
    kind(resource)
}

/// The id prefix of a kind: connector.json's, else the kind's own.
pub fn prefix(kind: &Kind) -> &'static str {
    actionhub_catalog::Catalog::builtin()
        .connector("front")
        .and_then(|front| front.resources.get(kind.resource))
        .map_or(kind.fallback_prefix, |r| r.prefix.as_str())
}

/// The kind an id belongs to, by its prefix (contact lists and groups share `grp_`).
pub fn kind_of_id(id: &str) -> Option<&'static Kind> {
    KINDS
        .iter()
        .find(|k| !prefix(k).is_empty() && id.starts_with(prefix(k)))
}
