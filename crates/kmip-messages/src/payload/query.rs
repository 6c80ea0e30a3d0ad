//! Query (KMIP 1.4 §4.25, KMIP 2.1 §6.1.37): what the server supports. vCenter asks for
//! Server Information when trust is set up.

use kmip_ttlv::enums::{
    AttestationType, ClientRegistrationMethod, ObjectType, Operation, QueryFunction,
};
use kmip_ttlv::{Tag, Ttlv};

use crate::codec::{Body, Ctx, Reader, Writer};
use crate::error::MessageError;

/// Query request: which kinds of information the client wants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryRequest {
    /// The requested query functions.
    pub functions: Vec<QueryFunction>,
}

impl Body for QueryRequest {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            functions: r.repeated(Tag::QUERY_FUNCTION, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.repeated(Tag::QUERY_FUNCTION, &self.functions, ctx);
    }
}

/// Query response. The descriptive structures (server information, profiles, capabilities,
/// ...) are kept as TTLV: their contents are free-form or vendor-defined.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryResponse {
    /// Supported operations.
    pub operations: Vec<Operation>,
    /// Supported object types.
    pub object_types: Vec<ObjectType>,
    /// The vendor.
    pub vendor_identification: Option<String>,
    /// Vendor-defined server information.
    pub server_information: Option<Ttlv>,
    /// Application namespaces.
    pub application_namespaces: Vec<String>,
    /// Extension information.
    pub extension_information: Vec<Ttlv>,
    /// Attestation types.
    pub attestation_types: Vec<AttestationType>,
    /// RNG parameters.
    pub rng_parameters: Vec<Ttlv>,
    /// Profile information.
    pub profile_information: Vec<Ttlv>,
    /// Validation information.
    pub validation_information: Vec<Ttlv>,
    /// Capability information.
    pub capability_information: Vec<Ttlv>,
    /// Client registration methods.
    pub client_registration_methods: Vec<ClientRegistrationMethod>,
    /// Defaults information (KMIP 2.x).
    pub defaults_information: Option<Ttlv>,
    /// Protection storage masks (KMIP 2.x).
    pub protection_storage_masks: Vec<Ttlv>,
}

impl Body for QueryResponse {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            operations: r.repeated(Tag::OPERATION, ctx)?,
            object_types: r.repeated(Tag::OBJECT_TYPE, ctx)?,
            vendor_identification: r.optional(Tag::VENDOR_IDENTIFICATION, ctx)?,
            server_information: r.optional(Tag::SERVER_INFORMATION, ctx)?,
            application_namespaces: r.repeated(Tag::APPLICATION_NAMESPACE, ctx)?,
            extension_information: r.repeated(Tag::EXTENSION_INFORMATION, ctx)?,
            attestation_types: r.repeated(Tag::ATTESTATION_TYPE, ctx)?,
            rng_parameters: r.repeated(Tag::RNG_PARAMETERS, ctx)?,
            profile_information: r.repeated(Tag::PROFILE_INFORMATION, ctx)?,
            validation_information: r.repeated(Tag::VALIDATION_INFORMATION, ctx)?,
            capability_information: r.repeated(Tag::CAPABILITY_INFORMATION, ctx)?,
            client_registration_methods: r.repeated(Tag::CLIENT_REGISTRATION_METHOD, ctx)?,
            defaults_information: r.optional(Tag::DEFAULTS_INFORMATION, ctx)?,
            protection_storage_masks: r.repeated(Tag::PROTECTION_STORAGE_MASKS, ctx)?,
        })
    }

    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.repeated(Tag::OPERATION, &self.operations, ctx);
        w.repeated(Tag::OBJECT_TYPE, &self.object_types, ctx);
        w.optional(Tag::VENDOR_IDENTIFICATION, &self.vendor_identification, ctx);
        w.optional(Tag::SERVER_INFORMATION, &self.server_information, ctx);
        w.repeated(
            Tag::APPLICATION_NAMESPACE,
            &self.application_namespaces,
            ctx,
        );
        w.repeated(Tag::EXTENSION_INFORMATION, &self.extension_information, ctx);
        w.repeated(Tag::ATTESTATION_TYPE, &self.attestation_types, ctx);
        w.repeated(Tag::RNG_PARAMETERS, &self.rng_parameters, ctx);
        w.repeated(Tag::PROFILE_INFORMATION, &self.profile_information, ctx);
        w.repeated(
            Tag::VALIDATION_INFORMATION,
            &self.validation_information,
            ctx,
        );
        w.repeated(
            Tag::CAPABILITY_INFORMATION,
            &self.capability_information,
            ctx,
        );
        w.repeated(
            Tag::CLIENT_REGISTRATION_METHOD,
            &self.client_registration_methods,
            ctx,
        );
        w.optional(Tag::DEFAULTS_INFORMATION, &self.defaults_information, ctx);
        w.repeated(
            Tag::PROTECTION_STORAGE_MASKS,
            &self.protection_storage_masks,
            ctx,
        );
    }
}
