//! One KMIP operation per file, plus what they share: [`context`] (the per-item context and
//! access check), [`changes`] (the attribute-change rules), [`key_use`] (the key a
//! cryptographic operation uses) and [`streams`] (operations over several requests).

pub mod activate;
pub mod add_attribute;
pub mod archive;
pub mod changes;
pub mod check;
pub mod context;
pub mod create;
pub mod create_key_pair;
pub mod decrypt;
pub mod delete_attribute;
pub mod derive_key;
pub mod destroy;
pub mod discover_versions;
pub mod encrypt;
pub mod get;
pub mod get_attribute_list;
pub mod get_attributes;
pub mod get_usage_allocation;
pub mod hash;
pub mod interop;
pub mod key_use;
pub mod key_wrap;
pub mod locate;
pub mod log;
pub mod mac;
pub mod mac_verify;
pub mod modify_attribute;
pub mod obtain_lease;
pub mod pkcs11;
pub mod query;
pub mod recover;
pub mod register;
pub mod rekey;
pub mod rekey_key_pair;
pub mod revoke;
pub mod rng_retrieve;
pub mod rng_seed;
pub mod set_attribute;
pub mod sign;
pub mod signature_verify;
pub mod streams;
pub mod usage;
