//! Request and response messages and their batch items (KMIP 1.4 §7, KMIP 2.1 §8).

use kmip_ttlv::enums::{Operation, ResultReason, ResultStatus};
use kmip_ttlv::{ByteString, Limits, Tag, Ttlv};

use crate::ProtocolVersion;
use crate::codec::{Ctx, Field, Reader, Writer};
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
        // The payload of an operation the message's version does not define is kept as sent:
        // its form is not that version's, and the server answers Operation Not Supported.
        let payload = if crate::since::operation_defined(operation, ctx.version) {
            RequestPayload::read(operation, payload_item, r.path(), ctx)?
        } else {
            RequestPayload::Other(payload_item.clone())
        };
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

/// A KMIP message: a header and batch items. Request and response messages share their
/// outer structure, read and written here once.
pub trait Message: Sized {
    /// Request Message or Response Message.
    const TAG: Tag;
    /// Request Header or Response Header.
    const HEADER_TAG: Tag;
    /// The header.
    type Header: Field;
    /// The batch item.
    type Item;

    /// The header's protocol version and batch count.
    fn version_and_count(header: &Self::Header) -> (ProtocolVersion, i32);
    /// Reads one batch item.
    fn read_item(item: &Ttlv, path: &[Tag], ctx: Ctx) -> Result<Self::Item, MessageError>;
    /// Writes one batch item.
    fn write_item(item: &Self::Item, ctx: Ctx) -> Ttlv;
    /// Assembles a message.
    fn from_parts(header: Self::Header, items: Vec<Self::Item>) -> Self;
    /// The header and the batch items.
    fn parts(&self) -> (&Self::Header, &[Self::Item]);

    /// Reads a message from its tree.
    fn from_ttlv(item: &Ttlv) -> Result<Self, MessageError> {
        if item.tag != Self::TAG {
            return Err(MessageError::new(
                MessageErrorKind::UnexpectedField(item.tag),
                &[],
            ));
        }
        let mut r = Reader::new(item, &[])?;
        let header: Self::Header = r.required(Self::HEADER_TAG, HEADER_CTX)?;
        let (version, declared) = Self::version_and_count(&header);
        let ctx = Ctx::new(version);
        let items = r.repeated_items(Tag::BATCH_ITEM);
        if usize::try_from(declared).ok() != Some(items.len()) {
            let kind = MessageErrorKind::BatchCountMismatch {
                declared,
                actual: items.len(),
            };
            return Err(r.error(kind));
        }
        let batch_items = items
            .into_iter()
            .map(|i| Self::read_item(i, r.path(), ctx))
            .collect::<Result<_, _>>()?;
        r.finish()?;
        Ok(Self::from_parts(header, batch_items))
    }

    /// Writes the message as a tree.
    fn to_ttlv(&self) -> Ttlv {
        let (header, items) = self.parts();
        let ctx = Ctx::new(Self::version_and_count(header).0);
        let mut w = Writer::default();
        w.field(Self::HEADER_TAG, header, HEADER_CTX);
        for i in items {
            w.item(Self::write_item(i, ctx));
        }
        w.into_structure(Self::TAG)
    }

    /// Decodes a message from TTLV bytes.
    fn decode(bytes: &[u8], limits: &Limits) -> Result<Self, MessageError> {
        let tree = kmip_ttlv::decode_message(bytes, limits)
            .map_err(|e| MessageError::new(e.into(), &[]))?;
        Self::from_ttlv(&tree)
    }

    /// Encodes the message as TTLV bytes.
    fn encode(&self) -> Result<Vec<u8>, MessageError> {
        kmip_ttlv::encode(&self.to_ttlv()).map_err(|e| MessageError::new(e.into(), &[]))
    }
}

impl Message for RequestMessage {
    const TAG: Tag = Tag::REQUEST_MESSAGE;
    const HEADER_TAG: Tag = Tag::REQUEST_HEADER;
    type Header = RequestHeader;
    type Item = RequestBatchItem;

    fn version_and_count(h: &RequestHeader) -> (ProtocolVersion, i32) {
        (h.protocol_version, h.batch_count)
    }
    fn read_item(item: &Ttlv, path: &[Tag], ctx: Ctx) -> Result<RequestBatchItem, MessageError> {
        RequestBatchItem::read(item, path, ctx)
    }
    fn write_item(item: &RequestBatchItem, ctx: Ctx) -> Ttlv {
        item.write(ctx)
    }
    fn from_parts(header: RequestHeader, batch_items: Vec<RequestBatchItem>) -> Self {
        RequestMessage {
            header,
            batch_items,
        }
    }
    fn parts(&self) -> (&RequestHeader, &[RequestBatchItem]) {
        (&self.header, &self.batch_items)
    }
}

impl Message for ResponseMessage {
    const TAG: Tag = Tag::RESPONSE_MESSAGE;
    const HEADER_TAG: Tag = Tag::RESPONSE_HEADER;
    type Header = ResponseHeader;
    type Item = ResponseBatchItem;

    fn version_and_count(h: &ResponseHeader) -> (ProtocolVersion, i32) {
        (h.protocol_version, h.batch_count)
    }
    fn read_item(item: &Ttlv, path: &[Tag], ctx: Ctx) -> Result<ResponseBatchItem, MessageError> {
        ResponseBatchItem::read(item, path, ctx)
    }
    fn write_item(item: &ResponseBatchItem, ctx: Ctx) -> Ttlv {
        item.write(ctx)
    }
    fn from_parts(header: ResponseHeader, batch_items: Vec<ResponseBatchItem>) -> Self {
        ResponseMessage {
            header,
            batch_items,
        }
    }
    fn parts(&self) -> (&ResponseHeader, &[ResponseBatchItem]) {
        (&self.header, &self.batch_items)
    }
}
