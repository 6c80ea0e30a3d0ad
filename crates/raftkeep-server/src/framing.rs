//! Reading one KMIP message off a stream: the 8-byte header tells the length (checked against
//! the limits by the codec's `message_len` before the body is read, so an oversized message costs no memory), then exactly
//! that many bytes, within a read timeout once the message has started.

use std::time::Duration;

use kmip_ttlv::{Limits, message_len};
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::FrameError;

use kmip_ttlv::HEADER_LEN;

/// The next message, or `None` when the peer closed the connection between messages.
/// Waiting for the first byte is not bounded here (the caller applies its idle timeout);
/// the rest must arrive within `read_timeout`.
pub async fn read_message<R: AsyncRead + Unpin>(
    r: &mut R,
    limits: &Limits,
    read_timeout: Duration,
) -> Result<Option<Vec<u8>>, FrameError> {
    let mut header = [0_u8; HEADER_LEN];
    if r.read(&mut header[..1]).await? == 0 {
        return Ok(None);
    }
    let rest = async {
        r.read_exact(&mut header[1..]).await.map_err(eof)?;
        let len = message_len(&header, limits)?;
        let mut message = Vec::with_capacity(len);
        message.extend_from_slice(&header);
        message.resize(len, 0);
        let body = message.get_mut(HEADER_LEN..).ok_or(FrameError::Truncated)?;
        r.read_exact(body).await.map_err(eof)?;
        Ok(message)
    };
    tokio::time::timeout(read_timeout, rest)
        .await
        .map_err(|_| FrameError::ReadTimeout(read_timeout))?
        .map(Some)
}

fn eof(e: std::io::Error) -> FrameError {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        FrameError::Truncated
    } else {
        FrameError::Io(e)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test")]

    use super::*;

    const LIMITS: Limits = Limits {
        max_message_len: 64,
        max_depth: 8,
        max_items: 16,
    };

    async fn read(bytes: &[u8]) -> Result<Option<Vec<u8>>, FrameError> {
        let mut r = bytes;
        read_message(&mut r, &LIMITS, Duration::from_secs(1)).await
    }

    #[tokio::test]
    async fn a_whole_message_is_read_and_nothing_more() {
        let mut msg = vec![0x42, 0x00, 0x78, 0x01, 0, 0, 0, 8];
        msg.extend_from_slice(&[7; 8]);
        let mut both = msg.clone();
        both.extend_from_slice(&[0x42]);
        assert_eq!(read(&both).await.unwrap(), Some(msg));
    }

    #[tokio::test]
    async fn closing_between_messages_is_not_an_error() {
        assert!(read(&[]).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn oversized_and_non_kmip_headers_are_refused_before_the_body() {
        let big = [0x42, 0x00, 0x78, 0x01, 0, 0, 1, 0];
        assert!(matches!(read(&big).await, Err(FrameError::Header(_))));
        let http = b"GET / HTTP/1.1\r\n";
        assert!(matches!(read(http).await, Err(FrameError::Header(_))));
    }

    #[tokio::test]
    async fn a_message_cut_short_is_truncated() {
        let cut = [0x42, 0x00, 0x78, 0x01, 0, 0, 0, 8, 1, 2];
        assert!(matches!(read(&cut).await, Err(FrameError::Truncated)));
        assert!(matches!(read(&cut[..5]).await, Err(FrameError::Truncated)));
    }
}
