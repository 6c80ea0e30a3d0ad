//! Activate (KMIP 1.4 §4.19): move a Pre-Active object to Active. vCenter activates every key
//! it creates.

/// Activate request: the object to activate.
pub type ActivateRequest = super::id::IdRequest;
/// Activate response: the object activated.
pub type ActivateResponse = super::id::IdResponse;
