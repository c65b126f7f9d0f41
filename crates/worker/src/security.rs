//! The webhook security code: signing secrets, Standard Webhooks signatures, and which
//! addresses an endpoint may reach (server-side request forgery).
//!
//! Signatures: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed by the secret's
//! bytes (the base64 after `whsec_`), one entry per active secret, space-separated.
//!
//! Addresses: an endpoint URL is `http` or `https`, without userinfo, and unless private
//! addresses are allowed (`ACTIONHUB_WEBHOOK_ALLOW_PRIVATE`), its host must not be, or resolve
//! to, a loopback, private, link-local (cloud metadata included), CGNAT, unspecified, multicast
//! or reserved address. The check runs when an endpoint is saved and again at every delivery,
//! after DNS resolution ([`GuardedResolver`]), so a name that later resolves elsewhere is
//! refused too.
//!
//! This module never logs or formats a secret.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// The prefix of a signing secret.
pub const SECRET_PREFIX: &str = "whsec_";
/// Random bytes in a signing secret.
const SECRET_BYTES: usize = 32;
/// Longest endpoint URL accepted, in bytes.
pub const MAX_URL_LEN: usize = 2_000;
/// How long saving an endpoint waits for its host to resolve.
const RESOLVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Whether endpoints may reach private and loopback addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AddressPolicy {
    /// Public addresses only (the default).
    #[default]
    PublicOnly,
    /// Any address (`ACTIONHUB_WEBHOOK_ALLOW_PRIVATE`: development, tests, the demo).
    AllowPrivate,
}

/// Why an endpoint URL is refused. The messages name the rule, never the URL's userinfo.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefused {
    #[error("must be at most {MAX_URL_LEN} characters")]
    TooLong,
    #[error("must be an absolute http or https URL")]
    NotHttp,
    #[error("must not carry a user name or password")]
    Userinfo,
    #[error(
        "must not point at a loopback, private, link-local, CGNAT, multicast or metadata address (set ACTIONHUB_WEBHOOK_ALLOW_PRIVATE to allow it)"
    )]
    PrivateAddress,
    #[error("must name a host that resolves")]
    Unresolvable,
}

/// A fresh signing secret: `whsec_` and 32 random bytes in base64.
pub fn new_secret() -> Result<SecretString, getrandom::Error> {
    let mut bytes = [0u8; SECRET_BYTES];
    getrandom::fill(&mut bytes)?;
    let secret = format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes));
    bytes.fill(0);
    Ok(SecretString::from(secret))
}

/// The `webhook-signature` header value: one `v1,` entry per secret (newest first).
pub fn signature_header(secrets: &[SecretString], id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets
        .iter()
        .filter_map(|secret| sign(secret, id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `v1,<signature>` of one message under one secret; `None` for a secret that is not
/// `whsec_` + base64 (never the case for secrets this hub made).
fn sign(secret: &SecretString, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = STANDARD
        .decode(secret.expose_secret().strip_prefix(SECRET_PREFIX)?)
        .ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// Checks an endpoint URL's form, and under [`AddressPolicy::PublicOnly`] a host that is an IP
/// address or `localhost`. Names are checked once resolved ([`check_resolved`], and at every
/// delivery by [`GuardedResolver`]).
pub fn check_url(url: &str, policy: AddressPolicy) -> Result<Url, UrlRefused> {
    if url.len() > MAX_URL_LEN {
        return Err(UrlRefused::TooLong);
    }
    let parsed = Url::parse(url).map_err(|_| UrlRefused::NotHttp)?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(UrlRefused::NotHttp);
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(UrlRefused::Userinfo);
    }
    if policy == AddressPolicy::PublicOnly {
        let refused = match literal_ip(&parsed) {
            Some(ip) => forbidden(ip),
            None => {
                let name = parsed.host_str().unwrap_or_default();
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                name == "localhost" || name.ends_with(".localhost")
            }
        };
        if refused {
            return Err(UrlRefused::PrivateAddress);
        }
    }
    Ok(parsed)
}

/// The URL's host if it is an IP address (the URL parser has normalised forms such as
/// `2130706433` to `127.0.0.1`; IPv6 comes in brackets).
fn literal_ip(url: &Url) -> Option<IpAddr> {
    let host = url.host_str()?;
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// [`check_url`], then under [`AddressPolicy::PublicOnly`] resolves the host and refuses it if
/// any of its addresses is not public.
pub async fn check_resolved(url: &str, policy: AddressPolicy) -> Result<Url, UrlRefused> {
    let parsed = check_url(url, policy)?;
    if policy == AddressPolicy::PublicOnly
        && literal_ip(&parsed).is_none()
        && let Some(name) = parsed.host_str()
    {
        let port = parsed.port_or_known_default().unwrap_or(443);
        let addresses: Vec<SocketAddr> =
            tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((name, port)))
                .await
                .map_err(|_| UrlRefused::Unresolvable)?
                .map_err(|_| UrlRefused::Unresolvable)?
                .collect();
        if addresses.is_empty() {
            return Err(UrlRefused::Unresolvable);
        }
        if addresses.iter().any(|address| forbidden(address.ip())) {
            return Err(UrlRefused::PrivateAddress);
        }
    }
    Ok(parsed)
}

/// Whether an address is off limits for webhooks unless private addresses are allowed.
pub fn forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => forbidden_v4(ip),
        IpAddr::V6(ip) => {
            if let Some(v4) = ip.to_ipv4_mapped() {
                return forbidden_v4(v4);
            }
            let segments = ip.segments();
            // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits.
            if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                let [.., high, low] = segments;
                return forbidden_v4(Ipv4Addr::from((u32::from(high) << 16) | u32::from(low)));
            }
            ip.is_loopback()
                || ip.is_unspecified()
                || ip.is_multicast()
                // fc00::/7: unique local, AWS's metadata service fd00:ec2::254 among them.
                || (segments[0] & 0xfe00) == 0xfc00
                // fe80::/10 link-local and the deprecated fec0::/10 site-local.
                || (segments[0] & 0xffc0) == 0xfe80
                || (segments[0] & 0xffc0) == 0xfec0
                // ::/96, IPv4-compatible addresses (deprecated).
                || segments[..6] == [0; 6]
        }
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        // 169.254.0.0/16, the cloud metadata address 169.254.169.254 among them.
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_broadcast()
        // 0.0.0.0/8 ("this network"), 100.64.0.0/10 (CGNAT), 192.0.0.0/24 (protocol
        // assignments), 198.18.0.0/15 (benchmarking), 240.0.0.0/4 (reserved).
        || a == 0
        || (a == 100 && (b & 0xc0) == 64)
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
        || (a == 198 && (b & 0xfe) == 18)
        || a >= 240
}

/// The error a refused resolution reports, found again in reqwest's error chain to name the
/// attempt's failure.
#[derive(Debug, thiserror::Error)]
#[error("the endpoint's host resolves to an address webhooks may not reach")]
pub struct AddressRefused;

/// reqwest's resolver for deliveries: the system resolver, keeping only addresses the policy
/// allows, so the connection goes to an address checked after resolution.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    pub policy: AddressPolicy,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await?
                .filter(|address| policy == AddressPolicy::AllowPrivate || !forbidden(address.ip()))
                .collect();
            if found.is_empty() {
                return Err(Box::new(AddressRefused) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(found.into_iter()) as Addrs)
        })
    }
}

impl GuardedResolver {
    pub fn shared(policy: AddressPolicy) -> Arc<GuardedResolver> {
        Arc::new(GuardedResolver { policy })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v6(text: &str) -> IpAddr {
        IpAddr::V6(text.parse::<std::net::Ipv6Addr>().expect("an IPv6 address"))
    }

    #[test]
    fn private_and_special_addresses_are_forbidden() {
        for text in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
        ] {
            assert!(forbidden(text.parse().unwrap()), "{text}");
        }
        for text in [
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert!(forbidden(v6(text)), "{text}");
        }
        assert!(!forbidden("93.184.216.34".parse().unwrap()));
        assert!(!forbidden(v6("2606:2800:220:1:248:1893:25c8:1946")));
    }

    #[test]
    fn urls_are_checked_for_form_and_literal_hosts() {
        let strict = AddressPolicy::PublicOnly;
        assert!(check_url("https://example.com/hook", strict).is_ok());
        assert_eq!(
            check_url("ftp://example.com/", strict),
            Err(UrlRefused::NotHttp)
        );
        assert_eq!(check_url("/relative", strict), Err(UrlRefused::NotHttp));
        assert_eq!(
            check_url("https://user:pw@example.com/", strict),
            Err(UrlRefused::Userinfo)
        );
        for url in [
            "http://127.0.0.1:8080/",
            "http://[::1]/",
            "http://169.254.169.254/latest/meta-data",
            "http://localhost/",
            "http://a.localhost./",
            "http://2130706433/",
        ] {
            assert_eq!(
                check_url(url, strict),
                Err(UrlRefused::PrivateAddress),
                "{url}"
            );
            assert!(check_url(url, AddressPolicy::AllowPrivate).is_ok(), "{url}");
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert_eq!(check_url(&long, strict), Err(UrlRefused::TooLong));
    }

    #[test]
    fn signatures_follow_standard_webhooks() {
        // The example of the Standard Webhooks specification.
        let secret = SecretString::from("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            signature_header(&[secret], "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        let fresh = new_secret().unwrap();
        assert!(fresh.expose_secret().starts_with(SECRET_PREFIX));
        let two = signature_header(&[fresh.clone(), fresh], "msg_1", 1, b"{}");
        assert_eq!(two.split(' ').count(), 2);
    }
}
