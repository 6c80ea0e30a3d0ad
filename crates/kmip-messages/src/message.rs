//! Request and response messages and their batch items (KMIP 1.4 §7, KMIP 2.1 §8).

use kmip_ttlv::enums::{Operation, ResultReason, ResultStatus};
use kmip_ttlv::{ByteString, Limits, Tag, Ttlv};

use crate::ProtocolVersion;
use crate::codec::{Ctx, Reader, Writer};
use crate::error::{MessageError, MessageErrorKind};
use crate::header::{RequestHeader, ResponseHeader};
use crate::payload::{RequestPayload, ResponsePayload};

/// Headers are laid out the same in every version; only payloads depend on it.
const HEADER_CTX: Ctx = Ctx {
    version: ProtocolVersion::V1_4,
};

/// A request message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestMessage {
    /// The header.
    pub header: RequestHeader,
    /// The batch items, in order.
    pub batch_items: Vec<RequestBatchItem>,
}

/// One operation of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestBatchItem {
    /// The operation.
    pub operation: Operation,
    /// Whether the server should keep no state for this item (KMIP 2.x).
    pub ephemeral: Option<bool>,
    /// The client's identifier for the item, echoed in the response (vCenter sends 8 bytes).
    pub unique_batch_item_id: Option<ByteString>,
    /// The payload.
    pub payload: RequestPayload,
    /// Vendor extension, kept as sent.
    pub message_extension: Option<Ttlv>,
}

/// A response message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseMessage {
    /// The header.
    pub header: ResponseHeader,
    /// The batch items, in order.
    pub batch_items: Vec<ResponseBatchItem>,
}

/// The result of one operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseBatchItem {
    /// The operation (required when the request named one).
    pub operation: Option<Operation>,
    /// Echo of the request item's identifier.
    pub unique_batch_item_id: Option<ByteString>,
    /// Success, failure, pending or undone.
    pub result_status: ResultStatus,
    /// Why it failed.
    pub result_reason: Option<ResultReason>,
    /// A human-readable explanation.
    pub result_message: Option<String>,
    /// For asynchronous operations.
    pub asynchronous_correlation_value: Option<ByteString>,
    /// The payload.
    pub payload: Option<ResponsePayload>,
    /// Vendor extension, kept as sent.
    pub message_extension: Option<Ttlv>,
}

impl RequestBatchItem {
    /// Reads one batch item; `ctx` carries the message's protocol version.
    pub fn read(item: &Ttlv, path: &[Tag], ctx: Ctx) -> Result<Self, MessageError> {
        let mut r = Reader::new(item, path)?;
        let operation: Operation = r.required(Tag::OPERATION, ctx)?;
        let ephemeral = r.optional(Tag::EPHEMERAL, ctx)?;
        let unique_batch_item_id = r.optional(Tag::UNIQUE_BATCH_ITEM_ID, ctx)?;
        let payload_item = r.required_item(Tag::REQUEST_PAYLOAD)?;
        let payload = RequestPayload::read(operation, payload_item, r.path(), ctx)?;
        let message_extension = r.optional(Tag::MESSAGE_EXTENSION, ctx)?;
        r.finish()?;
        Ok(RequestBatchItem {
            operation,
            ephemeral,
            unique_batch_item_id,
            payload,
            message_extension,
        })
    }

    /// Writes the batch item.
    pub fn write(&self, ctx: Ctx) -> Ttlv {
        let mut w = Writer::default();
        w.field(Tag::OPERATION, &self.operation, ctx);
        w.optional(Tag::EPHEMERAL, &self.ephemeral, ctx);
        w.optional(Tag::UNIQUE_BATCH_ITEM_ID, &self.unique_batch_item_id, ctx);
        w.item(self.payload.write(ctx));
        w.optional(Tag::MESSAGE_EXTENSION, &self.message_extension, ctx);
        w.into_structure(Tag::BATCH_ITEM)
    }
}

impl ResponseBatchItem {
    /// Reads one batch item; `ctx` carries the message's protocol version.
    pub fn read(item: &Ttlv, path: &[Tag], ctx: Ctx) -> Result<Self, MessageError> {
        let mut r = Reader::new(item, path)?;
        let operation: Option<Operation> = r.optional(Tag::OPERATION, ctx)?;
        let unique_batch_item_id = r.optional(Tag::UNIQUE_BATCH_ITEM_ID, ctx)?;
        let result_status = r.required(Tag::RESULT_STATUS, ctx)?;
        let result_reason = r.optional(Tag::RESULT_REASON, ctx)?;
        let result_message = r.optional(Tag::RESULT_MESSAGE, ctx)?;
        let asynchronous_correlation_value =
            r.optional(Tag::ASYNCHRONOUS_CORRELATION_VALUE, ctx)?;
        let payload = match (r.optional_item(Tag::RESPONSE_PAYLOAD), operation) {
            (Some(p), Some(op)) => Some(ResponsePayload::read(op, p, r.path(), ctx)?),
            (Some(p), None) => Some(ResponsePayload::Other(p.clone())),
            (None, _) => None,
        };
        let message_extension = r.optional(Tag::MESSAGE_EXTENSION, ctx)?;
        r.finish()?;
        Ok(ResponseBatchItem {
            operation,
            unique_batch_item_id,
            result_status,
            result_reason,
            result_message,
            asynchronous_correlation_value,
            payload,
            message_extension,
        })
    }

    /// Writes the batch item.
    pub fn write(&self, ctx: Ctx) -> Ttlv {
        let mut w = Writer::default();
        w.optional(Tag::OPERATION, &self.operation, ctx);
        w.optional(Tag::UNIQUE_BATCH_ITEM_ID, &self.unique_batch_item_id, ctx);
        w.field(Tag::RESULT_STATUS, &self.result_status, ctx);
        w.optional(Tag::RESULT_REASON, &self.result_reason, ctx);
        w.optional(Tag::RESULT_MESSAGE, &self.result_message, ctx);
        w.optional(
            Tag::ASYNCHRONOUS_CORRELATION_VALUE,
            &self.asynchronous_correlation_value,
            ctx,
        );
        if let Some(p) = &self.payload {
            w.item(p.write(ctx));
        }
        w.optional(Tag::MESSAGE_EXTENSION, &self.message_extension, ctx);
        w.into_structure(Tag::BATCH_ITEM)
    }
}

fn check_message_tag(item: &Ttlv, expected: Tag) -> Result<(), MessageError> {
    if item.tag == expected {
        return Ok(());
    }
    Err(MessageError::new(
        MessageErrorKind::UnexpectedField(item.tag),
        &[],
    ))
}

fn check_batch_count(declared: i32, actual: usize, path: &[Tag]) -> Result<(), MessageError> {
    if usize::try_from(declared).ok() == Some(actual) {
        return Ok(());
    }
    Err(MessageError::new(
        MessageErrorKind::BatchCountMismatch { declared, actual },
        path,
    ))
}

impl RequestMessage {
    /// Reads a request from its tree.
    pub fn from_ttlv(item: &Ttlv) -> Result<Self, MessageError> {
        check_message_tag(item, Tag::REQUEST_MESSAGE)?;
        let mut r = Reader::new(item, &[])?;
        let header: RequestHeader = r.required(Tag::REQUEST_HEADER, HEADER_CTX)?;
        let ctx = Ctx::new(header.protocol_version);
        let items = r.repeated_items(Tag::BATCH_ITEM);
        check_batch_count(header.batch_count, items.len(), r.path())?;
        let batch_items = items
            .into_iter()
            .map(|i| RequestBatchItem::read(i, r.path(), ctx))
            .collect::<Result<_, _>>()?;
        r.finish()?;
        Ok(RequestMessage {
            header,
            batch_items,
        })
    }

    /// Writes the request as a tree.
    pub fn to_ttlv(&self) -> Ttlv {
        let ctx = Ctx::new(self.header.protocol_version);
        let mut w = Writer::default();
        w.field(Tag::REQUEST_HEADER, &self.header, HEADER_CTX);
        for i in &self.batch_items {
            w.item(i.write(ctx));
        }
        w.into_structure(Tag::REQUEST_MESSAGE)
    }

    /// Decodes a request from TTLV bytes.
    pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Self, MessageError> {
        let tree = kmip_ttlv::decode_message(bytes, limits)
            .map_err(|e| MessageError::new(e.into(), &[]))?;
        Self::from_ttlv(&tree)
    }

    /// Encodes the request as TTLV bytes.
    pub fn encode(&self) -> Result<Vec<u8>, MessageError> {
        kmip_ttlv::encode(&self.to_ttlv()).map_err(|e| MessageError::new(e.into(), &[]))
    }
}

impl ResponseMessage {
    /// Reads a response from its tree.
    pub fn from_ttlv(item: &Ttlv) -> Result<Self, MessageError> {
        check_message_tag(item, Tag::RESPONSE_MESSAGE)?;
        let mut r = Reader::new(item, &[])?;
        let header: ResponseHeader = r.required(Tag::RESPONSE_HEADER, HEADER_CTX)?;
        let ctx = Ctx::new(header.protocol_version);
        let items = r.repeated_items(Tag::BATCH_ITEM);
        check_batch_count(header.batch_count, items.len(), r.path())?;
        let batch_items = items
            .into_iter()
            .map(|i| ResponseBatchItem::read(i, r.path(), ctx))
            .collect::<Result<_, _>>()?;
        r.finish()?;
        Ok(ResponseMessage {
            header,
            batch_items,
        })
    }

    /// Writes the response as a tree.
    pub fn to_ttlv(&self) -> Ttlv {
        let ctx = Ctx::new(self.header.protocol_version);
        let mut w = Writer::default();
        w.field(Tag::RESPONSE_HEADER, &self.header, HEADER_CTX);
        for i in &self.batch_items {
            w.item(i.write(ctx));
        }
        w.into_structure(Tag::RESPONSE_MESSAGE)
    }

    /// Decodes a response from TTLV bytes.
    pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Self, MessageError> {
        let tree = kmip_ttlv::decode_message(bytes, limits)
            .map_err(|e| MessageError::new(e.into(), &[]))?;
        Self::from_ttlv(&tree)
    }

    /// Encodes the response as TTLV bytes.
    pub fn encode(&self) -> Result<Vec<u8>, MessageError> {
        kmip_ttlv::encode(&self.to_ttlv()).map_err(|e| MessageError::new(e.into(), &[]))
    }
}
