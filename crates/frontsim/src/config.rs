//! What a simulator instance is started with: seed, rate limits, faults and the accepted tokens.

use actionhub_catalog::Connector;

use crate::error::SimError;
use crate::rng::Rng;

/// Front's default plan budget (Professional/Growth), requests per window.
pub const DEFAULT_RPM: u32 = 100;
/// Front counts its budget per minute.
pub const DEFAULT_WINDOW_SECS: u64 = 60;
/// Front's documented burst limit: 5 requests per second per resource type.
pub const DEFAULT_BURST: u32 = 5;
pub const DEFAULT_SEED: u64 = 1;
/// A year: longer windows are refused rather than risking clock arithmetic overflow.
pub const MAX_WINDOW_SECS: u64 = 365 * 24 * 60 * 60;
/// A thousand actions a second: about what one lock-holding task can keep up with while
/// requests are still served.
pub const MAX_ACTIVITY_PER_MINUTE: u32 = 60_000;

/// Everything a simulator instance is started with.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Seeds the generated data, the demo token, runtime ids and the fault draws.
    pub seed: u64,
    /// Requests per window for the (only) company; 0 turns the budget and the search share off.
    pub rpm: u32,
    /// Length of the budget window in seconds (Front: 60; tests use 2), at most a year.
    pub window_secs: u64,
    /// Requests per second per resource type (the first path segment); 0 turns it off.
    pub burst: u32,
    /// Added to every response, in milliseconds.
    pub latency_ms: u64,
    /// Share of requests answered 503 instead of being processed, in `[0, 1]`.
    pub fail_rate: f64,
    /// Share of requests processed whose connection is then closed mid-response, in `[0, 1]`.
    pub drop_rate: f64,
    /// Accepted tokens. Empty: one demo token (derived from the seed) with every scope.
    pub tokens: Vec<TokenGrant>,
    /// Base of every absolute URL in responses (`_links`, `_pagination.next`). `None`: taken
    /// from the request's `Host` header, as `http://HOST`.
    pub public_url: Option<String>,
    /// Actions per minute of the company's own simulated people while it runs, spread over
    /// time: customers' messages (new conversations and replies), assignments and tags, each
    /// with the events Front records for it. 0 (the default): nothing happens but API calls.
    /// At most [`MAX_ACTIVITY_PER_MINUTE`].
    pub activity_per_minute: u32,
}

impl Default for SimConfig {
    fn default() -> SimConfig {
        SimConfig {
            seed: DEFAULT_SEED,
            rpm: DEFAULT_RPM,
            window_secs: DEFAULT_WINDOW_SECS,
            burst: DEFAULT_BURST,
            latency_ms: 0,
            fail_rate: 0.0,
            drop_rate: 0.0,
            tokens: Vec::new(),
            public_url: None,
            activity_per_minute: 0,
        }
    }
}

impl SimConfig {
    /// Limits off and no faults: what functional tests and benchmarks want.
    pub fn unlimited() -> SimConfig {
        SimConfig {
            rpm: 0,
            burst: 0,
            ..SimConfig::default()
        }
    }

    /// The token accepted when none is configured: stable for a seed, so that a restarted
    /// simulator keeps working with a token pasted earlier.
    pub fn demo_token(&self) -> String {
        format!(
            "frontsim-demo-{:016x}",
            Rng::derive(self.seed, "demo token").next_u64()
        )
    }

    /// Checks the configuration against the connector's scopes and returns the grants in force.
    pub(crate) fn grants(&self, connector: &Connector) -> Result<Vec<TokenGrant>, SimError> {
        for (name, rate) in [("fail rate", self.fail_rate), ("drop rate", self.drop_rate)] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(SimError::InvalidRate { name, rate });
            }
        }
        if !(1..=MAX_WINDOW_SECS).contains(&self.window_secs) {
            return Err(SimError::InvalidWindow {
                secs: self.window_secs,
            });
        }
        if self.activity_per_minute > MAX_ACTIVITY_PER_MINUTE {
            return Err(SimError::InvalidActivity {
                per_minute: self.activity_per_minute,
            });
        }
        if self.tokens.is_empty() {
            return Ok(vec![TokenGrant {
                token: self.demo_token(),
                scopes: connector.scopes.iter().map(|s| s.name.clone()).collect(),
            }]);
        }
        for grant in &self.tokens {
            if let Some(unknown) = grant
                .scopes
                .iter()
                .find(|scope| !connector.scopes.iter().any(|known| &known.name == *scope))
            {
                return Err(SimError::UnknownScope {
                    token: grant.token.clone(),
                    scope: unknown.clone(),
                    known: connector
                        .scopes
                        .iter()
                        .map(|s| s.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
        Ok(self.tokens.clone())
    }
}

/// One accepted API token and the scopes it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrant {
    pub token: String,
    pub scopes: Vec<String>,
}

impl TokenGrant {
    /// A token with every scope the Front connector knows.
    pub fn with_every_scope(token: impl Into<String>) -> TokenGrant {
        let scopes = actionhub_catalog::Catalog::builtin()
            .connector("front")
            .map(|front| front.scopes.iter().map(|s| s.name.clone()).collect())
            .unwrap_or_default();
        TokenGrant {
            token: token.into(),
            scopes,
        }
    }

    /// Parses `TOKEN` (every scope) or `TOKEN:SCOPE,SCOPE…` (just those; `TOKEN:` has none).
    /// Scopes themselves contain colons (`contacts:read`), so the token ends at the first one.
    pub fn parse(spec: &str) -> Result<TokenGrant, SimError> {
        let invalid = |reason: &str| SimError::InvalidTokenGrant {
            given: spec.to_owned(),
            reason: reason.to_owned(),
        };
        let (token, scopes) = match spec.split_once(':') {
            None => return Ok(TokenGrant::with_every_scope(spec)),
            Some((token, scopes)) => (token, scopes),
        };
        if token.is_empty() {
            return Err(invalid("the token before `:` is empty"));
        }
        if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid("a token cannot contain spaces"));
        }
        let scopes: Vec<String> = scopes
            .split(',')
            .map(str::trim)
            .filter(|scope| !scope.is_empty())
            .map(str::to_owned)
            .collect();
        Ok(TokenGrant {
            token: token.to_owned(),
            scopes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_without_scopes_gets_every_scope() {
        let grant = TokenGrant::parse("abc").unwrap();
        assert_eq!(grant.token, "abc");
        assert!(grant.scopes.contains(&"events:*:read".to_owned()));
    }

    #[test]
    fn scopes_follow_the_first_colon() {
        let grant = TokenGrant::parse("abc:contacts:read, tags:write").unwrap();
        assert_eq!(grant.scopes, ["contacts:read", "tags:write"]);
        assert!(TokenGrant::parse("abc:").unwrap().scopes.is_empty());
        assert!(TokenGrant::parse(":contacts:read").is_err());
    }

    #[test]
    fn unknown_scopes_and_bad_rates_are_refused() {
        let front = actionhub_catalog::Catalog::builtin()
            .connector("front")
            .unwrap();
        let config = SimConfig {
            tokens: vec![TokenGrant::parse("t:contacts:reed").unwrap()],
            ..SimConfig::default()
        };
        assert!(matches!(
            config.grants(front),
            Err(SimError::UnknownScope { .. })
        ));
        let config = SimConfig {
            fail_rate: 1.5,
            ..SimConfig::default()
        };
        assert!(matches!(
            config.grants(front),
            Err(SimError::InvalidRate { .. })
        ));
        let config = SimConfig {
            activity_per_minute: MAX_ACTIVITY_PER_MINUTE + 1,
            ..SimConfig::default()
        };
        assert!(matches!(
            config.grants(front),
            Err(SimError::InvalidActivity { .. })
        ));
    }

    #[test]
    fn the_demo_token_depends_on_the_seed_only() {
        let a = SimConfig::default();
        let b = SimConfig {
            rpm: 3,
            ..SimConfig::default()
        };
        let c = SimConfig {
            seed: 99,
            ..SimConfig::default()
        };
        assert_eq!(a.demo_token(), b.demo_token());
        assert_ne!(a.demo_token(), c.demo_token());
    }
}
