//! Destroy (KMIP 1.4 §4.21): destroy an object's key material; its metadata stays.

/// Destroy request: the object to destroy.
pub type DestroyRequest = super::id::IdRequest;
/// Destroy response: the object destroyed.
pub type DestroyResponse = super::id::IdResponse;
