//! Reading a body within a size limit, whether it arrives at one of our endpoints (an actix
//! payload) or as the answer of another member (a reqwest response): a larger body is an error,
//! never a memory blow-up.

use actix_web::web::{BytesMut, Payload};
use futures_util::StreamExt;

/// Why a body was not read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// The body is larger than the limit; the rest of it was not read.
    #[error("the body is larger than {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The connection broke or the stream failed while the body arrived.
    #[error("the body could not be read: {0}")]
    Broken(String),
    /// The body did not arrive within the time allowed.
    #[error("the body did not arrive within {timeout_ms} ms")]
    Timeout {
        /// The time allowed, in milliseconds.
        timeout_ms: u64,
    },
}

/// Reads a request body of at most `limit` bytes.
pub async fn read_payload(payload: &mut Payload, limit: usize) -> Result<BytesMut, BodyError> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| BodyError::Broken(e.to_string()))?;
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// [`read_payload`] within `timeout_ms` milliseconds.
pub async fn read_payload_within(
    payload: &mut Payload,
    limit: usize,
    timeout_ms: u64,
) -> Result<BytesMut, BodyError> {
    let timeout = std::time::Duration::from_millis(timeout_ms);
    tokio::time::timeout(timeout, read_payload(payload, limit))
        .await
        .unwrap_or(Err(BodyError::Timeout { timeout_ms }))
}

/// Reads a response body of at most `limit` bytes. A transport failure on the way is returned
/// as the reqwest error, so that the caller can tell a timeout from a broken connection.
pub async fn read_response(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, ResponseBodyError> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(ResponseBodyError::Transport)?
    {
        if body.len() + chunk.len() > limit {
            return Err(ResponseBodyError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Why a response body was not read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseBodyError {
    /// The answer is larger than the limit.
    #[error("the answer is larger than {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The transport failed while the answer arrived.
    #[error("{}", crate::client::describe(.0))]
    Transport(reqwest::Error),
}
