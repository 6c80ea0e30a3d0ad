//! Raftkeep's KMIP front end: TTLV over TLS on every node.
//!
//! Built so far (issue #4 continues): the TLS listener (TLS 1.2/1.3, client certificate
//! required but judged per request against the allow-list, connection limit, handshake / idle / read / write timeouts,
//! clean shutdown), bounded framing, sessions that answer undecodable requests with Invalid
//! Message instead of dropping the connection, and the operation engine with Discover Versions
//! and Query;
//! every other operation is answered "Operation Not Supported". `raftkeep server` runs it
//! when the node configuration has a `[kmip]` section.
//!
//! # Layout
//!
//! - [`tls`] — the rustls server configuration, client certificate fingerprints.
//! - [`framing`] — reading one message off a stream, within the limits.
//! - [`listener`] — [`KmipListener`] and its [`Settings`].
//! - `session` — one connection.
//! - [`engine`] — [`Handler`], [`Engine`], [`Client`], [`AllowList`].
//! - [`ops`] — one KMIP operation per file.
//! - [`response`] — response headers and failed items.
//! - [`error`] — [`ServerError`], [`FrameError`].

pub mod attrs;
pub mod audit;
pub mod engine;
pub mod error;
pub mod framing;
pub mod listener;
pub mod material;
pub mod ops;
pub mod response;
mod session;
pub mod store;
pub mod tls;

pub use audit::{AuditLog, AuditSink};
pub use engine::{AllowList, Client, Engine, Handler};
pub use error::{FrameError, OpError, ServerError};
pub use listener::{KmipListener, Settings};
pub use store::{KeyStore, StoreFailure, StoreFuture};
