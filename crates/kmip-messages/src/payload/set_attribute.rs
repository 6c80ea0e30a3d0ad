//! Set Attribute (KMIP 2.1 §6.1.50): set a single-valued attribute, creating it if absent.

/// Set Attribute request: the object and the attribute (New Attribute).
pub type SetAttributeRequest = super::id::NewAttributeRequest;
/// Set Attribute response: the object.
pub type SetAttributeResponse = super::id::IdResponse;
