//! Which catalogued operation a request is for, by method and path template.

use actionhub_catalog::{Action, Connector};
use percent_encoding::percent_decode_str;

use crate::error::SimError;
use crate::handlers::{self, Handler};

#[derive(Debug)]
enum Segment {
    Literal(&'static str),
    Param(&'static str),
}

/// One operation the simulator serves.
#[derive(Debug)]
pub struct Route {
    pub action: &'static Action,
    pub handler: Handler,
    /// What the burst limit counts per: the first path segment (`conversations`, `tags`…).
    pub resource: &'static str,
    /// Search has its own share of the budget.
    pub is_search: bool,
    segments: Vec<Segment>,
    /// Literal segments as bits, first segment highest: where two templates match a path,
    /// the one with a literal earlier wins (`/conversations/search/x` is a search, not
    /// conversation `search`'s sub-resource `x`).
    specificity: u64,
}

/// What a request path and method lead to.
pub enum Matched<'r> {
    Route(&'r Route, Vec<(&'static str, String)>),
    /// The path exists, with other methods.
    WrongMethod(Vec<&'static str>),
    Nothing,
}

#[derive(Debug)]
pub struct Routes {
    routes: Vec<Route>,
}

impl Routes {
    /// A route for every action of the connector; an action without a handler is a bug.
    pub fn build(connector: &'static Connector) -> Result<Routes, SimError> {
        let routes = connector
            .actions()
            .iter()
            .map(|action| {
                let handler = handlers::for_action(action)
                    .ok_or_else(|| SimError::MissingHandler(action.id.clone()))?;
                let segments: Vec<Segment> = action
                    .path
                    .trim_start_matches('/')
                    .split('/')
                    .map(|segment| {
                        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                            Some(name) => Segment::Param(name),
                            None => Segment::Literal(segment),
                        }
                    })
                    .collect();
                let specificity = segments
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| matches!(s, Segment::Literal(_)))
                    .fold(0u64, |bits, (i, _)| bits | (1 << (63 - i.min(63))));
                let resource = match segments.first() {
                    Some(Segment::Literal(first)) => *first,
                    _ => "",
                };
                Ok(Route {
                    action,
                    handler,
                    resource,
                    is_search: action.id == "front_search_conversations",
                    segments,
                    specificity,
                })
            })
            .collect::<Result<Vec<_>, SimError>>()?;
        Ok(Routes { routes })
    }

    pub fn find(&self, method: &str, path: &str) -> Matched<'_> {
        let Some(path) = path.strip_prefix('/') else {
            return Matched::Nothing;
        };
        let parts: Vec<&str> = path.split('/').collect();
        let mut best: Option<&Route> = None;
        let mut other_methods: Vec<&'static str> = Vec::new();
        for route in &self.routes {
            if !route.matches(&parts) {
                continue;
            }
            if route.action.method.as_str() != method {
                other_methods.push(route.action.method.as_str());
            } else if best.is_none_or(|b| route.specificity > b.specificity) {
                best = Some(route);
            }
        }
        match best {
            Some(route) => {
                let params = route
                    .segments
                    .iter()
                    .zip(&parts)
                    .filter_map(|(segment, part)| match segment {
                        Segment::Param(name) => Some((
                            *name,
                            percent_decode_str(part).decode_utf8_lossy().into_owned(),
                        )),
                        Segment::Literal(_) => None,
                    })
                    .collect();
                Matched::Route(route, params)
            }
            None if !other_methods.is_empty() => {
                other_methods.sort_unstable();
                other_methods.dedup();
                Matched::WrongMethod(other_methods)
            }
            None => Matched::Nothing,
        }
    }
}

impl Route {
    fn matches(&self, parts: &[&str]) -> bool {
        self.segments.len() == parts.len()
            && self
                .segments
                .iter()
                .zip(parts)
                .all(|(segment, part)| match segment {
                    Segment::Literal(literal) => literal == part,
                    Segment::Param(_) => !part.is_empty(),
                })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes() -> Routes {
        let front = actionhub_catalog::Catalog::builtin()
            .connector("front")
            .unwrap();
        Routes::build(front).unwrap()
    }

    fn action_of(routes: &Routes, method: &str, path: &str) -> Option<String> {
        match routes.find(method, path) {
            Matched::Route(route, _) => Some(route.action.id.clone()),
            _ => None,
        }
    }

    #[test]
    fn every_action_has_a_route() {
        let routes = routes();
        let actions = actionhub_catalog::Catalog::builtin()
            .connector("front")
            .unwrap()
            .actions()
            .len();
        assert_eq!(routes.routes.len(), actions);
    }

    #[test]
    fn paths_map_to_their_operation_with_decoded_parameters() {
        let routes = routes();
        assert_eq!(
            action_of(&routes, "GET", "/conversations").as_deref(),
            Some("front_list_conversations")
        );
        assert_eq!(
            action_of(&routes, "GET", "/conversations/search/messages").as_deref(),
            Some("front_search_conversations")
        );
        assert_eq!(
            action_of(&routes, "GET", "/conversations/cnv_1/messages").as_deref(),
            Some("front_list_conversation_messages")
        );
        assert_eq!(
            action_of(&routes, "DELETE", "/conversations/cnv_1/tags").as_deref(),
            Some("front_remove_conversation_tag")
        );
        match routes.find("GET", "/teammates/alt%3Aemail%3Aa%40b.c") {
            Matched::Route(route, params) => {
                assert_eq!(route.action.id, "front_get_teammate");
                assert_eq!(params, [("teammate_id", "alt:email:a@b.c".to_owned())]);
            }
            _ => panic!("no route"),
        }
        assert!(
            matches!(routes.find("PUT", "/tags"), Matched::WrongMethod(m) if m == ["GET", "POST"])
        );
        assert!(matches!(routes.find("GET", "/nope"), Matched::Nothing));
        assert!(matches!(
            routes.find("GET", "/conversations//messages"),
            Matched::Nothing
        ));
        assert!(matches!(routes.find("GET", "no-slash"), Matched::Nothing));
    }
}
