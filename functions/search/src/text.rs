//! From text to the words the index holds: the same steps for a product and for a query, so
//! that what a customer types meets what the catalogue says.
//!
//! Anything that is not a letter or a digit separates words, so nothing a customer types is
//! syntax. Each word is folded (lower case, accents off: `Crème` is `creme`, `Łódź` is `lodz`)
//! and its simple English plural taken off (`bowls` is `bowl`, `boxes` is `box`, `candies` is
//! `candy`).

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// A query's or a text's words, folded and singular.
pub fn words(text: &str) -> Vec<String> {
    folded_words(text).map(|word| singular(&word)).collect()
}

/// The words of `text`, folded but as typed otherwise: the last word of a query, still being
/// typed, matches as a prefix of what the index holds, and `mugs` is not a prefix of `mug`.
pub fn folded_words(text: &str) -> impl Iterator<Item = String> + '_ {
    // A combining mark (an accent typed as a letter and a mark) belongs to its word.
    text.split(|c: char| !c.is_alphanumeric() && !is_combining_mark(c))
        .filter(|word| !word.is_empty())
        .map(fold)
        .filter(|word| !word.is_empty())
}

/// Lower case, with accents and other marks taken off; the Latin letters that do not decompose
/// into a letter and a mark (`ł`, `ø`, `ß`, `æ`, ...) spelled as an English keyboard would.
pub fn fold(word: &str) -> String {
    let mut folded = String::with_capacity(word.len());
    for c in word.nfkd().filter(|c| !is_combining_mark(*c)) {
        match c {
            'ł' | 'Ł' => folded.push('l'),
            'ø' | 'Ø' => folded.push('o'),
            'đ' | 'Đ' | 'ð' | 'Ð' => folded.push('d'),
            'ı' => folded.push('i'),
            'ß' => folded.push_str("ss"),
            'æ' | 'Æ' => folded.push_str("ae"),
            'œ' | 'Œ' => folded.push_str("oe"),
            'þ' | 'Þ' => folded.push_str("th"),
            c if c.is_alphanumeric() => folded.extend(c.to_lowercase()),
            _ => {}
        }
    }
    folded
}

/// `word` without a simple English plural ending. Short words and words that only look plural
/// (`glass`, `canvas`, `cactus`, `analysis`) keep theirs.
pub fn singular(word: &str) -> String {
    let n = word.len();
    if !word.is_ascii() || n <= 3 {
        return word.to_owned();
    }
    if n > 4 && word.ends_with("ies") {
        return format!("{}y", &word[..n - 3]);
    }
    if n > 4
        && ["ches", "shes", "sses", "xes", "zes"]
            .iter()
            .any(|end| word.ends_with(end))
    {
        return word[..n - 2].to_owned();
    }
    if word.ends_with('s')
        && !["ss", "us", "is", "as"]
            .iter()
            .any(|end| word.ends_with(end))
    {
        return word[..n - 1].to_owned();
    }
    word.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_case_and_punctuation_fold_away() {
        assert_eq!(words("Crème BRÛLÉE dish"), ["creme", "brulee", "dish"]);
        assert_eq!(words("Łódź, Straße & Æsir"), ["lodz", "strasse", "aesir"]);
        assert_eq!(words("ﬁne ＡＢＣ"), ["fine", "abc"], "compatibility forms");
        assert_eq!(
            words("\"wooden\" AND chair* -x:y ( OR) )"),
            ["wooden", "and", "chair", "x", "y", "or"],
            "no syntax"
        );
        assert!(words("  !!! ... ").is_empty());
        assert_eq!(
            words("Cre\u{301}me"),
            ["creme"],
            "an accent typed as a mark"
        );
    }

    #[test]
    fn simple_plurals_become_singular() {
        for (plural, one) in [
            ("bowls", "bowl"),
            ("boxes", "box"),
            ("brushes", "brush"),
            ("candies", "candy"),
            ("glasses", "glass"),
            ("glass", "glass"),
            ("canvas", "canvas"),
            ("cactus", "cactus"),
            ("mugs", "mug"),
            ("gas", "gas"),
            ("its", "its"),
        ] {
            assert_eq!(singular(plural), one, "{plural}");
        }
    }

    #[test]
    fn scripts_other_than_latin_are_kept_as_words() {
        assert_eq!(words("Чашка чая"), ["чашка", "чая"]);
        assert_eq!(words("茶杯"), ["茶杯"]);
    }
}
