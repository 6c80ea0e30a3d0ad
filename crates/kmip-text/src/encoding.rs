//! Whole messages between the three KMIP message encodings — TTLV bytes, KMIP XML and KMIP
//! JSON — as KMIP over HTTPS carries them: the server turns a POSTed body into TTLV for its
//! engine and its TTLV answer back into the body's encoding; a client does the reverse.

use kmip_ttlv::Limits;

use crate::{Mode, ParseError};

/// A KMIP message encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// TTLV bytes, `application/octet-stream`.
    Ttlv,
    /// KMIP XML, `text/xml`.
    Xml,
    /// KMIP JSON, `application/json`.
    Json,
}

/// Why a message did not convert.
#[derive(Debug, thiserror::Error)]
pub enum EncodingError {
    /// XML or JSON text that is not UTF-8.
    #[error("the message is not UTF-8: {0}")]
    NotUtf8(#[from] std::str::Utf8Error),
    /// Text that is not a KMIP XML or JSON message.
    #[error("not a KMIP message: {0}")]
    Text(#[from] ParseError),
    /// A tree that does not encode as TTLV.
    #[error("the message does not encode as TTLV: {0}")]
    Encode(#[from] kmip_ttlv::EncodeError),
    /// TTLV bytes that do not decode.
    #[error("the TTLV message does not decode: {0}")]
    Decode(#[from] kmip_ttlv::DecodeError),
}

impl Encoding {
    /// The encoding a media type names (parameters such as `charset` aside).
    pub fn from_media_type(value: &str) -> Option<Encoding> {
        let media = value.split(';').next()?.trim().to_ascii_lowercase();
        match media.as_str() {
            "application/octet-stream" => Some(Encoding::Ttlv),
            "text/xml" | "application/xml" => Some(Encoding::Xml),
            "application/json" => Some(Encoding::Json),
            _ => None,
        }
    }

    /// The media type of this encoding.
    pub fn media_type(self) -> &'static str {
        match self {
            Encoding::Ttlv => "application/octet-stream",
            Encoding::Xml => "text/xml; charset=utf-8",
            Encoding::Json => "application/json",
        }
    }

    /// A message in this encoding as TTLV bytes.
    pub fn to_ttlv(self, message: &[u8]) -> Result<Vec<u8>, EncodingError> {
        let tree = match self {
            Encoding::Ttlv => return Ok(message.to_vec()),
            Encoding::Xml => crate::from_xml(std::str::from_utf8(message)?, Mode::Message)?,
            Encoding::Json => crate::from_json(std::str::from_utf8(message)?, Mode::Message)?,
        };
        Ok(kmip_ttlv::encode(&tree)?)
    }

    /// A TTLV message (within `limits`) in this encoding.
    pub fn render(self, ttlv: &[u8], limits: &Limits) -> Result<Vec<u8>, EncodingError> {
        if self == Encoding::Ttlv {
            return Ok(ttlv.to_vec());
        }
        let tree = kmip_ttlv::decode_message(ttlv, limits)?;
        Ok(match self {
            Encoding::Xml => crate::to_xml(&tree),
            _ => crate::to_json(&tree),
        }
        .into_bytes())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn a_message_survives_every_encoding_and_media_types_name_them() {
        let tree = kmip_ttlv::Ttlv::structure(
            kmip_ttlv::Tag::REQUEST_MESSAGE,
            vec![kmip_ttlv::Ttlv::integer(kmip_ttlv::Tag::BATCH_COUNT, 1)],
        );
        let ttlv = kmip_ttlv::encode(&tree).unwrap();
        for e in [Encoding::Ttlv, Encoding::Xml, Encoding::Json] {
            let text = e.render(&ttlv, &Limits::default()).unwrap();
            assert_eq!(e.to_ttlv(&text).unwrap(), ttlv, "{e:?}");
            assert_eq!(Encoding::from_media_type(e.media_type()), Some(e));
        }
        assert_eq!(
            Encoding::from_media_type("Application/XML"),
            Some(Encoding::Xml)
        );
        assert_eq!(Encoding::from_media_type("text/plain"), None);
        assert!(Encoding::Xml.to_ttlv(b"<nope>").is_err());
    }
}
