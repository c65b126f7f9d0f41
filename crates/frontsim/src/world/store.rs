//! The generic store: resources without behaviour of their own (teams, shifts, message
//! templates, knowledge bases…) kept as the JSON objects Front shows, and the relations
//! between any two resources (a team's teammates, a folder's templates, a shift's teammates).
//!
//! Relations are directed, parent to child (`tim_…` → `tea_…`, `rsf_…` → `rsp_…`), and read both
//! ways: a teammate's teams are the parents of the teammate that are teams.

use std::collections::{BTreeMap, HashMap};

use indexmap::IndexMap;
use serde_json::{Map, Value};

/// One object of a stored kind.
#[derive(Debug, Clone)]
pub struct Stored {
    pub id: String,
    /// The connector's resource name (`message_template`).
    pub resource: &'static str,
    /// The fields Front shows, without `_links` (built when shown).
    pub fields: Map<String, Value>,
    /// Content in other locales than the object's own, by locale (knowledge bases).
    pub locales: BTreeMap<String, Map<String, Value>>,
    pub created_at: f64,
    /// How many times it was read (an analytics export finishes on a later read).
    pub reads: u32,
}

#[derive(Debug, Default)]
pub struct Store {
    pub objects: IndexMap<String, Stored>,
    children: HashMap<String, Vec<String>>,
    parents: HashMap<String, Vec<String>>,
}

impl Store {
    pub fn insert(&mut self, stored: Stored) {
        self.objects.insert(stored.id.clone(), stored);
    }

    pub fn get(&self, id: &str, resource: &str) -> Option<&Stored> {
        self.objects.get(id).filter(|s| s.resource == resource)
    }

    /// Makes `child` belong to `parent`; a relation that exists already is kept once.
    pub fn relate(&mut self, parent: &str, child: &str) {
        let children = self.children.entry(parent.to_owned()).or_default();
        if !children.iter().any(|c| c == child) {
            children.push(child.to_owned());
            self.parents
                .entry(child.to_owned())
                .or_default()
                .push(parent.to_owned());
        }
    }

    /// Removes a relation, in whichever direction it was made; returns whether it existed.
    pub fn unrelate(&mut self, a: &str, b: &str) -> bool {
        let mut removed = false;
        for (parent, child) in [(a, b), (b, a)] {
            if let Some(children) = self.children.get_mut(parent) {
                let before = children.len();
                children.retain(|c| c != child);
                removed |= children.len() != before;
            }
            if let Some(parents) = self.parents.get_mut(child) {
                parents.retain(|p| p != parent);
            }
        }
        removed
    }

    pub fn children(&self, parent: &str) -> &[String] {
        self.children.get(parent).map_or(&[], Vec::as_slice)
    }

    pub fn parents(&self, child: &str) -> &[String] {
        self.parents.get(child).map_or(&[], Vec::as_slice)
    }

    /// Drops every relation of `id` (the object itself may be typed or stored).
    pub fn forget(&mut self, id: &str) {
        for child in self.children.remove(id).unwrap_or_default() {
            if let Some(parents) = self.parents.get_mut(&child) {
                parents.retain(|p| p != id);
            }
        }
        for parent in self.parents.remove(id).unwrap_or_default() {
            if let Some(children) = self.children.get_mut(&parent) {
                children.retain(|c| c != id);
            }
        }
    }

    /// Removes a stored object and its relations.
    pub fn remove(&mut self, id: &str) -> Option<Stored> {
        self.forget(id);
        self.objects.shift_remove(id)
    }
}

impl super::World {
    /// Stores a new object of `resource` with id `id`: the required fields of its schemas,
    /// then `given` over them. Returns the id.
    pub fn put_object(
        &mut self,
        resource: &'static str,
        id: String,
        at: f64,
        given: Map<String, Value>,
    ) -> String {
        let Some(kind) = crate::kinds::kind(resource) else {
            return id;
        };
        self.ids.claim(&id);
        let label = given
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or(kind.label)
            .to_owned();
        let mut fields = crate::spec::blank(
            kind,
            &crate::spec::Seed {
                id: &id,
                label: &label,
                now: at,
            },
        );
        fields.extend(given);
        self.store.insert(Stored {
            id: id.clone(),
            resource: kind.resource,
            fields,
            locales: BTreeMap::new(),
            created_at: at,
            reads: 0,
        });
        id
    }

    /// A fresh id for a stored kind: its prefix and four base-36 digits.
    pub fn new_stored_id(&mut self, resource: &str) -> String {
        let prefix = crate::kinds::kind(resource).map_or("", crate::kinds::prefix);
        self.ids.mint_prefixed(prefix, 4)
    }
}
