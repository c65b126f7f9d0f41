//! The credential vault: AES-256-GCM under a keyring of versioned master keys.
//!
//! Every value is sealed with a fresh random 96-bit nonce and with associated data that binds it
//! to where it lives (scope = project id, record = account id, field name) and to the key
//! version. A ciphertext copied to another row, another field or another project therefore fails
//! authentication instead of decrypting, and a version label cannot be swapped either.
//!
//! # Keyring format
//!
//! `ACTIONHUB_MASTER_KEY` (or the file named by `ACTIONHUB_MASTER_KEY_FILE`) holds one or more
//! entries separated by commas or whitespace. An entry is `VERSION:KEY`, where `VERSION` is a
//! positive integer and `KEY` is 32 random bytes in standard base64 (`openssl rand -base64 32`),
//! e.g. `2:q9W…=,1:Zx3…=`. A lone bare `KEY` is version 1. Versions are written out rather than
//! implied by position so that removing a retired key never renumbers the others. The highest
//! version seals new values; every version present can open.
//!
//! This module never logs, formats or returns key material or plaintexts: [`Keyring`]'s `Debug`
//! shows versions only, and errors name versions and positions, never values.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};
use std::path::Path;

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Bytes of the random nonce stored in front of every ciphertext.
const NONCE_LEN: usize = 12;
/// Bytes of the GCM authentication tag at the end of every ciphertext.
const TAG_LEN: usize = 16;
/// Bytes of a master key (AES-256).
pub const KEY_LEN: usize = 32;
/// Domain separation for the associated data, so a future format cannot be confused with this one.
const AD_DOMAIN: &[u8] = b"actionhub/vault/v1";

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("the master keyring is empty")]
    EmptyKeyring,
    #[error(
        "master keyring entry {entry}: the version before `:` must be a positive integer (format: VERSION:BASE64KEY[,VERSION:BASE64KEY…])"
    )]
    BadVersion { entry: usize },
    #[error(
        "master keyring entry {entry}: a key without `VERSION:` is only allowed when it is the only entry (it is then version 1)"
    )]
    MissingVersion { entry: usize },
    #[error("master keyring: version {version} appears twice")]
    DuplicateVersion { version: u32 },
    #[error(
        "master keyring entry {entry} (version {version}): the key must be {KEY_LEN} bytes in standard base64, as `openssl rand -base64 32` prints"
    )]
    BadKey { entry: usize, version: u32 },
    #[error(
        "a stored secret was sealed with master key version {version}, which is not in the keyring; add that key back to ACTIONHUB_MASTER_KEY"
    )]
    UnknownVersion { version: u32 },
    #[error(
        "a stored secret failed to decrypt: it was moved from another row or altered, or the key for its version is wrong"
    )]
    Undecryptable,
    #[error("a secret is too large to encrypt")]
    TooLarge,
    #[error("cannot read the master key file {path}: {source}")]
    ReadKeyFile { path: String, source: io::Error },
    #[error("cannot create the master key file {path}: {source}")]
    CreateKeyFile { path: String, source: io::Error },
    #[error(
        "the master key file {path} is missing, but the database beside it holds secrets sealed with a master key, which cannot be decrypted without it; restore the file from its backup, or set ACTIONHUB_MASTER_KEY_FILE to where the key file is (or ACTIONHUB_MASTER_KEY to the key)"
    )]
    MissingKeyFile { path: String },
    #[error("the operating system's random number generator failed")]
    Entropy,
}

/// Where a sealed value lives; it becomes the associated data of the encryption.
#[derive(Debug, Clone, Copy)]
pub struct Binding<'a> {
    /// The project id, or `hub` for hub-wide secrets.
    pub scope: &'a str,
    /// The row the value belongs to (the account id, or the secret's name).
    pub record: &'a str,
    /// The field within that row (`api_token`).
    pub field: &'a str,
}

impl Binding<'_> {
    fn associated_data(&self, version: u32) -> Vec<u8> {
        // Length-prefixed parts, so that ("a", "bc") and ("ab", "c") cannot collide.
        let mut ad = Vec::with_capacity(
            AD_DOMAIN.len() + 16 + self.scope.len() + self.record.len() + self.field.len(),
        );
        for part in [
            AD_DOMAIN,
            self.scope.as_bytes(),
            self.record.as_bytes(),
            self.field.as_bytes(),
        ] {
            ad.extend_from_slice(&(part.len() as u32).to_be_bytes());
            ad.extend_from_slice(part);
        }
        ad.extend_from_slice(&version.to_be_bytes());
        ad
    }
}

/// A sealed value as stored: the key version and `nonce || ciphertext || tag`.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_version: u32,
    pub bytes: Vec<u8>,
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealed")
            .field("key_version", &self.key_version)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// The versioned master keys. Cloning shares nothing mutable; the ciphers hold the expanded keys.
#[derive(Clone)]
pub struct Keyring {
    keys: BTreeMap<u32, Aes256Gcm>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("versions", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Keyring {
    /// Parses the keyring format described in the module documentation.
    pub fn parse(text: &str) -> Result<Keyring, VaultError> {
        let entries: Vec<&str> = text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|entry| !entry.is_empty())
            .collect();
        if entries.is_empty() {
            return Err(VaultError::EmptyKeyring);
        }
        let mut keys = BTreeMap::new();
        for (index, entry) in entries.iter().enumerate() {
            let number = index + 1;
            let (version, encoded) = match entry.split_once(':') {
                Some((version, encoded)) => {
                    let version = version
                        .parse::<u32>()
                        .ok()
                        .filter(|v| *v > 0)
                        .ok_or(VaultError::BadVersion { entry: number })?;
                    (version, encoded)
                }
                None if entries.len() == 1 => (1, *entry),
                None => return Err(VaultError::MissingVersion { entry: number }),
            };
            let bytes = STANDARD
                .decode(encoded)
                .ok()
                .filter(|bytes| bytes.len() == KEY_LEN)
                .ok_or(VaultError::BadKey {
                    entry: number,
                    version,
                })?;
            let cipher = Aes256Gcm::new_from_slice(&bytes).map_err(|_| VaultError::BadKey {
                entry: number,
                version,
            })?;
            if keys.insert(version, cipher).is_some() {
                return Err(VaultError::DuplicateVersion { version });
            }
        }
        Ok(Keyring { keys })
    }

    /// Reads a keyring file (`ACTIONHUB_MASTER_KEY_FILE`).
    pub fn read_file(path: &Path) -> Result<Keyring, VaultError> {
        let text = std::fs::read_to_string(path).map_err(|source| VaultError::ReadKeyFile {
            path: path.display().to_string(),
            source,
        })?;
        Keyring::parse(&text)
    }

    /// Reads the keyring file at `path`, creating it with one new random key (version 1, file
    /// mode 0600) when it does not exist. Returns whether it was created, so the caller can say
    /// so. Creation uses `create_new`, so two processes starting at once cannot both write one.
    pub fn read_or_create_file(path: &Path) -> Result<(Keyring, bool), VaultError> {
        let create_error = |source| VaultError::CreateKeyFile {
            path: path.display().to_string(),
            source,
        };
        let mut key = [0u8; KEY_LEN];
        getrandom::fill(&mut key).map_err(|_| VaultError::Entropy)?;
        let contents = format!("1:{}\n", STANDARD.encode(key));
        key.fill(0);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(create_error)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(path) {
            Ok(mut file) => {
                // Exactly 0600, whatever the umask.
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    file.set_permissions(std::fs::Permissions::from_mode(0o600))
                        .map_err(create_error)?;
                }
                file.write_all(contents.as_bytes())
                    .and_then(|()| file.sync_all())
                    .map_err(create_error)?;
                Ok((Keyring::parse(&contents)?, true))
            }
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                Ok((Keyring::read_file(path)?, false))
            }
            Err(error) => Err(create_error(error)),
        }
    }

    /// The version that seals new values.
    pub fn newest_version(&self) -> u32 {
        // Parsing refuses an empty keyring, so there is always a last key.
        self.keys.keys().next_back().copied().unwrap_or(0)
    }

    /// Every version the keyring can open, oldest first.
    pub fn versions(&self) -> Vec<u32> {
        self.keys.keys().copied().collect()
    }

    /// Encrypts `plaintext` under the newest key, bound to `binding`.
    pub fn seal(&self, binding: Binding<'_>, plaintext: &[u8]) -> Result<Sealed, VaultError> {
        let version = self.newest_version();
        let cipher = self
            .keys
            .get(&version)
            .ok_or(VaultError::UnknownVersion { version })?;
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| VaultError::Entropy)?;
        let ad = binding.associated_data(version);
        let ciphertext = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &ad,
                },
            )
            // AES-GCM only refuses inputs of more than 64 GiB.
            .map_err(|_| VaultError::TooLarge)?;
        let mut bytes = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&ciphertext);
        Ok(Sealed {
            key_version: version,
            bytes,
        })
    }

    /// Decrypts a sealed value; fails unless it was sealed for exactly this `binding`.
    pub fn open(&self, binding: Binding<'_>, sealed: &Sealed) -> Result<Vec<u8>, VaultError> {
        let version = sealed.key_version;
        let cipher = self
            .keys
            .get(&version)
            .ok_or(VaultError::UnknownVersion { version })?;
        if sealed.bytes.len() < NONCE_LEN + TAG_LEN {
            return Err(VaultError::Undecryptable);
        }
        let (nonce, ciphertext) = sealed.bytes.split_at(NONCE_LEN);
        let ad = binding.associated_data(version);
        cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &ad,
                },
            )
            .map_err(|_| VaultError::Undecryptable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const K2: &str = "HxwdHhscGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=";

    fn binding<'a>(record: &'a str) -> Binding<'a> {
        Binding {
            scope: "prj_1",
            record,
            field: "api_token",
        }
    }

    #[test]
    fn a_bare_key_is_version_one() {
        let keyring = Keyring::parse(K1).unwrap();
        assert_eq!(keyring.versions(), vec![1]);
    }

    #[test]
    fn versions_are_explicit_and_the_highest_seals() {
        let keyring = Keyring::parse(&format!("1:{K1}, 7:{K2}")).unwrap();
        assert_eq!(keyring.versions(), vec![1, 7]);
        assert_eq!(keyring.seal(binding("acc_1"), b"x").unwrap().key_version, 7);
    }

    #[test]
    fn bad_keyrings_are_refused_without_echoing_keys() {
        for (text, expected) in [
            ("", "empty"),
            (&format!("0:{K1}") as &str, "positive integer"),
            (&format!("{K1},{K2}"), "only entry"),
            (&format!("1:{K1},1:{K2}"), "twice"),
            ("1:c2hvcnQ=", "32 bytes"),
        ] {
            let message = Keyring::parse(text).unwrap_err().to_string();
            assert!(message.contains(expected), "{text}: {message}");
            assert!(!message.contains(K1) && !message.contains("c2hvcnQ"));
        }
    }

    #[test]
    fn a_sealed_value_opens_only_where_it_was_sealed() {
        let keyring = Keyring::parse(K1).unwrap();
        let sealed = keyring.seal(binding("acc_1"), b"secret").unwrap();
        assert_eq!(keyring.open(binding("acc_1"), &sealed).unwrap(), b"secret");
        assert!(matches!(
            keyring.open(binding("acc_2"), &sealed),
            Err(VaultError::Undecryptable)
        ));
        let other_field = Binding {
            field: "other",
            ..binding("acc_1")
        };
        assert!(keyring.open(other_field, &sealed).is_err());
        let relabelled = Sealed {
            key_version: 2,
            ..sealed.clone()
        };
        let both = Keyring::parse(&format!("1:{K1},2:{K1}")).unwrap();
        assert!(both.open(binding("acc_1"), &relabelled).is_err());
    }

    #[test]
    fn nonces_differ_between_seals() {
        let keyring = Keyring::parse(K1).unwrap();
        let a = keyring.seal(binding("acc_1"), b"secret").unwrap();
        let b = keyring.seal(binding("acc_1"), b"secret").unwrap();
        assert_ne!(a.bytes, b.bytes);
    }

    #[test]
    fn an_old_version_still_opens_after_a_new_key_is_added() {
        let old = Keyring::parse(&format!("1:{K1}")).unwrap();
        let sealed = old.seal(binding("acc_1"), b"secret").unwrap();
        let both = Keyring::parse(&format!("2:{K2},1:{K1}")).unwrap();
        assert_eq!(both.open(binding("acc_1"), &sealed).unwrap(), b"secret");
        let only_new = Keyring::parse(&format!("2:{K2}")).unwrap();
        assert!(matches!(
            only_new.open(binding("acc_1"), &sealed),
            Err(VaultError::UnknownVersion { version: 1 })
        ));
    }
}
