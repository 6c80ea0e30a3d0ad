//! Typed KMIP messages over the TTLV tree of [`kmip_ttlv`]: request and response messages,
//! headers, batch items, and typed payloads for the operations vCenter uses (Discover
//! Versions, Query, Create, Get, Get Attributes, Add Attribute, Modify Attribute, Activate)
//! plus Register, Locate, Get Attribute List, Delete Attribute, Set Attribute, Revoke,
//! Destroy and Re-key (KMIP 1.4 §4, §7; KMIP 2.1 §6, §8).
//!
//! Attributes follow the message's protocol version: the KMIP 1.x layout (Attribute Name /
//! Attribute Value, Template-Attribute) or the KMIP 2.x layout (Attributes structure, vendor
//! attributes). Any other operation, including unknown and vendor operations and operations
//! the message's version does not define, decodes as a generic payload so the server can
//! answer "Operation Not Supported".
//!
//! Decoding is strict: a field the structure does not define is an error, not silently
//! dropped. Encoding writes fields in specification order, so the messages real clients send
//! re-encode byte for byte (tested on a vCenter 7.0.3 capture and the OASIS test cases).
//!
//! # Layout
//!
//! - [`message`] — the [`Message`] trait, [`RequestMessage`], [`ResponseMessage`] and their batch items.
//! - [`header`] — request and response headers, authentication and credentials.
//! - [`payload`] — [`RequestPayload`], [`ResponsePayload`], one module per operation.
//! - [`since`] — the version that first defined a tag, enumeration value, operation, object
//!   type, attribute or result reason: what a message of a version may carry.
//! - [`untrue`] — the first thing in a whole message that its version does not define.
//! - [`attribute`] — [`Attribute`], [`Attributes`], [`TemplateAttribute`] in both layouts.
//! - [`object`] — [`ManagedObject`], key blocks and key values.
//! - [`common`] — Unique Identifier, Name, Revocation Reason, secret strings.
//! - [`crypto`] — Cryptographic Parameters and the streaming fields of cryptographic requests.
//! - [`vendor`] — Raftkeep's Message Extension: conditions such as "unavailable, try another server".
//! - [`version`] — [`ProtocolVersion`].
//! - [`wrapping`] — Key Wrapping Specification and Key Wrapping Data.
//! - [`codec`] — the field reader and writer the above are built on.
//! - [`error`] — [`MessageError`].

pub mod attribute;
pub mod codec;
pub mod common;
pub mod crypto;
pub mod error;
pub mod header;
pub mod message;
pub mod object;
pub mod payload;
pub mod since;
pub mod untrue;
pub mod vendor;
pub mod version;
pub mod wrapping;

pub use attribute::{Attribute, AttributeName, Attributes, TemplateAttribute};
pub use codec::{Ctx, DateTime, Interval};
pub use common::{Name, RevocationReason, SecretString, UniqueIdentifier};
pub use crypto::{CryptographicParameters, Streaming};
pub use error::{MessageError, MessageErrorKind};
pub use header::{Authentication, Credential, CredentialValue, RequestHeader, ResponseHeader};
pub use message::{Message, RequestBatchItem, RequestMessage, ResponseBatchItem, ResponseMessage};
pub use object::{KeyBlock, KeyMaterial, KeyValue, ManagedObject};
pub use payload::{RequestPayload, ResponsePayload};
pub use version::ProtocolVersion;
pub use wrapping::{KeyInformation, KeyWrappingData, KeyWrappingSpecification};
