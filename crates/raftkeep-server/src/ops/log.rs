//! Log (KMIP 2.1 §6.1.32): a client writes a message into the server's log.

use kmip_messages::ResponsePayload;
use kmip_ttlv::{Tag, Ttlv, Value};

use crate::engine::Client;
use crate::error::OpError;

/// The longest message kept; longer ones are cut.
const MAX_CHARS: usize = 4096;

/// Answers one Log; its payload has no typed form, so it is read here.
pub fn run(client: &Client, payload: &Ttlv) -> Result<ResponsePayload, OpError> {
    let Some(Value::TextString(message)) = payload.child(Tag::LOG_MESSAGE).map(|t| &t.value) else {
        return Err(OpError::MissingData("Log needs a Log Message".to_owned()));
    };
    let message: String = message.chars().take(MAX_CHARS).collect();
    tracing::info!(client = %client.fingerprint, %message, "client log message");
    Ok(ResponsePayload::Other(Ttlv::structure(
        Tag::RESPONSE_PAYLOAD,
        Vec::new(),
    )))
}
