//! Add Attribute (KMIP 1.4 §4.14, KMIP 2.1 §6.1.3): add an attribute instance. vCenter adds
//! x-Vendor, x-Product, x-Product_Version (then x-Identifier, x-Component, x-Name) in batches
//! of three.

/// Add Attribute request: the object and the attribute to add.
pub type AddAttributeRequest = super::id::NewAttributeRequest;
/// Add Attribute response: the object and, in KMIP 1.x, the attribute as added.
pub type AddAttributeResponse = super::id::AttributeChangeResponse;
