//! Cryptographic operations over several requests (KMIP 1.4 §4.29–§4.34, 2.1 §6.1.18
//! and after): a request with Init Indicator opens a stream and gets a Correlation Value; the
//! requests that name it add data; the one with Final Indicator runs the operation over all
//! of it, with the key checks, usage limits and parameters of a single request.
//!
//! Parts are kept on the node that opened the stream, in memory, bound to the client that
//! opened it: a stream does not survive a restart and cannot move to another node. Encrypt
//! answers each part with the ciphertext that part settles ([`Gathered::Part`]); the other
//! operations answer with the final part. For AEAD decryption that is a must — no plaintext
//! may leave before the tag is checked. Bounds: [`MAX_STREAM_BYTES`] per stream, [`MAX_BUFFERED_BYTES`] and
//! [`MAX_STREAMS`] per node, and a stream idle for [`IDLE`] is dropped.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use kmip_messages::payload::decrypt::{DecryptRequest, DecryptResponse};
use kmip_messages::payload::encrypt::{EncryptRequest, EncryptResponse};
use kmip_messages::payload::hash::{HashRequest, HashResponse};
use kmip_messages::payload::mac::{MacRequest, MacResponse, MacVerifyRequest, MacVerifyResponse};
use kmip_messages::payload::sign::{
    SignRequest, SignResponse, SignatureVerifyRequest, SignatureVerifyResponse,
};
use kmip_messages::{ResponsePayload, Streaming, UniqueIdentifier};
use kmip_ttlv::ByteString;
use kmip_ttlv::enums::{Operation, ValidityIndicator};
use zeroize::Zeroizing;

use super::context::OpCtx;
use crate::error::OpError;
use crate::material;

/// The most data one stream may gather.
pub const MAX_STREAM_BYTES: usize = 16 << 20;
/// The most data all open streams of a node may hold together.
pub const MAX_BUFFERED_BYTES: usize = 128 << 20;
/// The most streams a node keeps open at once.
pub const MAX_STREAMS: usize = 1024;
/// How long a stream may wait for its next part.
pub const IDLE: Duration = Duration::from_secs(300);

const CORRELATION_BYTES: usize = 16;

/// The open streams of one node.
#[derive(Default)]
pub struct Streams {
    open: Mutex<HashMap<Vec<u8>, Open>>,
}

impl std::fmt::Debug for Streams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let open = self.open.lock().map(|o| o.len()).unwrap_or_default();
        f.debug_struct("Streams").field("open", &open).finish()
    }
}

/// One open stream: the first request without its data, and the data so far.
struct Open {
    owner: String,
    operation: Operation,
    first: FirstPart,
    data: Zeroizing<Vec<u8>>,
    /// Output bytes the parts so far were answered with.
    emitted: usize,
    touched: Instant,
}

/// The first request of a stream, kept for its key, parameters, IV and AAD.
#[allow(
    missing_debug_implementations,
    reason = "holds request data: never printed"
)]
pub enum FirstPart {
    /// An Encrypt stream.
    Encrypt(EncryptRequest),
    /// A Decrypt stream.
    Decrypt(DecryptRequest),
    /// A MAC stream.
    Mac(MacRequest),
    /// A MAC Verify stream.
    MacVerify(MacVerifyRequest),
    /// A Hash stream.
    Hash(HashRequest),
    /// A Sign stream.
    Sign(SignRequest),
    /// A Signature Verify stream.
    SignatureVerify(SignatureVerifyRequest),
}

/// A request that may come in parts.
pub trait Streamed: Clone + Sized {
    /// The operation, which every part of a stream must name.
    const OPERATION: Operation;
    /// The operation's name in messages.
    const NAME: &'static str;
    /// True when the operation uses a stored key.
    const KEYED: bool = true;
    /// True when each part gets its own output ([`Gathered::Part`]), not only the last.
    const PER_PART: bool = false;
    /// The request's streaming fields.
    fn streaming(&self) -> &Streaming;
    /// The key the request names, if the operation uses one.
    fn key(&self) -> Option<&UniqueIdentifier>;
    /// Names the key by its resolved UID.
    fn set_key(&mut self, uid: String);
    /// The data part the request carries.
    fn data(&self) -> Option<&ByteString>;
    /// The same, to take or replace.
    fn data_mut(&mut self) -> &mut Option<ByteString>;
    /// Takes the final part's Cryptographic Parameters when the first part had none.
    fn fill_parameters(&mut self, last: &Self);
    /// Takes from the final part what only it brings: a tag, a MAC, a signature.
    fn finish_with(&mut self, _last: &Self) {}
    /// The answer to a part the server kept.
    fn kept(&self, correlation: ByteString) -> ResponsePayload;
    /// Wraps the first part for keeping.
    fn into_first(self) -> FirstPart;
    /// Unwraps a kept first part of this operation.
    fn from_first(first: &FirstPart) -> Option<&Self>;
}

/// What a request comes to once its stream is taken into account.
#[allow(
    missing_debug_implementations,
    reason = "holds request data: never printed"
)]
pub enum Gathered<'a, R: Clone> {
    /// The request with all the data: a single request, or a stream's final part merged
    /// with the parts before it.
    Whole(Cow<'a, R>),
    /// A part kept for later; this is its answer.
    Kept(Box<ResponsePayload>),
    /// A part of an operation that answers part by part ([`Streamed::PER_PART`]).
    Part(Box<Progress<R>>),
}

/// Where a part-by-part stream stands.
#[allow(
    missing_debug_implementations,
    reason = "holds request data: never printed"
)]
pub struct Progress<R> {
    /// The first part's request with all the data so far (and, on the last part, what only
    /// the last part brings).
    pub so_far: R,
    /// Where the stream stands.
    pub stage: Stage,
}

/// Where a part-by-part stream stands.
#[derive(Debug)]
pub struct Stage {
    /// The stream's Correlation Value.
    pub correlation: Vec<u8>,
    /// Output bytes the earlier parts were answered with.
    pub emitted: usize,
    /// Input bytes this part brought.
    pub part_len: usize,
    /// This is the final part: the stream is closed.
    pub last: bool,
}

impl Streams {
    /// Drops the streams idle for longer than [`IDLE`].
    fn sweep(open: &mut HashMap<Vec<u8>, Open>) {
        let before = open.len();
        open.retain(|_, s| s.touched.elapsed() < IDLE);
        let dropped = before - open.len();
        if dropped > 0 {
            tracing::info!(dropped, "dropped idle streams");
        }
    }

    fn buffered(open: &HashMap<Vec<u8>, Open>) -> usize {
        open.values().map(|s| s.data.len()).sum()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, HashMap<Vec<u8>, Open>>, OpError> {
        self.open
            .lock()
            .map_err(|_| OpError::Refused("the stream table is unusable after a panic".to_owned()))
    }
}

/// For the operations that answer with the final part only: the request with all the data,
/// or the answer to a part kept.
pub async fn gather_whole<'a, R: Streamed>(
    ctx: &mut OpCtx<'_>,
    req: &'a R,
) -> Result<Whole<'a, R>, OpError> {
    Ok(match gather(ctx, req).await? {
        Gathered::Whole(req) => Whole::All(req),
        Gathered::Kept(answer) => Whole::Kept(answer),
        Gathered::Part(p) if p.stage.last => Whole::All(Cow::Owned(p.so_far)),
        Gathered::Part(p) => Whole::Kept(Box::new(
            p.so_far.kept(ByteString::new(p.stage.correlation)),
        )),
    })
}

/// What [`gather_whole`] gives.
#[allow(
    missing_debug_implementations,
    reason = "holds request data: never printed"
)]
pub enum Whole<'a, R: Clone> {
    /// The request with all the data.
    All(Cow<'a, R>),
    /// The answer to a part kept for later.
    Kept(Box<ResponsePayload>),
}

/// Sorts a request into a single request, a part to keep, or a final part to run.
pub async fn gather<'a, R: Streamed>(
    ctx: &mut OpCtx<'_>,
    req: &'a R,
) -> Result<Gathered<'a, R>, OpError> {
    let s = req.streaming();
    let init = s.init_indicator == Some(true);
    let last = s.final_indicator == Some(true);
    match (&s.correlation_value, init, last) {
        (None, false, false) | (None, true, true) => Ok(Gathered::Whole(Cow::Borrowed(req))),
        (None, true, false) => open(ctx, req).await,
        (None, false, true) => Err(OpError::MissingData(format!(
            "a final {} part needs the Correlation Value the first part was given",
            R::NAME
        ))),
        (Some(_), true, _) => Err(OpError::InvalidField(
            "a request cannot both open a stream (Init Indicator) and continue one (Correlation Value)"
                .to_owned(),
        )),
        (Some(c), false, last) => add(ctx, req, c.as_slice(), last),
    }
}

async fn open<'a, R: Streamed + 'a>(
    ctx: &mut OpCtx<'_>,
    req: &R,
) -> Result<Gathered<'a, R>, OpError> {
    let mut first = req.clone();
    if R::KEYED {
        // Refused now rather than after all the data: an unknown key or one the client may
        // not use. State and usage are checked on the final part.
        let (uid, _) = ctx.target(req.key(), R::OPERATION).await?;
        first.set_key(uid);
    }
    let data = Zeroizing::new(
        first
            .data_mut()
            .take()
            .map(|d| d.as_slice().to_vec())
            .unwrap_or_default(),
    );
    within(data.len(), 0)?;
    let correlation = material::random(CORRELATION_BYTES)?.to_vec();
    let answer = if R::PER_PART {
        let mut so_far = first.clone();
        *so_far.data_mut() = Some(ByteString::new(data.to_vec()));
        Gathered::Part(Box::new(Progress {
            so_far,
            stage: Stage {
                correlation: correlation.clone(),
                emitted: 0,
                part_len: data.len(),
                last: false,
            },
        }))
    } else {
        Gathered::Kept(Box::new(first.kept(ByteString::new(correlation.clone()))))
    };
    let mut open = ctx.streams.lock()?;
    Streams::sweep(&mut open);
    if open.len() >= MAX_STREAMS {
        return Err(OpError::Refused(format!(
            "this node has {MAX_STREAMS} streams open; finish one or send the data in one request"
        )));
    }
    room(&open, data.len())?;
    open.insert(
        correlation,
        Open {
            owner: ctx.client.identity.clone(),
            operation: R::OPERATION,
            first: first.into_first(),
            data,
            emitted: 0,
            touched: Instant::now(),
        },
    );
    tracing::debug!(operation = %R::OPERATION, "stream opened");
    Ok(answer)
}

fn add<'a, R: Streamed + 'a>(
    ctx: &mut OpCtx<'_>,
    req: &R,
    correlation: &[u8],
    last: bool,
) -> Result<Gathered<'a, R>, OpError> {
    let part = req.data().map_or(&[][..], |d| d.as_slice());
    let mut open = ctx.streams.lock()?;
    Streams::sweep(&mut open);
    let unknown = || {
        OpError::InvalidField(format!(
            "no open {} stream has this Correlation Value on this node: it was finished, idle for more than {} s, opened on another node, or opened by another client",
            R::NAME,
            IDLE.as_secs()
        ))
    };
    let owner = &ctx.client.identity;
    let stream = open
        .get(correlation)
        .filter(|s| &s.owner == owner && s.operation == R::OPERATION)
        .ok_or_else(unknown)?;
    if let Err(too_much) = within(part.len(), stream.data.len()) {
        // The stream cannot finish: its memory is freed now rather than when it expires.
        open.remove(correlation);
        return Err(too_much);
    }
    room(&open, part.len())?;
    let stream = open.get_mut(correlation).ok_or_else(unknown)?;
    append(&mut stream.data, part);
    stream.touched = Instant::now();
    let first = R::from_first(&stream.first).ok_or_else(unknown)?;
    if !last && !R::PER_PART {
        return Ok(Gathered::Kept(Box::new(
            first.kept(ByteString::new(correlation.to_vec())),
        )));
    }
    let mut whole = first.clone();
    let (data, emitted) = if last {
        whole.fill_parameters(req);
        whole.finish_with(req);
        let stream = open.remove(correlation).ok_or_else(unknown)?;
        (stream.data.to_vec(), stream.emitted)
    } else {
        (stream.data.to_vec(), stream.emitted)
    };
    *whole.data_mut() = Some(ByteString::new(data));
    if !R::PER_PART {
        return Ok(Gathered::Whole(Cow::Owned(whole)));
    }
    Ok(Gathered::Part(Box::new(Progress {
        so_far: whole,
        stage: Stage {
            correlation: correlation.to_vec(),
            emitted,
            part_len: part.len(),
            last,
        },
    })))
}

/// Ends the stream `correlation` (a part of it failed).
pub fn close(ctx: &OpCtx<'_>, correlation: &[u8]) -> Result<(), OpError> {
    ctx.streams.lock()?.remove(correlation);
    Ok(())
}

/// Records what an Encrypt part was answered with: `emitted` output bytes in all, and the IV
/// the server picked on the first part, which the later parts use.
pub fn answered(
    ctx: &OpCtx<'_>,
    correlation: &[u8],
    emitted: usize,
    picked_iv: Option<&[u8]>,
) -> Result<(), OpError> {
    let mut open = ctx.streams.lock()?;
    if let Some(stream) = open.get_mut(correlation) {
        stream.emitted = emitted;
        if let (Some(iv), FirstPart::Encrypt(first)) = (picked_iv, &mut stream.first) {
            first.iv_counter_nonce = Some(ByteString::new(iv.to_vec()));
        }
    }
    Ok(())
}

/// Appends `part`, moving to a larger buffer itself when needed: a `Vec` growing in place
/// would free its old buffer without wiping the data in it.
fn append(buf: &mut Zeroizing<Vec<u8>>, part: &[u8]) {
    let needed = buf.len().saturating_add(part.len());
    if needed > buf.capacity() {
        let mut larger = Zeroizing::new(Vec::with_capacity(
            needed.max(buf.capacity().saturating_mul(2)),
        ));
        larger.extend_from_slice(buf);
        // The old buffer is wiped as it is dropped.
        *buf = larger;
    }
    buf.extend_from_slice(part);
}

fn within(part: usize, so_far: usize) -> Result<(), OpError> {
    if so_far.saturating_add(part) > MAX_STREAM_BYTES {
        return Err(OpError::Refused(format!(
            "a stream may gather at most {MAX_STREAM_BYTES} bytes; this part would bring it to {}",
            so_far.saturating_add(part)
        )));
    }
    Ok(())
}

fn room(open: &HashMap<Vec<u8>, Open>, more: usize) -> Result<(), OpError> {
    if Streams::buffered(open).saturating_add(more) > MAX_BUFFERED_BYTES {
        return Err(OpError::Refused(format!(
            "this node's open streams hold {MAX_BUFFERED_BYTES} bytes already; try again when some finish"
        )));
    }
    Ok(())
}

fn text(uid: Option<&UniqueIdentifier>) -> UniqueIdentifier {
    uid.cloned()
        .unwrap_or_else(|| UniqueIdentifier::Text(String::new()))
}

/// The fields every keyed request shares, for the impls below.
macro_rules! keyed {
    ($op:expr, $name:expr, $variant:ident) => {
        const OPERATION: Operation = $op;
        const NAME: &'static str = $name;
        fn streaming(&self) -> &Streaming {
            &self.streaming
        }
        fn key(&self) -> Option<&UniqueIdentifier> {
            self.unique_identifier.as_ref()
        }
        fn set_key(&mut self, uid: String) {
            self.unique_identifier = Some(UniqueIdentifier::Text(uid));
        }
        fn data(&self) -> Option<&ByteString> {
            self.data.as_ref()
        }
        fn data_mut(&mut self) -> &mut Option<ByteString> {
            &mut self.data
        }
        fn fill_parameters(&mut self, last: &Self) {
            if self.cryptographic_parameters.is_none() {
                self.cryptographic_parameters = last.cryptographic_parameters.clone();
            }
        }
        fn into_first(self) -> FirstPart {
            FirstPart::$variant(self)
        }
        fn from_first(first: &FirstPart) -> Option<&Self> {
            match first {
                FirstPart::$variant(r) => Some(r),
                _ => None,
            }
        }
    };
}

impl Streamed for EncryptRequest {
    keyed!(Operation::ENCRYPT, "Encrypt", Encrypt);
    const PER_PART: bool = true;
    fn kept(&self, correlation: ByteString) -> ResponsePayload {
        ResponsePayload::Encrypt(EncryptResponse {
            unique_identifier: text(self.key()),
            data: None,
            iv_counter_nonce: None,
            correlation_value: Some(correlation),
            authenticated_encryption_tag: None,
        })
    }
}

impl Streamed for DecryptRequest {
    keyed!(Operation::DECRYPT, "Decrypt", Decrypt);
    fn finish_with(&mut self, last: &Self) {
        if last.authenticated_encryption_tag.is_some() {
            self.authenticated_encryption_tag = last.authenticated_encryption_tag.clone();
        }
    }
    fn kept(&self, correlation: ByteString) -> ResponsePayload {
        ResponsePayload::Decrypt(DecryptResponse {
            unique_identifier: text(self.key()),
            data: None,
            correlation_value: Some(correlation),
        })
    }
}

impl Streamed for MacRequest {
    keyed!(Operation::MAC, "MAC", Mac);
    fn kept(&self, correlation: ByteString) -> ResponsePayload {
        ResponsePayload::Mac(MacResponse {
            unique_identifier: text(self.key()),
            mac_data: None,
            correlation_value: Some(correlation),
        })
    }
}

impl Streamed for MacVerifyRequest {
    keyed!(Operation::MAC_VERIFY, "MAC Verify", MacVerify);
    fn finish_with(&mut self, last: &Self) {
        if last.mac_data.is_some() {
            self.mac_data = last.mac_data.clone();
        }
    }
    fn kept(&self, correlation: ByteString) -> ResponsePayload {
        ResponsePayload::MacVerify(MacVerifyResponse {
            unique_identifier: text(self.key()),
            validity_indicator: None,
            correlation_value: Some(correlation),
        })
    }
}

impl Streamed for SignRequest {
    keyed!(Operation::SIGN, "Sign", Sign);
    fn kept(&self, correlation: ByteString) -> ResponsePayload {
        ResponsePayload::Sign(SignResponse {
            unique_identifier: text(self.key()),
            signature_data: None,
            correlation_value: Some(correlation),
        })
    }
}

impl Streamed for SignatureVerifyRequest {
    keyed!(
        Operation::SIGNATURE_VERIFY,
        "Signature Verify",
        SignatureVerify
    );
    fn finish_with(&mut self, last: &Self) {
        if last.signature_data.is_some() {
            self.signature_data = last.signature_data.clone();
        }
    }
    fn kept(&self, correlation: ByteString) -> ResponsePayload {
        ResponsePayload::SignatureVerify(SignatureVerifyResponse {
            unique_identifier: text(self.key()),
            // Required in the response; nothing is known until the final part.
            validity_indicator: ValidityIndicator::UNKNOWN,
            data: None,
            correlation_value: Some(correlation),
        })
    }
}

impl Streamed for HashRequest {
    const OPERATION: Operation = Operation::HASH;
    const NAME: &'static str = "Hash";
    const KEYED: bool = false;
    fn streaming(&self) -> &Streaming {
        &self.streaming
    }
    fn key(&self) -> Option<&UniqueIdentifier> {
        None
    }
    fn set_key(&mut self, _: String) {}
    fn data(&self) -> Option<&ByteString> {
        self.data.as_ref()
    }
    fn data_mut(&mut self) -> &mut Option<ByteString> {
        &mut self.data
    }
    fn fill_parameters(&mut self, last: &Self) {
        if self.cryptographic_parameters.hashing_algorithm.is_none() {
            self.cryptographic_parameters = last.cryptographic_parameters.clone();
        }
    }
    fn kept(&self, correlation: ByteString) -> ResponsePayload {
        ResponsePayload::Hash(HashResponse {
            data: None,
            correlation_value: Some(correlation),
        })
    }
    fn into_first(self) -> FirstPart {
        FirstPart::Hash(self)
    }
    fn from_first(first: &FirstPart) -> Option<&Self> {
        match first {
            FirstPart::Hash(r) => Some(r),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appending_keeps_every_byte_in_order_across_growth() {
        let mut buf = Zeroizing::new(Vec::new());
        let mut want = Vec::new();
        for i in 0..200u8 {
            let part = vec![i; usize::from(i % 7)];
            append(&mut buf, &part);
            want.extend_from_slice(&part);
            assert!(buf.capacity() >= buf.len());
        }
        assert_eq!(*buf, want);
    }

    #[test]
    fn a_stream_is_bounded_by_its_own_limit() {
        assert!(within(MAX_STREAM_BYTES, 0).is_ok());
        assert!(within(1, MAX_STREAM_BYTES).is_err());
        assert!(within(usize::MAX, 1).is_err(), "no overflow");
    }
}
