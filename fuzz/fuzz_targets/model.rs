//! The model loader on arbitrary bytes: a clear error naming the file, or a
//! model that classifies without panicking. Seed the corpus with
//! `models/programs.model.bin` (see README, "Fuzzing").
//!
//! Almost every mutation of a real model breaks its CRC-32, which the
//! loader checks first; so each input is also tried with its last four
//! bytes replaced by the right checksum, to reach the validation of the
//! header, the vocabulary and the arrays behind it.
#![no_main]

use docclass::model::file::from_bytes;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fn check(bytes: &[u8]) {
    match from_bytes(bytes, Path::new("fuzz.model")) {
        Ok(model) => {
            for text in ["port customs logistics seminar", "港口管理研修班", ""] {
                let p = model.predict_text(text);
                assert_eq!(p.scores.len(), model.labels().len());
                assert!(p.scores.iter().all(|s| s.is_finite()), "{:?}", p.scores);
                assert!(p.labels.iter().all(|&c| c < model.labels().len()));
            }
        }
        Err(e) => assert!(e.to_string().contains("fuzz.model"), "{e}"),
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    if data.len() >= 4 {
        let body = &data[..data.len() - 4];
        let mut fixed = body.to_vec();
        fixed.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
        check(&fixed);
    }
});
