//! A pure, bounded codec for KMIP's Tag-Type-Length-Value encoding (KMIP 1.4 §9.1, KMIP 2.1
//! §9.1), with the tag, enumeration and mask registry generated from the specification tables.
//!
//! No I/O and no async: the network layer buffers bytes, asks [`frame_len`] whether a whole
//! message has arrived (enforcing the size limit from the header alone), then calls
//! [`decode_message`]. Decoding is strict — fixed lengths, zero padding, UTF-8, Booleans of 0 or
//! 1, no bytes left over — and bounded by [`Limits`]; no input panics, and every error says
//! what went wrong, at which byte offset, under which tags.
//!
//! Tags ([`Tag`]), item types ([`ItemType`]) and enumeration values ([`enums`]) are open
//! newtypes: unknown and vendor (`0x54xxxx`) values decode, print as hex and re-encode unchanged.
//!
//! # Example
//!
//! The specification's Structure example (KMIP 1.4 §9.1.2), built by hand:
//!
//! ```
//! use kmip_ttlv::{decode, encode, Limits, Tag, Ttlv, Value};
//!
//! let bytes: [u8; 40] = [
//!     0x42, 0x00, 0x20, 0x01, 0x00, 0x00, 0x00, 0x20, // tag 420020, Structure, length 32
//!     0x42, 0x00, 0x04, 0x05, 0x00, 0x00, 0x00, 0x04, // tag 420004, Enumeration, length 4
//!     0x00, 0x00, 0x00, 0xFE, 0x00, 0x00, 0x00, 0x00, //   254, then 4 bytes of padding
//!     0x42, 0x00, 0x05, 0x02, 0x00, 0x00, 0x00, 0x04, // tag 420005, Integer, length 4
//!     0x00, 0x00, 0x00, 0xFF, 0x00, 0x00, 0x00, 0x00, //   255, then 4 bytes of padding
//! ];
//! let item = decode(&bytes, &Limits::default())?;
//! assert_eq!(
//!     item,
//!     Ttlv::structure(Tag(0x420020), vec![
//!         Ttlv::new(Tag(0x420004), Value::Enumeration(254)),
//!         Ttlv::integer(Tag(0x420005), 255),
//!     ])
//! );
//! assert_eq!(encode(&item)?, bytes);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Layout
//!
//! - [`tag`] — the [`Tag`] newtype, names and lookups.
//! - [`item_type`] — the [`ItemType`] newtype.
//! - [`value`] — the tree — [`Ttlv`], [`Value`], [`BigInteger`], [`ByteString`], [`Placeholder`].
//! - [`decode`](mod@decode) — [`frame_len`], [`decode_message`], [`decode()`].
//! - [`encode`](mod@encode) — [`encode()`], [`encode_into`], [`encoded_len`].
//! - [`limits`] — [`Limits`].
//! - [`error`] — [`DecodeError`], [`EncodeError`], [`TagPath`].
//! - [`registry`] — tag and enumeration tables, name normalization (KMIP Profiles §5.4.1.1).
//! - [`enums`] — one open newtype per enumeration and mask (`ObjectType`, `Operation`, ...).

pub mod decode;
pub mod encode;
pub mod enums;
pub mod error;
pub mod item_type;
pub mod limits;
pub mod registry;
pub mod tag;
pub mod value;

pub use decode::{HEADER_LEN, decode, decode_message, frame_len, message_len};
pub use encode::{encode, encode_into, encoded_len};
pub use error::{DecodeError, DecodeErrorKind, EncodeError, EncodeErrorKind, TagPath};
pub use item_type::ItemType;
pub use limits::Limits;
pub use tag::Tag;
pub use value::{BigInteger, ByteString, Placeholder, Ttlv, Value};
