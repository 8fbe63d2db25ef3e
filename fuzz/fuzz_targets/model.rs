//! The model loader on arbitrary bytes: a clear error or a model that
//! classifies without panicking. Seed the corpus with
//! `models/programs.model.bin` (see README, "Fuzzing").
#![no_main]

use docclass::model::file::from_bytes;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    match from_bytes(data, Path::new("fuzz.model")) {
        Ok(model) => {
            for text in ["port customs logistics seminar", "港口管理研修班", ""] {
                let p = model.predict_text(text);
                assert_eq!(p.scores.len(), model.labels().len());
                assert!(p.scores.iter().all(|s| s.is_finite()));
            }
        }
        Err(e) => assert!(e.to_string().contains("fuzz.model")),
    }
});
