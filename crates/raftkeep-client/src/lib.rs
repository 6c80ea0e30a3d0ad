//! Raftkeep's KMIP client library: typed KMIP operations over mutual TLS, and the failover
//! of vCenter's key providers across an ordered, per-site server list.
//!
//! ```no_run
//! # async fn demo() -> Result<(), raftkeep_client::ClientError> {
//! use raftkeep_client::{Client, ClientConfig, servers};
//! let config = ClientConfig::new(
//!     servers::parse_list("kms-a:5696@site1,kms-b:5696@site1,kms-d:5696@site2")?,
//!     "ca.pem".into(), "client.pem".into(), "client.key".into(),
//! );
//! let client = Client::new(&config)?;
//! let uid = client
//!     .create_symmetric_key(kmip_ttlv::enums::CryptographicAlgorithm::AES, 256, Vec::new())
//!     .await?;
//! client.activate(&uid).await?;
//! # Ok(()) }
//! ```
//!
//! Failover rules (docs/client.md): each request starts at the first server of the
//! client's order; a server that is down, loses the request or says it cannot serve now is
//! left at once; one that accepted the connection but does not answer is left after the
//! service timeout (60 s by default); an answer ends the request. A retried Create,
//! Register or Re-key makes one object, not two: every request carries an idempotency key
//! (`kmip_messages::vendor::IDEMPOTENCY_PREFIX`) that the server remembers with the object.
//!
//! # Layout
//!
//! - [`client`] — [`Client`]: typed operations, version negotiation, credentials.
//! - [`crypto`] — Encrypt, Decrypt, Sign, Signature Verify, Create Key Pair, wrapped Get.
//! - [`failover`] — the loop over servers, [`Attempt`] and [`Outcome`], tracing and counters.
//! - [`connection`] — one TLS connection and how its failures are classified.
//! - [`servers`] — `HOST:PORT@SITE` addresses and the per-site try order.
//! - [`config`] — [`ClientConfig`] from a TOML file or flags, and its validation.
//! - [`error`] — [`ClientError`].

pub mod client;
pub mod config;
pub mod connection;
pub mod crypto;
pub mod error;
pub mod failover;
pub mod servers;

pub use client::{Answer, Client, SUPPORTED_VERSIONS};
pub use config::ClientConfig;
pub use crypto::Plaintext;
pub use error::ClientError;
pub use failover::{Attempt, Exchange, Outcome};
pub use servers::Server;
