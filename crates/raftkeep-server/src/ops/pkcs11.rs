//! PKCS#11 (KMIP 2.1 §6.1.37): the session functions a PKCS#11 library speaking KMIP starts
//! and ends with — C_Initialize (a fresh session handle as the Correlation Value), C_GetInfo
//! (the CK_INFO of this server) and C_Finalize. Every other function answers
//! CKR_FUNCTION_NOT_SUPPORTED: keys are created and used through KMIP's own operations.
//! Nothing is kept per session, so a session may move between nodes.

use kmip_messages::ResponsePayload;
use kmip_messages::payload::pkcs11::{Pkcs11Request, Pkcs11Response};
use kmip_ttlv::ByteString;
use kmip_ttlv::enums::{Pkcs11Function, Pkcs11ReturnCode};

use crate::error::OpError;
use crate::material;

/// The Cryptoki version CK_INFO reports: 2.40.
const CRYPTOKI_VERSION: [u8; 2] = [2, 40];

/// A CK_UTF8CHAR field of `n` bytes: the text, blank-padded (PKCS#11 §3.2).
fn padded(text: &str, n: usize) -> Vec<u8> {
    let mut out: Vec<u8> = text.bytes().take(n).collect();
    out.resize(n, b' ');
    out
}

/// CK_INFO as the KMIP PKCS#11 profile lays it out: cryptokiVersion, manufacturerID (32),
/// flags (8, none), libraryDescription (32), libraryVersion.
fn ck_info() -> Vec<u8> {
    let mut info = CRYPTOKI_VERSION.to_vec();
    info.extend(padded("Raftkeep", 32));
    info.extend([0u8; 8]);
    info.extend(padded("Raftkeep KMIP server", 32));
    let (major, minor) = (
        env!("CARGO_PKG_VERSION_MAJOR").parse().unwrap_or(0),
        env!("CARGO_PKG_VERSION_MINOR").parse().unwrap_or(0),
    );
    info.extend([major, minor]);
    info
}

/// Answers one PKCS#11 call.
pub fn run(req: &Pkcs11Request) -> Result<ResponsePayload, OpError> {
    let (output, correlation, code) = match req.function {
        Pkcs11Function::C_INITIALIZE => (
            None,
            Some(ByteString::new(material::random(16)?.to_vec())),
            Pkcs11ReturnCode::OK,
        ),
        Pkcs11Function::C_GETINFO => (Some(ByteString::new(ck_info())), None, Pkcs11ReturnCode::OK),
        Pkcs11Function::C_FINALIZE => (None, None, Pkcs11ReturnCode::OK),
        _ => (None, None, Pkcs11ReturnCode::FUNCTION_NOT_SUPPORTED),
    };
    Ok(ResponsePayload::Pkcs11(Pkcs11Response {
        interface: req.interface.clone(),
        function: req.function,
        output_parameters: output,
        correlation_value: correlation,
        return_code: code,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ck_info_has_the_profiles_layout() {
        let info = ck_info();
        assert_eq!(info.len(), 2 + 32 + 8 + 32 + 2);
        assert_eq!(info.get(..2), Some(&CRYPTOKI_VERSION[..]));
        assert_eq!(info.get(2..10), Some(&b"Raftkeep"[..]));
        assert_eq!(info.get(10..34), Some(&[b' '; 24][..]));
    }
}
