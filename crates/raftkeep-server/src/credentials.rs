//! The optional Username/Password check: when users are configured, every request must carry
//! a Username and Password credential (KMIP 1.4 §2.1.2) of one of them, on top of an allowed
//! client certificate. Passwords are configured as Argon2id PHC strings
//! (`raftkeep kmip hash-password`), never in clear. A verified pair is remembered by its
//! SHA-256, so a client opening a connection per request (vCenter) costs one Argon2 run, not
//! one per request.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use argon2::password_hash::{PasswordHash, PasswordVerifier};
use kmip_messages::{CredentialValue, RequestHeader};
use sha2::{Digest, Sha256};

/// How many verified pairs are remembered before the memory starts over.
const REMEMBERED: usize = 1024;

/// The configured users and their password hashes.
pub struct Passwords {
    users: HashMap<String, String>,
    verified: Mutex<HashSet<[u8; 32]>>,
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passwords")
            .field("users", &self.users.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Passwords {
    /// Users and their Argon2 PHC strings; an unreadable hash is an error naming the user.
    pub fn new(users: impl IntoIterator<Item = (String, String)>) -> Result<Self, String> {
        let users: HashMap<String, String> = users.into_iter().collect();
        for (user, hash) in &users {
            PasswordHash::new(hash).map_err(|e| {
                format!("the password hash of KMIP user {user:?} is not an Argon2 PHC string: {e}")
            })?;
        }
        Ok(Passwords {
            users,
            verified: Mutex::new(HashSet::new()),
        })
    }

    /// Ok when the header carries a Username/Password credential of a configured user; the
    /// reason otherwise (it never repeats the password).
    pub fn check(&self, header: &RequestHeader) -> Result<String, String> {
        let credentials = header
            .authentication
            .as_ref()
            .map(|a| a.credentials.as_slice())
            .unwrap_or_default();
        let Some((username, password)) = credentials.iter().find_map(|c| match &c.value {
            CredentialValue::UsernamePassword { username, password } => {
                Some((username, password.as_ref()))
            }
            CredentialValue::Other(_) => None,
        }) else {
            return Err("this server requires a Username and Password credential".to_owned());
        };
        let denied = || Err(format!("wrong username or password (user {username:?})"));
        let (Some(hash), Some(password)) = (self.users.get(username), password) else {
            return denied();
        };
        let key: [u8; 32] = {
            let mut h = Sha256::new();
            h.update(username.as_bytes());
            h.update([0]);
            h.update(password.expose().as_bytes());
            h.update([0]);
            h.update(hash.as_bytes());
            h.finalize().into()
        };
        let mut verified = self
            .verified
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if verified.contains(&key) {
            return Ok(username.clone());
        }
        let parsed = PasswordHash::new(hash).map_err(|e| e.to_string())?;
        if argon2::Argon2::default()
            .verify_password(password.expose().as_bytes(), &parsed)
            .is_err()
        {
            return denied();
        }
        if verified.len() >= REMEMBERED {
            verified.clear();
        }
        verified.insert(key);
        Ok(username.clone())
    }
}

/// The Argon2id PHC string of a password, with a fresh random salt (for the configuration).
pub fn hash_password(password: &str) -> Result<String, String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test")]

    use kmip_messages::{Authentication, Credential, ProtocolVersion, SecretString};
    use kmip_ttlv::enums::CredentialType;

    use super::*;

    fn header(user: &str, password: Option<&str>) -> RequestHeader {
        let mut h = RequestHeader::new(ProtocolVersion::V1_1, 1);
        h.authentication = Some(Authentication {
            credentials: vec![Credential {
                credential_type: CredentialType::USERNAME_AND_PASSWORD,
                value: CredentialValue::UsernamePassword {
                    username: user.to_owned(),
                    password: password.map(|p| SecretString::new(p.to_owned())),
                },
            }],
        });
        h
    }

    #[test]
    fn only_a_configured_user_with_its_password_passes() {
        let hash = hash_password("s3cret pass").unwrap();
        assert!(!hash.contains("s3cret"));
        let p = Passwords::new([("vcenter".to_owned(), hash)]).unwrap();
        assert_eq!(
            p.check(&header("vcenter", Some("s3cret pass"))).unwrap(),
            "vcenter"
        );
        // Remembered: the second check does not run Argon2 again, and still passes.
        assert!(p.check(&header("vcenter", Some("s3cret pass"))).is_ok());
        for (user, password) in [
            ("vcenter", Some("wrong")),
            ("vcenter", None),
            ("other", Some("s3cret pass")),
        ] {
            let e = p.check(&header(user, password)).unwrap_err();
            assert!(!e.contains("s3cret"), "{e}");
        }
        assert!(
            p.check(&RequestHeader::new(ProtocolVersion::V1_1, 1))
                .is_err()
        );
        assert!(Passwords::new([("x".to_owned(), "plain".to_owned())]).is_err());
    }
}
