//! Known-answer tests: every cipher mode, MAC and hash against published vectors (NIST
//! SP 800-38A/-38B, SP 800-67, IEEE 1619, the GCM specification's test cases, RFC 8439,
//! RFC 2202/4231, RFC 4493, FIPS 180-4 examples, Eric Young's Blowfish vectors),
//! independent of the OASIS test cases.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

use kmip_ttlv::enums::{BlockCipherMode, CryptographicAlgorithm, HashingAlgorithm, PaddingMethod};
use raftkeep_crypto::{CipherSpec, CryptoError, decrypt, encrypt, hash, mac, mac_verify};

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn aes(mode: BlockCipherMode) -> CipherSpec {
    CipherSpec {
        algorithm: CryptographicAlgorithm::AES,
        mode: Some(mode),
        padding: None,
        tag_length: None,
        initial_counter: None,
    }
}

const K128: &str = "2b7e151628aed2a6abf7158809cf4f3c";
const P1: &str = "6bc1bee22e409f96e93d7e117393172a";
const RFC8439_TEXT: &str = "4c616469657320616e642047656e746c656d656e206f662074686520636c617373206f66202739393a204966204920636f756c64206f6666657220796f75206f6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73637265656e20776f756c642062652069742e";

/// Encrypts, checks the expected ciphertext, and checks that decryption gives the plaintext.
fn round_trip(
    spec: &CipherSpec,
    key: &str,
    iv: Option<&str>,
    aad: &str,
    pt: &str,
    ct: &str,
    tag: Option<&str>,
) {
    let iv = iv.map(h);
    let out = encrypt(spec, &h(key), iv.as_deref(), &h(aad), &h(pt)).unwrap();
    assert_eq!(hex::encode(&out.data), ct);
    assert_eq!(out.tag.as_deref().map(hex::encode).as_deref(), tag);
    let back = decrypt(
        spec,
        &h(key),
        iv.as_deref(),
        &h(aad),
        &h(ct),
        out.tag.as_deref(),
    )
    .unwrap();
    assert_eq!(hex::encode(&*back), pt);
}

#[test]
fn aes_ecb_matches_sp800_38a_for_every_key_size() {
    let spec = aes(BlockCipherMode::ECB);
    round_trip(
        &spec,
        K128,
        None,
        "",
        P1,
        "3ad77bb40d7a3660a89ecaf32466ef97",
        None,
    );
    round_trip(
        &spec,
        "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
        None,
        "",
        P1,
        "bd334f1d6e45f25ff712a214571fa5cc",
        None,
    );
    round_trip(
        &spec,
        "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
        None,
        "",
        P1,
        "f3eed1bdb5d2a03c064b5a7e3db181f8",
        None,
    );
}

#[test]
fn aes_cbc_and_ctr_match_sp800_38a() {
    round_trip(
        &aes(BlockCipherMode::CBC),
        K128,
        Some("000102030405060708090a0b0c0d0e0f"),
        "",
        P1,
        "7649abac8119b246cee98e9b12e9197d",
        None,
    );
    round_trip(
        &aes(BlockCipherMode::CTR),
        K128,
        Some("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"),
        "",
        P1,
        "874d6191b620e3261bef6864990db6ce",
        None,
    );
}

fn legacy(algorithm: CryptographicAlgorithm, mode: BlockCipherMode) -> CipherSpec {
    CipherSpec {
        algorithm,
        ..aes(mode)
    }
}

#[test]
fn triple_des_matches_sp800_67_and_keeps_cbc_chaining() {
    // NIST SP 800-67 Rev. 2, Appendix B: three-key TDEA in ECB over "The qufck brown fox jump".
    let key = "0123456789abcdef23456789abcdef01456789abcdef0123";
    let pt = "54686520717566636b2062726f776e20666f78206a756d70";
    round_trip(
        &legacy(CryptographicAlgorithm::DES3, BlockCipherMode::ECB),
        key,
        None,
        "",
        pt,
        "a826fd8ce53b855fcce21c8112256fe668d5c05dd9b6b900",
        None,
    );
    // CBC with a zero IV: the first block equals ECB's, the ones after are chained.
    let cbc = legacy(CryptographicAlgorithm::DES3, BlockCipherMode::CBC);
    let out = encrypt(&cbc, &h(key), Some(&[0; 8]), &[], &h(pt)).unwrap();
    assert_eq!(hex::encode(&out.data[..8]), "a826fd8ce53b855f");
    assert_ne!(hex::encode(&out.data[8..16]), "cce21c8112256fe6");
    assert_eq!(
        hex::encode(&*decrypt(&cbc, &h(key), Some(&[0; 8]), &[], &out.data, None).unwrap()),
        pt
    );
    // An AES-sized IV of 16 bytes does not fit a 64-bit block.
    assert!(matches!(
        encrypt(&cbc, &h(key), Some(&[0; 16]), &[], &h(pt)),
        Err(CryptoError::Length { what: "IV", .. })
    ));
}

#[test]
fn blowfish_matches_eric_youngs_vectors() {
    round_trip(
        &legacy(CryptographicAlgorithm::BLOWFISH, BlockCipherMode::ECB),
        "0000000000000000",
        None,
        "",
        "0000000000000000",
        "4ef997456198dd78",
        None,
    );
    // The CBC vector: "7654321 Now is the time for " padded with zeros.
    round_trip(
        &legacy(CryptographicAlgorithm::BLOWFISH, BlockCipherMode::CBC),
        "0123456789abcdeff0e1d2c3b4a59687",
        Some("fedcba9876543210"),
        "",
        "37363534333231204e6f77206973207468652074696d6520666f722000000000",
        "6b77b4d63006dee605b156e27403979358deb9e7154616d959f1652bd5ff92cc",
        None,
    );
}

#[test]
fn aes_xts_matches_ieee1619_including_ciphertext_stealing() {
    let xts = aes(BlockCipherMode::XTS);
    // IEEE 1619-2007 vector 2: AES-128 keys 11.. and 22.., data unit 0x3333333333.
    round_trip(
        &xts,
        "1111111111111111111111111111111122222222222222222222222222222222",
        Some("33333333330000000000000000000000"),
        "",
        &"44".repeat(32),
        "c454185e6a16936e39334038acef838bfb186fff7480adc4289382ecd6d394f0",
        None,
    );
    // Vector 15: 17 bytes, the last block stolen.
    round_trip(
        &xts,
        "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0bfbebdbcbbbab9b8b7b6b5b4b3b2b1b0",
        Some("9a785634120000000000000000000000"),
        "",
        "000102030405060708090a0b0c0d0e0f10",
        "6c1625db4671522d3d7599601de7ca09ed",
        None,
    );
    // Vector 10 (AES-256, data unit 0xff), its first two blocks.
    let key = concat!(
        "2718281828459045235360287471352662497757247093699959574966967627",
        "3141592653589793238462643383279502884197169399375105820974944592"
    );
    let data: Vec<u8> = (0..=255u8).chain(0..=255u8).collect();
    let out = encrypt(
        &xts,
        &h(key),
        Some(&h("ff000000000000000000000000000000")),
        &[],
        &data,
    );
    assert_eq!(
        hex::encode(&out.unwrap().data[..32]),
        "1c3b3a102f770386e4836c99e370cf9bea00803f5e482357a4ae12d414a3e63b"
    );
    // Less than one block is no data unit.
    assert!(matches!(
        encrypt(&xts, &h(key), Some(&[0; 16]), &[], &[0; 15]),
        Err(CryptoError::Length { what: "data", .. })
    ));
}

#[test]
fn pkcs5_padding_adds_a_block_and_bad_padding_fails() {
    let spec = CipherSpec {
        padding: Some(PaddingMethod::PKCS5),
        ..aes(BlockCipherMode::ECB)
    };
    let out = encrypt(&spec, &h(K128), None, &[], &h(P1)).unwrap();
    assert_eq!(out.data.len(), 32);
    assert_eq!(&out.data[..16], &h("3ad77bb40d7a3660a89ecaf32466ef97")[..]);
    // The last block alone decrypts to a block of 16s; cutting the first block off
    // leaves a ciphertext whose padding is not valid after the key changes.
    let mut other_key = h(K128);
    other_key[0] ^= 1;
    assert_eq!(
        decrypt(&spec, &other_key, None, &[], &out.data, None),
        Err(CryptoError::Failed)
    );
}

#[test]
fn unpadded_modes_refuse_partial_blocks_and_cbc_needs_an_iv() {
    let err = encrypt(&aes(BlockCipherMode::ECB), &h(K128), None, &[], &[1, 2, 3]).unwrap_err();
    assert!(
        matches!(err, CryptoError::Length { what: "data", .. }),
        "{err}"
    );
    let err = encrypt(&aes(BlockCipherMode::CBC), &h(K128), None, &[], &h(P1)).unwrap_err();
    assert_eq!(err, CryptoError::Missing("IV / Counter / Nonce"));
    let err = encrypt(&aes(BlockCipherMode::ECB), &[0; 15], None, &[], &h(P1)).unwrap_err();
    assert!(
        matches!(
            err,
            CryptoError::Length {
                what: "key",
                got: 15,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn aes_gcm_matches_the_gcm_specification_test_cases() {
    let spec = aes(BlockCipherMode::GCM);
    // Test case 2: 96-bit IV.
    round_trip(
        &spec,
        "00000000000000000000000000000000",
        Some("000000000000000000000000"),
        "",
        "00000000000000000000000000000000",
        "0388dace60b6a392f328c2b971b2fe78",
        Some("ab6e47d42cec13bdf53a67b21257bddf"),
    );
    let pt = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
    let aad = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
    // Test case 5: 64-bit IV.
    round_trip(
        &spec,
        "feffe9928665731c6d6a8f9467308308",
        Some("cafebabefacedbad"),
        aad,
        pt,
        "61353b4c2806934a777ff51fa22a4755699b2a714fcdc6f83766e5f97b6c742373806900e49f24b22b097544d4896b424989b5e1ebac0f07c23f4598",
        Some("3612d2e79e3b0785561be14aaca2fccb"),
    );
    // Test case 6: 480-bit IV.
    round_trip(
        &spec,
        "feffe9928665731c6d6a8f9467308308",
        Some(
            "9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728c3c0c95156809539fcf0e2429a6b525416aedbf5a0de6a57a637b39b",
        ),
        aad,
        pt,
        "8ce24998625615b603a033aca13fb894be9112a5c3a211a8ba262a3cca7e2ca701e4a9a4fba43c90ccdcb281d48c7c6fd62875d2aca417034c34aee5",
        Some("619cc5aefffe0bfa462af43c1699d050"),
    );
}

#[test]
fn truncated_gcm_tags_verify_and_altered_ones_fail() {
    let spec = CipherSpec {
        tag_length: Some(12),
        ..aes(BlockCipherMode::GCM)
    };
    let (key, iv, ct) = (
        h("00000000000000000000000000000000"),
        h("000000000000000000000000"),
        h("0388dace60b6a392f328c2b971b2fe78"),
    );
    let out = encrypt(&spec, &key, Some(&iv), &[], &[0; 16]).unwrap();
    assert_eq!(out.tag, Some(h("ab6e47d42cec13bdf53a67b2")));
    let back = decrypt(
        &spec,
        &key,
        Some(&iv),
        &[],
        &ct,
        Some(&h("ab6e47d42cec13bdf53a67b2")),
    )
    .unwrap();
    assert_eq!(&*back, &[0; 16]);
    for bad_tag in ["ab6e47d42cec13bdf53a67b3", "006e47d42cec13bdf53a67b2"] {
        let got = decrypt(&spec, &key, Some(&iv), &[], &ct, Some(&h(bad_tag)));
        assert_eq!(got, Err(CryptoError::Failed));
    }
    let mut altered = ct.clone();
    altered[0] ^= 0xff;
    let full = aes(BlockCipherMode::GCM);
    let got = decrypt(
        &full,
        &key,
        Some(&iv),
        &[],
        &altered,
        Some(&h("ab6e47d42cec13bdf53a67b21257bddf")),
    );
    assert_eq!(got, Err(CryptoError::Failed));
}

#[test]
fn tag_lengths_outside_12_to_16_are_refused() {
    for n in [1, 11, 17, 32] {
        let spec = CipherSpec {
            tag_length: Some(n),
            ..aes(BlockCipherMode::GCM)
        };
        let got = encrypt(&spec, &[0; 16], Some(&[0; 12]), &[], &[0; 16]);
        assert_eq!(got, Err(CryptoError::TagLength(n)));
    }
}

#[test]
fn chacha20_matches_rfc8439() {
    let spec = CipherSpec {
        algorithm: CryptographicAlgorithm::CHACHA20,
        mode: None,
        padding: None,
        tag_length: None,
        initial_counter: Some(1),
    };
    round_trip(
        &spec,
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        Some("000000000000004a00000000"),
        "",
        RFC8439_TEXT,
        "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0bf91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d807ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab77937365af90bbf74a35be6b40b8eedf2785e42874d",
        None,
    );
    // The original construction (8-byte nonce) from block 0: the all-zero keystream of RFC 8439 §A.1.
    let legacy = CipherSpec {
        initial_counter: None,
        ..spec
    };
    let out = encrypt(&legacy, &[0; 32], Some(&[0; 8]), &[], &[0; 16]).unwrap();
    assert_eq!(hex::encode(out.data), "76b8e0ada0f13d90405d6ae55386bd28");
}

#[test]
fn chacha20_poly1305_matches_rfc8439() {
    let spec = CipherSpec {
        algorithm: CryptographicAlgorithm::CHACHA20POLY1305,
        mode: Some(BlockCipherMode::AEAD),
        padding: None,
        tag_length: None,
        initial_counter: None,
    };
    round_trip(
        &spec,
        "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
        Some("070000004041424344454647"),
        "50515253c0c1c2c3c4c5c6c7",
        RFC8439_TEXT,
        "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116",
        Some("1ae10b594f09e26a7e902ecbd0600691"),
    );
}

#[test]
fn hmac_matches_rfc2202_and_rfc4231() {
    let key = h("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
    let cases = [
        (
            CryptographicAlgorithm::HMAC_SHA1,
            "b617318655057264e28bc0b6fb378c8ef146be00",
        ),
        (
            CryptographicAlgorithm::HMAC_SHA256,
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
        ),
        (
            CryptographicAlgorithm::HMAC_SHA512,
            "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
        ),
    ];
    for (alg, want) in cases {
        assert_eq!(
            hex::encode(mac(alg, None, &key, b"Hi There").unwrap()),
            want,
            "{alg}"
        );
        assert!(mac_verify(alg, None, &key, b"Hi There", &h(want)).unwrap());
        assert!(!mac_verify(alg, None, &key, b"Hi there", &h(want)).unwrap());
    }
}

#[test]
fn aes_cmac_matches_rfc4493() {
    let cmac = |msg: &str| {
        hex::encode(
            mac(
                CryptographicAlgorithm::AES,
                Some(BlockCipherMode::CMAC),
                &h(K128),
                &h(msg),
            )
            .unwrap(),
        )
    };
    assert_eq!(cmac(""), "bb1d6929e95937287fa37d129b756746");
    assert_eq!(cmac(P1), "070a16b46b4d4144f79bdd9dd04a287c");
}

#[test]
fn hashes_match_fips180_examples() {
    let cases = [
        (
            HashingAlgorithm::SHA_1,
            "a9993e364706816aba3e25717850c26c9cd0d89d",
        ),
        (
            HashingAlgorithm::SHA_224,
            "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7",
        ),
        (
            HashingAlgorithm::SHA_256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ),
        (
            HashingAlgorithm::SHA_384,
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
        ),
        (
            HashingAlgorithm::SHA_512,
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        ),
    ];
    for (alg, want) in cases {
        assert_eq!(hex::encode(hash(alg, b"abc").unwrap()), want, "{alg}");
    }
    assert!(matches!(
        hash(HashingAlgorithm::MD5, b"abc"),
        Err(CryptoError::Unsupported(_))
    ));
}

#[test]
fn aes_key_wrap_matches_rfc3394_and_rfc5649() {
    use raftkeep_crypto::wrap::{unwrap, wrap};
    // RFC 3394 §4.6: a 256-bit key under a 256-bit KEK.
    let kek = h("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F");
    let key = h("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F");
    let wrapped = wrap(&kek, None, &key).unwrap();
    assert_eq!(
        hex::encode_upper(&wrapped),
        "28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21"
    );
    assert_eq!(&*unwrap(&kek, None, &wrapped).unwrap(), &key[..]);
    let mut altered = wrapped.clone();
    altered[3] ^= 1;
    assert_eq!(unwrap(&kek, None, &altered), Err(CryptoError::Failed));
    // RFC 5649 §6: 20 octets under a 192-bit KEK.
    let kwp = Some(BlockCipherMode::AESKEYWRAPPADDING);
    let kek = h("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8");
    let key = h("c37b7e6492584340bed12207808941155068f738");
    let wrapped = wrap(&kek, kwp, &key).unwrap();
    assert_eq!(
        hex::encode(&wrapped),
        "138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a"
    );
    assert_eq!(&*unwrap(&kek, kwp, &wrapped).unwrap(), &key[..]);
}

#[test]
fn key_derivations_match_rfc6070_rfc5869_and_nist_cavp() {
    use kmip_ttlv::enums::DerivationMethod;
    use raftkeep_crypto::derive::{Derivation, derive};
    // RFC 6070: PBKDF2-HMAC-SHA1, "password" / "salt", 4096 iterations, 20 bytes.
    let pbkdf2 = Derivation {
        hash: Some(HashingAlgorithm::SHA_1),
        salt: Some(b"salt"),
        iterations: Some(4096),
        ..Derivation::default()
    };
    let out = derive(DerivationMethod::PBKDF2, b"password", &pbkdf2, 20).unwrap();
    assert_eq!(
        hex::encode(&*out),
        "4b007901b765489abead49d926f721d065a429c1"
    );
    // RFC 5869 test case 7: HKDF-SHA1, IKM 0x0c × 22, no salt, no info, 42 bytes.
    let hkdf = Derivation {
        hash: Some(HashingAlgorithm::SHA_1),
        salt: Some(b""),
        data: Some(b""),
        ..Derivation::default()
    };
    let out = derive(DerivationMethod::HMAC, &[0x0c; 22], &hkdf, 42).unwrap();
    assert_eq!(
        hex::encode(&*out),
        "2c91117204d745f3500d636a62f64f0ab3bae548aa53d423b0d1f27ebba6f5e5673a081d70cce7acfc48"
    );
    // NIST CAVP KBKDF, counter mode before the fixed data, r = 32, HMAC-SHA512, 128 bits.
    let key = h(
        "dd5dbd45593ee2ac139748e7645b450f223d2ff297b73fd71cbcebe71d41653c950b88500de5322d99ef18dfdd30428294c4b3094f4c954334e593bd982ec614",
    );
    let fixed = h(
        "b50b0c963c6b3034b8cf19cd3f5c4ebe4f4985af0c03e575db62e6fdf1ecfe4f28b95d7ce16df85843246e1557ce95bb26cc9a21974bbd2eb69e8355",
    );
    let kbkdf = Derivation {
        hash: Some(HashingAlgorithm::SHA_512),
        data: Some(&fixed),
        ..Derivation::default()
    };
    let out = derive(DerivationMethod::NIST800_108_C, &key, &kbkdf, 16).unwrap();
    assert_eq!(hex::encode(&*out), "e5993bf9bd2aa1c45746042e12598155");
    // Too many iterations are refused, not run.
    let slow = Derivation {
        iterations: Some(u32::MAX),
        ..pbkdf2
    };
    assert!(matches!(
        derive(DerivationMethod::PBKDF2, b"password", &slow, 20),
        Err(CryptoError::Unsupported(_))
    ));
}

#[test]
fn the_settled_prefix_of_every_mode_encrypts_as_the_whole_data_begins() {
    let key = [7u8; 16];
    let data: Vec<u8> = (0..45).collect();
    for (mode, iv) in [
        (BlockCipherMode::ECB, None),
        (BlockCipherMode::CBC, Some(vec![1u8; 16])),
        (BlockCipherMode::CTR, Some(vec![2u8; 16])),
        (BlockCipherMode::GCM, Some(vec![3u8; 12])),
    ] {
        let whole = CipherSpec {
            padding: Some(PaddingMethod::PKCS5),
            ..aes(mode)
        };
        let all = encrypt(&whole, &key, iv.as_deref(), b"aad", &data).unwrap();
        for len in [0, 5, 16, 31, 32, 44] {
            let settled = whole.settled_prefix(len).unwrap();
            assert!(settled <= len);
            // The prefix alone, without padding, as a part would be encrypted.
            let part = CipherSpec {
                padding: None,
                ..whole
            };
            let early = encrypt(&part, &key, iv.as_deref(), b"aad", &data[..settled]).unwrap();
            assert_eq!(early.data, all.data[..settled], "{mode} at {len}");
        }
    }
    assert_eq!(aes(BlockCipherMode::XTS).settled_prefix(64).unwrap(), 0);
    assert_eq!(aes(BlockCipherMode::CBC).settled_prefix(20).unwrap(), 16);
}
