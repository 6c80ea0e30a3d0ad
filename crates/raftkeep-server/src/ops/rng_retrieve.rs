//! RNG Retrieve (KMIP 1.4 §4.35, 2.1 §6.1.48): random bytes from the operating system's
//! generator, at most [`MAX_BYTES`] per request.

use kmip_messages::ResponsePayload;
use kmip_ttlv::{ByteString, Tag, Ttlv, Value};

use crate::error::OpError;
use crate::material;

/// The most bytes one request may ask for.
pub const MAX_BYTES: usize = 64 * 1024;

/// Answers one RNG Retrieve; its payload has no typed form, so it is read here.
pub fn run(payload: &Ttlv) -> Result<ResponsePayload, OpError> {
    let len = match payload.child(Tag::DATA_LENGTH).map(|t| &t.value) {
        Some(Value::Integer(n)) => usize::try_from(*n)
            .ok()
            .filter(|n| (1..=MAX_BYTES).contains(n))
            .ok_or_else(|| {
                OpError::InvalidField(format!("Data Length must be 1 to {MAX_BYTES}, not {n}"))
            })?,
        Some(_) => {
            return Err(OpError::InvalidField(
                "Data Length must be an Integer".to_owned(),
            ));
        }
        None => {
            return Err(OpError::MissingData(
                "RNG Retrieve needs a Data Length".to_owned(),
            ));
        }
    };
    let data = material::random(len)?;
    Ok(ResponsePayload::Other(Ttlv::structure(
        Tag::RESPONSE_PAYLOAD,
        vec![Ttlv::new(
            Tag::DATA,
            Value::ByteString(ByteString::new(data.to_vec())),
        )],
    )))
}
