//! Known-answer tests for signatures and RSA encryption: RFC 6979's deterministic ECDSA
//! vectors, and outputs OpenSSL made with a fixed RSA key (`vectors/rsa-2048.txt`), which
//! this crate must verify, decrypt, and — for the deterministic PKCS#1 v1.5 — reproduce.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

use std::collections::HashMap;

use kmip_ttlv::enums::{HashingAlgorithm, KeyFormatType, PaddingMethod, RecommendedCurve};
use raftkeep_crypto::keys::{generate_ec, generate_rsa};
use raftkeep_crypto::signature::{sign, verify};
use raftkeep_crypto::{PrivateKey, PublicKey, RsaSpec, SignSpec, rsa_cipher};

const MESSAGE: &[u8] = b"Raftkeep known-answer message";

fn rsa_vectors() -> HashMap<String, Vec<u8>> {
    include_str!("vectors/rsa-2048.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (k, v) = l.split_once(' ').unwrap();
            (k.to_owned(), hex::decode(v).unwrap())
        })
        .collect()
}

fn rsa_keys() -> (HashMap<String, Vec<u8>>, PrivateKey, PublicKey) {
    let v = rsa_vectors();
    let private = PrivateKey::from_der(KeyFormatType::PKCS_1, &v["private_pkcs1"]).unwrap();
    let public = PublicKey::from_der(KeyFormatType::X_509, &v["public_spki"]).unwrap();
    (v, private, public)
}

#[test]
fn rsa_pkcs1v15_signatures_equal_openssls() {
    let (v, private, public) = rsa_keys();
    let spec = SignSpec {
        padding: Some(PaddingMethod::PKCS1_V1_5),
        hash: Some(HashingAlgorithm::SHA_256),
        ..SignSpec::default()
    };
    assert_eq!(
        sign(&private, &spec, MESSAGE).unwrap(),
        v["pkcs1v15_sha256"]
    );
    assert!(verify(&public, &spec, MESSAGE, &v["pkcs1v15_sha256"]).unwrap());
    assert!(!verify(&public, &spec, b"another message", &v["pkcs1v15_sha256"]).unwrap());
}

#[test]
fn rsa_signatures_are_openssls_whichever_library_signs() {
    // SHA-256 is signed by `ring`, SHA-1 and a client's digest by `rsa`: the same bytes as
    // OpenSSL's in every case.
    let (v, private, _) = rsa_keys();
    let spec = |hash| SignSpec {
        padding: Some(PaddingMethod::PKCS1_V1_5),
        hash: Some(hash),
        ..SignSpec::default()
    };
    assert_eq!(
        sign(&private, &spec(HashingAlgorithm::SHA_1), MESSAGE).unwrap(),
        v["pkcs1v15_sha1"]
    );
    assert_eq!(
        sign(&private, &spec(HashingAlgorithm::SHA_256), MESSAGE).unwrap(),
        v["pkcs1v15_sha256"]
    );
}

#[test]
fn rsa_pss_signatures_of_openssl_verify_and_ours_round_trip() {
    let (v, private, public) = rsa_keys();
    let spec = SignSpec {
        padding: Some(PaddingMethod::PSS),
        hash: Some(HashingAlgorithm::SHA_384),
        ..SignSpec::default()
    };
    // OpenSSL's signature used salt 20 (and MGF1 with SHA-384); any salt length verifies.
    assert!(verify(&public, &spec, MESSAGE, &v["pss_sha384_salt20"]).unwrap());
    let mut altered = v["pss_sha384_salt20"].clone();
    altered[10] ^= 1;
    assert!(!verify(&public, &spec, MESSAGE, &altered).unwrap());
    let ours = sign(
        &private,
        &SignSpec {
            salt_length: Some(222 - 16),
            ..spec
        },
        MESSAGE,
    )
    .unwrap();
    assert!(verify(&public, &spec, MESSAGE, &ours).unwrap());
}

#[test]
fn rsa_oaep_decrypts_openssls_ciphertext_with_split_hashes_and_a_label() {
    let (v, private, public) = rsa_keys();
    let spec = RsaSpec {
        padding: Some(PaddingMethod::OAEP),
        hash: Some(HashingAlgorithm::SHA_384),
        mgf_hash: Some(HashingAlgorithm::SHA_256),
        label: Some(b"Kilroy was here".to_vec()),
    };
    let (PrivateKey::Rsa(private), PublicKey::Rsa(public)) = (private, public) else {
        panic!("RSA keys")
    };
    assert_eq!(
        &*rsa_cipher::decrypt(&private, &spec, &v["oaep_sha384_mgf1sha256_label"]).unwrap(),
        MESSAGE
    );
    let wrong_label = RsaSpec {
        label: None,
        ..spec.clone()
    };
    assert!(
        rsa_cipher::decrypt(&private, &wrong_label, &v["oaep_sha384_mgf1sha256_label"]).is_err()
    );
    let ours = rsa_cipher::encrypt(&public, &spec, MESSAGE).unwrap();
    assert_eq!(
        &*rsa_cipher::decrypt(&private, &spec, &ours).unwrap(),
        MESSAGE
    );
}

#[test]
fn ecdsa_p256_matches_rfc6979_a25_sample() {
    // RFC 6979 §A.2.5, P-256, SHA-256, message "sample".
    let x =
        hex::decode("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721").unwrap();
    let key = PrivateKey::P256(p256::ecdsa::SigningKey::from_slice(&x).unwrap());
    let der = sign(&key, &SignSpec::default(), b"sample").unwrap();
    let sig = p256::ecdsa::Signature::from_der(&der).unwrap();
    assert_eq!(
        hex::encode_upper(sig.to_bytes()),
        "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"
    );
    assert!(verify(&key.public(), &SignSpec::default(), b"sample", &der).unwrap());
    assert!(!verify(&key.public(), &SignSpec::default(), b"samplf", &der).unwrap());
}

#[test]
fn ecdsa_p384_matches_rfc6979_a26_sample() {
    // RFC 6979 §A.2.6, P-384, SHA-384, message "sample".
    let x = hex::decode("6B9D3DAD2E1B8C1C05B19875B6659F4DE23C3B667BF297BA9AA47740787137D896D5724E4C70A825F872C9EA60D2EDF5").unwrap();
    let key = PrivateKey::P384(p384::ecdsa::SigningKey::from_slice(&x).unwrap());
    let der = sign(&key, &SignSpec::default(), b"sample").unwrap();
    let sig = p384::ecdsa::Signature::from_der(&der).unwrap();
    assert_eq!(
        hex::encode_upper(sig.to_bytes()),
        "94EDBB92A5ECB8AAD4736E56C691916B3F88140666CE9FA73D64C4EA95AD133C81A648152E44ACF96E36DD1E80FABE4699EF4AEB15F178CEA1FE40DB2603138F130E740A19624526203B6351D0A3A94FA329C145786E679E7B82C71A38628AC8"
    );
}

#[test]
fn ecdsa_p521_matches_rfc6979_a27_sample() {
    // RFC 6979 §A.2.7, P-521, SHA-512, message "sample".
    let x = hex::decode("00FAD06DAA62BA3B25D2FB40133DA757205DE67F5BB0018FEE8C86E1B68C7E75CAA896EB32F1F47C70855836A6D16FCC1466F6D8FBEC67DB89EC0C08B0E996B83538").unwrap();
    let key = PrivateKey::P521(p521::ecdsa::SigningKey::from_slice(&x).unwrap());
    let der = sign(&key, &SignSpec::default(), b"sample").unwrap();
    let sig = p521::ecdsa::Signature::from_der(&der).unwrap();
    assert_eq!(
        hex::encode_upper(sig.to_bytes()),
        concat!(
            "00C328FAFCBD79DD77850370C46325D987CB525569FB63C5D3BC53950E6D4C5F174E25A1EE9017B5D450606ADD152B534931D7D4E8455CC91F9B15BF05EC36E377FA",
            "00617CCE7CF5064806C467F678D3B4080D6F1CC50AF26CA209417308281B68AF282623EAA63E5B5C0723D8B8C37FF0777B1A20F8CCB1DCCC43997F1EE0E44DA4A67A"
        )
    );
    assert!(verify(&key.public(), &SignSpec::default(), b"sample", &der).unwrap());
    assert!(!verify(&key.public(), &SignSpec::default(), b"samplf", &der).unwrap());
}

#[test]
fn generated_keys_sign_and_round_trip_through_their_formats() {
    for key in [
        generate_rsa(2048).unwrap(),
        generate_ec(RecommendedCurve::P_256).unwrap(),
        generate_ec(RecommendedCurve::P_384).unwrap(),
        generate_ec(RecommendedCurve::P_521).unwrap(),
    ] {
        let sig = sign(&key, &SignSpec::default(), MESSAGE).unwrap();
        let der = key.to_der(KeyFormatType::PKCS_8).unwrap();
        let again = PrivateKey::from_der(KeyFormatType::PKCS_8, &der).unwrap();
        let public = PublicKey::from_der(
            KeyFormatType::X_509,
            &again.public().to_der(KeyFormatType::X_509).unwrap(),
        )
        .unwrap();
        assert!(
            verify(&public, &SignSpec::default(), MESSAGE, &sig).unwrap(),
            "{key:?}"
        );
    }
    assert!(generate_rsa(1024).is_err());
}

#[test]
fn debug_output_never_shows_private_key_material() {
    let (_, private, _) = rsa_keys();
    let shown = format!("{private:?}");
    assert_eq!(shown, "PrivateKey(RSA, 2048 bits)");
}

#[test]
fn a_client_digest_signs_and_verifies_as_the_data_would() {
    use raftkeep_crypto::signature::{Signed, sign_input, verify_input};
    use sha2::Digest as _;
    let (v, private, public) = rsa_keys();
    let spec = SignSpec {
        padding: Some(PaddingMethod::PKCS1_V1_5),
        hash: Some(HashingAlgorithm::SHA_256),
        ..SignSpec::default()
    };
    let digest = sha2::Sha256::digest(MESSAGE).to_vec();
    // PKCS#1 v1.5 is deterministic: the digest signs to OpenSSL's signature of the data.
    assert_eq!(
        sign_input(&private, &spec, Signed::Digest(&digest)).unwrap(),
        v["pkcs1v15_sha256"]
    );
    assert!(
        verify_input(
            &public,
            &spec,
            Signed::Digest(&digest),
            &v["pkcs1v15_sha256"]
        )
        .unwrap()
    );
    assert!(
        sign_input(&private, &spec, Signed::Digest(&digest[..20])).is_err(),
        "a digest of the wrong length"
    );
    // RFC 6979 is deterministic too: the digest of "sample" signs as "sample" does.
    let x =
        hex::decode("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721").unwrap();
    let key = PrivateKey::P256(p256::ecdsa::SigningKey::from_slice(&x).unwrap());
    let of_digest = sign_input(
        &key,
        &SignSpec::default(),
        Signed::Digest(&sha2::Sha256::digest(b"sample")),
    )
    .unwrap();
    assert_eq!(
        of_digest,
        sign(&key, &SignSpec::default(), b"sample").unwrap()
    );
}

#[test]
fn transparent_formats_carry_the_published_components_and_round_trip() {
    use kmip_ttlv::{Tag, Value};
    use raftkeep_crypto::keys::PrivateKey as Key;

    // RFC 6979 §A.2.5: the P-256 key x and its public point (Ux, Uy).
    let x = "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721";
    let key = Key::P256(p256::ecdsa::SigningKey::from_slice(&hex::decode(x).unwrap()).unwrap());
    let (format, items) = key.to_transparent().unwrap();
    assert_eq!(format, KeyFormatType::TRANSPARENT_EC_PRIVATE_KEY);
    let d = items.iter().find(|t| t.tag == Tag::D).unwrap();
    let Value::BigInteger(d) = &d.value else {
        panic!("D is not a Big Integer")
    };
    // A set top bit is kept positive with a zero byte, then padded to 8-byte words.
    assert_eq!(
        hex::encode_upper(d.as_bytes()),
        format!("0000000000000000{x}")
    );
    let (public_format, public_items) = key.public().to_transparent();
    assert_eq!(public_format, KeyFormatType::TRANSPARENT_EC_PUBLIC_KEY);
    let q = public_items
        .iter()
        .find(|t| t.tag == Tag::Q_STRING)
        .unwrap();
    assert_eq!(
        q.value,
        Value::ByteString(
            hex::decode(concat!(
                "04",
                "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6",
                "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299"
            ))
            .unwrap()
            .into()
        )
    );
    let back = Key::from_transparent(format, &items).unwrap();
    let sig = sign(&back, &SignSpec::default(), b"sample").unwrap();
    let public = PublicKey::from_transparent(public_format, &public_items).unwrap();
    assert!(verify(&public, &SignSpec::default(), b"sample", &sig).unwrap());

    // RSA: the components rebuild the same key, and the modulus is the public key's.
    let (v, private, _) = rsa_keys();
    let (format, items) = private.to_transparent().unwrap();
    assert_eq!(format, KeyFormatType::TRANSPARENT_RSA_PRIVATE_KEY);
    assert_eq!(items.len(), 8, "n, d, e, p, q, dp, dq, qinv");
    let back = Key::from_transparent(format, &items).unwrap();
    assert_eq!(
        *back.to_der(KeyFormatType::PKCS_1).unwrap(),
        v["private_pkcs1"]
    );
    let (public_format, public_items) = private.public().to_transparent();
    assert_eq!(public_items[0], items[0], "the modulus");
    let public = PublicKey::from_transparent(public_format, &public_items).unwrap();
    assert_eq!(
        public.to_der(KeyFormatType::X_509).unwrap(),
        v["public_spki"]
    );
    // A damaged set of components is refused, not trusted.
    let mut damaged = items.clone();
    damaged.retain(|t| t.tag != Tag::P);
    assert!(Key::from_transparent(format, &damaged).is_err());
}
