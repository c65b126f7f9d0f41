//! The connector catalogue of actionhub.
//!
//! Connectors are declared as data under `connectors/<key>/` (one `connector.json` and
//! `actions/*.json`) and embedded in the binary. This crate loads and checks them, derives each
//! action's input JSON Schema in StackOne's three parameter styles, validates inputs against
//! them, and answers the scope-guide questions (which scopes a selection needs, which actions
//! some scopes enable, the guide URL).
//!
//! It does no I/O beyond reading its own embedded files.

mod definition;
mod echo;
mod file_input;
mod guide;
mod load;
mod path_value;
mod query_text;
mod schema;
mod search;
mod views;

use std::sync::OnceLock;

pub use definition::{
    Action, Connector, CredentialField, EventStream, Exclusion, Field, FieldType, Guide,
    GuideSection, GuideStep, Hints, IdentityFields, Inputs, ListEnvelope, Method, Resource,
    Returns, ScopeDefinition, SearchVocabulary, Style, Verification,
};
pub use echo::{ECHO_MAX_CHARS, echo};
pub use file_input::{DEFAULT_CONTENT_TYPE, FileInput, MAX_FILE_BYTES, MAX_FILENAME_CHARS};
pub use guide::{Separator, UnknownAction, parse_guide_selection};
pub use load::{ConnectorSource, DefinitionError, SourceFile};
pub use path_value::{ALIAS_MAX_CHARS, ID_MAX_CHARS};
pub use query_text::QueryTextError;
pub use schema::{DRAFT_2020_12, InvalidInput, Location, NEXT_CURSOR_FIELD, ParamStyle, Violation};
pub use search::{SearchHit, search_actions};
pub use views::{
    FieldSelection, MAX_FIELD_PATH_CHARS, MAX_FIELD_PATHS, Shaping, View, shape, write_json_string,
};

/// Declares the embedded files of a connector directory, keeping each file's path for messages.
macro_rules! embedded {
    ($($path:literal),+ $(,)?) => {
        &[$(SourceFile {
            path: $path,
            text: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../", $path)),
        }),+]
    };
}

const FRONT_CONNECTOR: &[SourceFile<'static>] = embedded!("connectors/front/connector.json");
const FRONT_ACTIONS: &[SourceFile<'static>] = embedded!(
    "connectors/front/actions/conversations.json",
    "connectors/front/actions/contacts.json",
    "connectors/front/actions/teammates.json",
    "connectors/front/actions/inboxes.json",
    "connectors/front/actions/channels.json",
    "connectors/front/actions/tags.json",
    "connectors/front/actions/accounts.json",
    "connectors/front/actions/events.json",
    "connectors/front/actions/messages.json",
    "connectors/front/actions/analytics.json",
    "connectors/front/actions/attachments.json",
    "connectors/front/actions/comments.json",
    "connectors/front/actions/contact_groups.json",
    "connectors/front/actions/contact_lists.json",
    "connectors/front/actions/custom_fields.json",
    "connectors/front/actions/drafts.json",
    "connectors/front/actions/knowledge_bases.json",
    "connectors/front/actions/links.json",
    "connectors/front/actions/message_templates.json",
    "connectors/front/actions/rules.json",
    "connectors/front/actions/shifts.json",
    "connectors/front/actions/signatures.json",
    "connectors/front/actions/teammate_groups.json",
    "connectors/front/actions/teams.json",
    "connectors/front/actions/ticket_statuses.json",
    "connectors/front/actions/time_off.json",
    "connectors/front/actions/views.json",
);

/// Every connector the binary ships with.
pub const BUILTIN: &[ConnectorSource<'static>] = &[ConnectorSource {
    connector: FRONT_CONNECTOR[0],
    actions: FRONT_ACTIONS,
}];

/// The loaded connectors.
#[derive(Debug)]
pub struct Catalog {
    connectors: Vec<Connector>,
}

impl Catalog {
    /// Loads and checks connector definitions; the first broken one is reported.
    pub fn load(sources: &[ConnectorSource<'_>]) -> Result<Catalog, DefinitionError> {
        let connectors = sources
            .iter()
            .map(load::load_connector)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Catalog { connectors })
    }

    /// The built-in catalogue, loaded once.
    ///
    /// # Panics
    /// If an embedded definition is broken. The test suite loads it, so a release cannot ship
    /// one; call [`Catalog::load`] with [`BUILTIN`] to handle the error instead.
    pub fn builtin() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| match Catalog::load(BUILTIN) {
            Ok(catalog) => catalog,
            Err(error) => panic!("embedded connector definition is broken: {error}"),
        })
    }

    pub fn connectors(&self) -> &[Connector] {
        &self.connectors
    }

    /// A connector by key.
    pub fn connector(&self, key: &str) -> Option<&Connector> {
        self.connectors.iter().find(|c| c.key == key)
    }

    /// An action of any connector, found by its id (ids start with the connector key).
    pub fn action(&self, id: &str) -> Result<&Action, UnknownAction> {
        let key = id.split('_').next().unwrap_or_default();
        match self.connector(key) {
            Some(connector) => connector.action(id),
            None => Err(UnknownAction {
                id: echo(id).into_owned(),
                suggestions: self
                    .connectors
                    .iter()
                    .flat_map(|c| {
                        c.action(id)
                            .err()
                            .map(|e| e.suggestions)
                            .unwrap_or_default()
                    })
                    .collect(),
            }),
        }
    }
}
