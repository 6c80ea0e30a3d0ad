//! Raftkeep's KMIP front end: TTLV over TLS on every node, and optionally KMIP over HTTPS
//! (TTLV, XML or JSON messages POSTed).
//!
//! The TLS listener (TLS 1.2/1.3, a client certificate required but judged per request
//! against the allow-list, connection limit, handshake / idle / read / write timeouts, clean
//! shutdown), bounded framing, sessions that answer undecodable requests with Invalid Message
//! instead of dropping the connection, and the operation engine: one KMIP operation per file,
//! run against a [`KeyStore`] (the replicated store on a node), with owner-based access,
//! batches (ID Placeholder; Stop, Continue, Undo) and an audit log. `raftkeep server` runs it
//! when the node configuration has a `[kmip]` section.
//!
//! # Layout
//!
//! - [`tls`] — the rustls server configuration, client certificate fingerprints.
//! - [`framing`] — reading one message off a stream, within the limits.
//! - [`listener`] — [`KmipListener`] and its [`Settings`]; the gate that closes its socket
//!   while the node can serve nothing.
//! - `session` — one connection; closed unanswered when the engine hangs up.
//! - `https` — one HTTPS connection: POSTed TTLV, XML or JSON messages.
//! - [`engine`] — [`Handler`], [`Reply`], [`Engine`], [`Client`], [`AllowList`]; batch
//!   handling; which clients understand Raftkeep's marks.
//! - [`ops`] — one KMIP operation per file, and their shared context and rules.
//! - [`store`] — [`KeyStore`], what the engine needs from the replicated store, and the
//!   [`View`] a request gets of it.
//! - [`attrs`] — attributes between the store and the wire; which ones clients may change.
//! - [`material`] — sealing, unsealing, key formats, digests, random bytes.
//! - [`asymmetric`] — private and public key blocks in every format (DER, Transparent).
//! - [`audit`] — the hash-chained audit log.
//! - [`credentials`] — the optional Username/Password check.
//! - [`rate`] — per-client rate limits.
//! - [`observe`] — metric names, connection and operation metrics.
//! - [`response`] — response headers and items.
//! - [`error`] — [`ServerError`], [`FrameError`], [`OpError`] (and its one mapping to result
//!   reasons).

pub mod asymmetric;
pub mod attrs;
pub mod audit;
pub mod credentials;
pub mod engine;
pub mod error;
pub mod framing;
mod https;
pub mod listener;
pub mod material;
pub mod observe;
pub mod ops;
pub mod rate;
pub mod response;
mod session;
pub mod store;
pub mod tls;

pub use audit::{AuditLog, AuditSink};
pub use engine::{AllowList, CertChain, Client, Engine, Handler, Reply};
pub use error::{FrameError, OpError, ServerError};
pub use listener::{KmipListener, Settings};
pub use rate::{RateLimit, RateLimitSettings};
pub use store::{KeyStore, Purpose, StoreFailure, StoreFuture, View};
