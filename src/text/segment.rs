//! Word segmentation: Unicode word boundaries (UAX #29) for scripts written
//! with spaces, and maximal runs for scripts written without them.

use super::language::{is_cjk, token_script};
use super::{Token, TokenKind};
use unicode_segmentation::UnicodeSegmentation;

/// Tokens longer than this are dropped: in real files they are encoded
/// attachments, hashes or URLs that never recur, and an adversarial document
/// made of one huge "word" must not become one huge term.
pub const MAX_TOKEN_BYTES: usize = 64;

/// Splits normalised text into words, numbers and CJK runs; punctuation and
/// white space are dropped. A CJK run is kept whole here (a later filter
/// turns it into character n-grams) so that stop characters can still split
/// it first.
pub fn segment(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    segment_each(text, |piece, kind| {
        tokens.push(Token {
            text: piece.to_owned(),
            kind,
            script: token_script(piece),
            language: None,
        });
    });
    tokens
}

/// Calls `emit` with each word, number and CJK run of `text`, in order, as
/// slices of `text`. [`segment`] collects these; the analysis chain
/// consumes them without allocating.
pub fn segment_each<'t>(text: &'t str, mut emit: impl FnMut(&'t str, TokenKind)) {
    if text.is_ascii() {
        ascii_words(text, |piece| emit_word(piece, &mut emit));
        return;
    }
    // Byte range of the CJK run being accumulated: UAX #29 puts every
    // ideograph in its own segment, and a run is the contiguous stretch.
    let mut run: Option<(usize, usize)> = None;
    for (at, piece) in text.split_word_bound_indices() {
        if piece.starts_with(is_cjk) && piece.chars().all(is_cjk) {
            run = Some(match run {
                Some((start, _)) => (start, at + piece.len()),
                None => (at, at + piece.len()),
            });
            continue;
        }
        if let Some((start, end)) = run.take() {
            emit(&text[start..end], TokenKind::CjkRun);
        }
        emit_word(piece, &mut emit);
    }
    if let Some((start, end)) = run {
        emit(&text[start..end], TokenKind::CjkRun);
    }
}

fn emit_word<'t>(piece: &'t str, emit: &mut impl FnMut(&'t str, TokenKind)) {
    if piece.len() > MAX_TOKEN_BYTES {
        return;
    }
    let has_alphanumeric = if piece.is_ascii() {
        piece.bytes().any(|b| b.is_ascii_alphanumeric())
    } else {
        piece.chars().any(char::is_alphanumeric)
    };
    if !has_alphanumeric {
        return;
    }
    let kind = if is_number(piece) {
        TokenKind::Number
    } else {
        TokenKind::Word
    };
    emit(piece, kind);
}

/// UAX #29 word segmentation restricted to ASCII, several times faster than
/// the general tables and exactly equivalent on ASCII input (a property test
/// checks it against unicode-segmentation). Letters, digits and `_` join;
/// `:` `.` `'` join two letters ("e.g", "don't"); `,` `;` `.` `'` join two
/// digits ("1,000", "3.5"). Calls `emit` with each segment that contains a
/// letter, digit or underscore.
fn ascii_words<'t>(text: &'t str, mut emit: impl FnMut(&'t str)) {
    let b = text.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < b.len() {
        if !word(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        loop {
            while i < b.len() && word(b[i]) {
                i += 1;
            }
            if i + 1 < b.len() {
                let (before, mid, after) = (b[i - 1], b[i], b[i + 1]);
                let letters = before.is_ascii_alphabetic()
                    && after.is_ascii_alphabetic()
                    && matches!(mid, b':' | b'.' | b'\'');
                let digits = before.is_ascii_digit()
                    && after.is_ascii_digit()
                    && matches!(mid, b',' | b';' | b'.' | b'\'');
                if letters || digits {
                    i += 1;
                    continue;
                }
            }
            break;
        }
        emit(&text[start..i]);
    }
}

/// Digits with the separators UAX #29 keeps inside numbers ("1,000", "3.5").
fn is_number(piece: &str) -> bool {
    if piece.is_ascii() {
        let digits_only = |b: &u8| b.is_ascii_digit() || matches!(b, b'.' | b',' | b'\'' | b'_');
        return piece.bytes().any(|b| b.is_ascii_digit()) && piece.bytes().all(|b| digits_only(&b));
    }
    piece.chars().any(|c| c.is_numeric())
        && piece
            .chars()
            .all(|c| c.is_numeric() || matches!(c, '.' | ',' | '\'' | '_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(tokens: &[Token]) -> Vec<&str> {
        tokens.iter().map(|t| t.text.as_str()).collect()
    }

    #[test]
    fn splits_words_and_drops_punctuation() {
        let t = segment("port management, customs (2019): don't stop!");
        assert_eq!(
            texts(&t),
            ["port", "management", "customs", "2019", "don't", "stop"]
        );
        assert_eq!(t[3].kind, TokenKind::Number);
    }

    #[test]
    fn keeps_decimal_numbers_whole() {
        let t = segment("grew 3.5 percent to 1,000 units");
        assert_eq!(
            texts(&t),
            ["grew", "3.5", "percent", "to", "1,000", "units"]
        );
    }

    #[test]
    fn groups_cjk_characters_into_runs() {
        let t = segment("港口管理研修班，BeiDou系统。");
        assert_eq!(texts(&t), ["港口管理研修班", "BeiDou", "系统"]);
        assert_eq!(t[0].kind, TokenKind::CjkRun);
        assert_eq!(t[1].kind, TokenKind::Word);
    }

    #[test]
    fn ascii_fast_path_handles_joiners() {
        let mut pieces = Vec::new();
        ascii_words("e.g. don't 1,000.5 a:b x_1 3.a ,1, __ end.", |p| {
            pieces.push(p)
        });
        assert_eq!(
            pieces,
            ["e.g", "don't", "1,000.5", "a:b", "x_1", "3", "a", "1", "__", "end"]
        );
    }

    #[test]
    fn drops_overlong_tokens() {
        let long = "a".repeat(MAX_TOKEN_BYTES + 1);
        assert!(segment(&long).is_empty());
    }
}
