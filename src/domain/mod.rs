//! The domain: tix's types and rules, with no I/O — nothing here opens a file, a
//! database or a terminal, so every rule can be tested in process on plain values.
//!
//! Everything above (operations, the store, the command line) depends on this module;
//! it depends on nothing of theirs.

pub mod audit;
pub mod codes;
pub mod event;
pub mod export;
pub mod gate;
pub mod mail;
pub mod money;
pub mod people;
pub mod sale;
pub mod text;
pub mod tier;
pub mod time;
pub mod waitlist;

/// `part` of `whole` in percent with one decimal, as shown to people: rounded, except
/// that it never says 100 while something is left, nor 0 once something is there.
pub fn percent(part: i64, whole: i64) -> f64 {
    if whole <= 0 {
        return 0.0;
    }
    let rounded = (part as f64 * 1000.0 / whole as f64).round() / 10.0;
    if part < whole && rounded >= 100.0 {
        99.9
    } else if part > 0 && rounded <= 0.0 {
        0.1
    } else {
        rounded
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn percent_never_says_all_or_nothing_wrongly() {
        assert_eq!(super::percent(1999, 2000), 99.9);
        assert_eq!(super::percent(2000, 2000), 100.0);
        assert_eq!(super::percent(1, 2001), 0.1);
        assert_eq!(super::percent(0, 5), 0.0);
        assert_eq!(super::percent(1, 3), 33.3);
        assert_eq!(super::percent(2, 3), 66.7);
        assert_eq!(super::percent(3, 0), 0.0);
    }
}
