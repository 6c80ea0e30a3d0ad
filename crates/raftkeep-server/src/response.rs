//! Building responses: the header every response carries, successful and failed batch items.

use kmip_messages::{
    DateTime, ProtocolVersion, RequestBatchItem, ResponseBatchItem, ResponseHeader,
    ResponseMessage, ResponsePayload,
};
use kmip_ttlv::enums::{ResultReason, ResultStatus};

/// Now, as a KMIP Date-Time (whole seconds).
pub fn now() -> DateTime {
    DateTime(time::OffsetDateTime::now_utc().unix_timestamp())
}

/// A response in `version` carrying `items`.
pub fn message(version: ProtocolVersion, items: Vec<ResponseBatchItem>) -> ResponseMessage {
    ResponseMessage {
        header: ResponseHeader {
            protocol_version: version,
            time_stamp: now(),
            nonce: None,
            server_hashed_password: None,
            attestation_types: Vec::new(),
            client_correlation_value: None,
            server_correlation_value: None,
            batch_count: i32::try_from(items.len()).unwrap_or(i32::MAX),
        },
        batch_items: items,
    }
}

/// `response`, or — when its encoding is larger than the client's Maximum Response Size —
/// the same items, each that succeeded now failed with Response Too Large and without its
/// payload (KMIP 1.4 §6.3). The operations did happen; only their answers are withheld.
pub fn within(mut response: ResponseMessage, max: Option<i32>) -> ResponseMessage {
    let Some(max) = max.and_then(|m| usize::try_from(m).ok()) else {
        return response;
    };
    match kmip_messages::Message::encode(&response) {
        Ok(bytes) if bytes.len() <= max => response,
        encoded => {
            let size = encoded.map(|b| b.len()).unwrap_or(usize::MAX);
            for item in &mut response.batch_items {
                if item.result_status == ResultStatus::SUCCESS {
                    item.result_status = ResultStatus::OPERATION_FAILED;
                    item.result_reason = Some(ResultReason::RESPONSE_TOO_LARGE);
                    item.result_message = Some(format!(
                        "the response of {size} bytes is larger than the Maximum Response Size of {max}"
                    ));
                    item.payload = None;
                }
            }
            response
        }
    }
}

/// A successful batch item answering `request` (operation and batch item ID echoed).
pub fn success(request: &RequestBatchItem, payload: ResponsePayload) -> ResponseBatchItem {
    ResponseBatchItem {
        operation: Some(request.operation),
        unique_batch_item_id: request.unique_batch_item_id.clone(),
        result_status: ResultStatus::SUCCESS,
        result_reason: None,
        result_message: None,
        asynchronous_correlation_value: None,
        payload: Some(payload),
        message_extension: None,
    }
}

/// A failed batch item answering `request` (operation and batch item ID echoed).
pub fn failure(
    request: Option<&RequestBatchItem>,
    reason: ResultReason,
    text: impl Into<String>,
) -> ResponseBatchItem {
    ResponseBatchItem {
        operation: request.map(|r| r.operation),
        unique_batch_item_id: request.and_then(|r| r.unique_batch_item_id.clone()),
        result_status: ResultStatus::OPERATION_FAILED,
        result_reason: Some(reason),
        result_message: Some(text.into()),
        asynchronous_correlation_value: None,
        payload: None,
        message_extension: None,
    }
}

/// The answer to bytes that framed as a message but do not decode as a request: one failed
/// item, Invalid Message, in the version the client announced if that much was readable.
pub fn invalid_message(version: ProtocolVersion, text: impl Into<String>) -> ResponseMessage {
    message(
        version,
        vec![failure(None, ResultReason::INVALID_MESSAGE, text)],
    )
}
