//! The on-disk shape of a connector: what `connectors/<key>/connector.json` and
//! `connectors/<key>/actions/*.json` may contain. Every struct denies unknown keys so that a
//! typo in a definition is an error at start-up, not a silently ignored field.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};

/// Connector-level settings (`connector.json`) and, once loaded, its actions.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Connector {
    /// Short key used as the action id prefix and in URLs (`front`).
    pub key: String,
    pub name: String,
    pub description: String,
    /// Where the provider's API lives unless configuration points elsewhere.
    pub base_url: String,
    pub docs_url: String,
    pub credential: CredentialField,
    pub verify: Verification,
    pub list_envelope: ListEnvelope,
    /// The kinds of object that path parameters name, by noun (`conversation`), with the forms
    /// their ids take. Path parameters refer to them with `id_of`.
    pub resources: IndexMap<String, Resource>,
    /// The compact views agents get by default over MCP, by resource noun (one of
    /// `resources`): the fields kept and the actions answering that resource.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub views: IndexMap<String, crate::views::View>,
    /// Every scope a token can be given, in the order the provider's settings page lists them.
    pub scopes: Vec<ScopeDefinition>,
    /// Provider operations deliberately not offered as actions, each with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded: Vec<Exclusion>,
    /// The provider's activity stream, which the hub follows to send webhooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<EventStream>,
    pub guide: Guide,
    /// The words people use for the provider's things, for action search.
    #[serde(default, skip_serializing_if = "SearchVocabulary::is_empty")]
    pub search: SearchVocabulary,
    /// Filled by the loader from the `actions/` files.
    #[serde(skip)]
    pub(crate) actions: Vec<Action>,
    /// The actions tokenised for search, with `search`'s synonyms; built by the loader.
    #[serde(skip)]
    pub(crate) search_index: crate::search::SearchIndex,
}

/// What action search needs to know beyond the actions' own words.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SearchVocabulary {
    /// Words of the catalogue (as action ids and labels use them: `inbox`, `message template`),
    /// each with the words and phrases people use for it (`mailbox`, `canned response`). A
    /// phrase may appear under several meanings; it then stands for any of them.
    pub synonyms: IndexMap<String, Vec<String>>,
}

impl SearchVocabulary {
    pub fn is_empty(&self) -> bool {
        self.synonyms.is_empty()
    }
}

/// The provider's activity stream: the action that lists a company's events, and the input
/// field whose items' `enum` names every event type, so that the types are declared once, in
/// that action.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EventStream {
    /// The action listing events (oldest first with `sort_order=asc`, after `q.after`).
    pub action: String,
    /// Where the types are: the input location, then property names down to an array of
    /// strings with an `enum` (`query.q.types`).
    pub types_from: String,
    /// Filled by the loader from `types_from`.
    #[serde(skip)]
    pub(crate) types: Vec<String>,
}

impl EventStream {
    /// Every event type the provider emits, in declaration order.
    pub fn types(&self) -> &[String] {
        &self.types
    }
}

/// A provider operation left out of the catalogue, and why.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Exclusion {
    pub method: Method,
    pub path: String,
    pub reason: String,
}

/// The one secret an end user pastes to link an account.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialField {
    pub key: String,
    pub label: String,
    pub secret: bool,
    pub placeholder: String,
    pub description: String,
}

/// How a credential is checked before it is saved, and which response fields identify the
/// provider-side tenant (for Front: the company behind the token).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Verification {
    pub method: Method,
    pub path: String,
    pub identity: IdentityFields,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityFields {
    /// Response field holding the tenant id.
    pub id: String,
    /// Response field holding the tenant's display name.
    pub name: String,
}

/// Where a list response keeps its items and its next-page URL (dotted paths).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ListEnvelope {
    pub results: String,
    pub next: String,
}

/// The ids of one kind of provider object: `prefix` followed by the provider's id characters,
/// or one of the aliases `alt:NAME:VALUE` the provider resolves in their place.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    /// The provider's id prefix, e.g. `cnv_`.
    pub prefix: String,
    /// One id of this kind, shown in messages that refuse a value.
    pub example: String,
    /// Alias names accepted in place of an id, e.g. `email` for `alt:email:jane@example.com`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ScopeDefinition {
    pub name: String,
    pub description: String,
}

/// The end-user guide: creating a token, then linking it in the Hub.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Guide {
    pub title: String,
    pub summary: String,
    pub warning: String,
    pub sections: Vec<GuideSection>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GuideSection {
    pub title: String,
    pub intro: String,
    pub steps: Vec<GuideStep>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outro: Option<String>,
}

/// One step. Text uses a tiny inline markup: `**strong**` and `[label](https://…)`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GuideStep {
    pub title: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bullets: Vec<String>,
    /// True for the step where the user ticks resource permissions: it concerns every scope
    /// and shows the scopes the current selection of actions needs.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub shows_selected_scopes: bool,
}

/// HTTP methods that provider operations use.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One action as written in `actions/*.json`, plus what the loader derives from it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    pub id: String,
    pub label: String,
    pub description: String,
    pub scopes: Vec<String>,
    pub method: Method,
    /// The provider operation's path template, e.g. `/conversations/{conversation_id}`.
    pub path: String,
    pub hints: Hints,
    /// Part of the connector's default face: the actions the scope guide selects when no
    /// selection is given and MCP lists unless an account allows more (for Front, the seed
    /// page's 52). The rest are reachable by search, by id and by an explicit selection.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub core: bool,
    /// What a successful answer carries: JSON (the default) or a file's bytes.
    #[serde(default, skip_serializing_if = "Returns::is_json")]
    pub returns: Returns,
    #[serde(default)]
    pub inputs: Inputs,
    /// One valid input in nested style; checked against the schema at load.
    pub example: Value,
    /// The resource group the action is listed under: its file's name (`knowledge_bases` for
    /// `actions/knowledge_bases.json`). Set by the loader.
    #[serde(skip_deserializing)]
    pub group: String,
    /// Schemas and validator derived from `inputs` by the loader.
    #[serde(skip)]
    pub(crate) compiled: crate::schema::Compiled,
}

/// The kind of body a successful answer has.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Returns {
    /// A JSON document (an object, or a list envelope).
    #[default]
    Json,
    /// A file of any media type (attachment downloads), passed on as bytes.
    File,
}

impl Returns {
    pub fn is_json(&self) -> bool {
        *self == Returns::Json
    }
}

/// Risk hints, surfaced to agents (MCP annotations) and to the catalogue.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Hints {
    pub read_only: bool,
    pub destructive: bool,
    pub idempotent: bool,
    /// The action sends something to people outside the company (a message to a customer):
    /// policies can hold such calls for a person's approval (`hint:sends`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sends: bool,
}

/// An action's inputs by where they go in the provider request.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Inputs {
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub path: IndexMap<String, Field>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub query: IndexMap<String, Field>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub body: IndexMap<String, Field>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    String,
    Integer,
    Number,
    Boolean,
    Array,
    Object,
    /// A file given inline (`{filename, content_type, content_base64}`; see
    /// [`crate::FileInput`]), which the provider takes as a `multipart/form-data` part. Only a
    /// body field, or the items of one, of a write.
    File,
}

impl FieldType {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Integer => "integer",
            FieldType::Number => "number",
            FieldType::Boolean => "boolean",
            FieldType::Array => "array",
            FieldType::Object => "object",
            FieldType::File => "file",
        }
    }

    /// Whether a JSON value is of this type (integers are numbers too).
    pub fn accepts(self, value: &Value) -> bool {
        match self {
            FieldType::String => value.is_string(),
            FieldType::Integer => value.is_i64() || value.is_u64(),
            FieldType::Number => value.is_number(),
            FieldType::Boolean => value.is_boolean(),
            FieldType::Array => value.is_array(),
            FieldType::Object | FieldType::File => value.is_object(),
        }
    }
}

impl Field {
    /// Whether the field holds a file or a list of files, which go to the provider as
    /// `multipart/form-data` parts rather than JSON.
    pub fn takes_files(&self) -> bool {
        self.ty == FieldType::File
            || (self.ty == FieldType::Array
                && self
                    .items
                    .as_ref()
                    .is_some_and(|items| items.ty == FieldType::File))
    }
}

/// How a query object is written on the wire.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Style {
    /// `q[key]=v`, arrays as `q[key][]=a&q[key][]=b` (Front's query object).
    DeepObject,
}

/// One input field: a small, checked subset of JSON Schema.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    #[serde(rename = "type")]
    pub ty: FieldType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    /// `null` is accepted as well (Front uses it to clear a value).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub nullable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    #[serde(rename = "enum", default, skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_items: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Box<Field>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<IndexMap<String, Field>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<Style>,
    /// Path parameters only: the resource (a key of the connector's `resources`) whose id this
    /// names. Path parameters are ids, not routes: every path parameter declares this or
    /// `free_text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_of: Option<String>,
    /// Path parameters only: the value is free text (a search query) rather than an id; it
    /// must then declare its `max_length`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub free_text: bool,
}
