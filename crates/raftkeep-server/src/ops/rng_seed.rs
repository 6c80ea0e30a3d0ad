//! RNG Seed (KMIP 1.4 §4.36, 2.1 §6.1.49): seed material from the client, mixed into the
//! operating system's pool (a write to `/dev/urandom`: mixed, not credited as entropy), so it
//! can only add unpredictability, never replace the system's own. Reports how many bytes were
//! used: all of them where the pool takes writes, none elsewhere.

use std::io::Write as _;

use kmip_messages::ResponsePayload;
use kmip_ttlv::{Tag, Ttlv, Value};

use crate::error::OpError;

/// The most seed bytes one request may bring.
pub const MAX_BYTES: usize = 64 * 1024;

/// Answers one RNG Seed; its payload has no typed form, so it is read here.
pub async fn run(payload: &Ttlv) -> Result<ResponsePayload, OpError> {
    let seed = match payload.child(Tag::DATA).map(|t| &t.value) {
        Some(Value::ByteString(b)) if b.as_slice().len() <= MAX_BYTES => b.as_slice().to_vec(),
        Some(Value::ByteString(_)) => {
            return Err(OpError::InvalidField(format!(
                "RNG Seed takes at most {MAX_BYTES} bytes"
            )));
        }
        _ => return Err(OpError::MissingData("RNG Seed needs Data".to_owned())),
    };
    let mixed = tokio::task::spawn_blocking(move || {
        let mut pool = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/urandom")?;
        pool.write_all(&seed)?;
        Ok::<usize, std::io::Error>(seed.len())
    })
    .await
    .map_err(|e| OpError::Seal(format!("the seeding task failed: {e}")))?;
    let used = match mixed {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "RNG Seed: the system pool does not take writes; the seed was not used");
            0
        }
    };
    Ok(ResponsePayload::Other(Ttlv::structure(
        Tag::RESPONSE_PAYLOAD,
        vec![Ttlv::integer(
            Tag::DATA_LENGTH,
            i32::try_from(used).unwrap_or(0),
        )],
    )))
}
