//! Hash (KMIP 1.4 §4.34, 2.1 §6.1.29): SHA-1 and the SHA-2 family.

use kmip_ttlv::enums::HashingAlgorithm;
use sha2::Digest;

use crate::error::CryptoError;

/// The digest of `data` under `algorithm`.
pub fn hash(algorithm: HashingAlgorithm, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
    Ok(match algorithm {
        HashingAlgorithm::SHA_1 => sha1::Sha1::digest(data).to_vec(),
        HashingAlgorithm::SHA_224 => sha2::Sha224::digest(data).to_vec(),
        HashingAlgorithm::SHA_256 => sha2::Sha256::digest(data).to_vec(),
        HashingAlgorithm::SHA_384 => sha2::Sha384::digest(data).to_vec(),
        HashingAlgorithm::SHA_512 => sha2::Sha512::digest(data).to_vec(),
        HashingAlgorithm::SHA_512_224 => sha2::Sha512_224::digest(data).to_vec(),
        HashingAlgorithm::SHA_512_256 => sha2::Sha512_256::digest(data).to_vec(),
        other => {
            return Err(CryptoError::Unsupported(format!(
                "hashing algorithm {other}"
            )));
        }
    })
}
