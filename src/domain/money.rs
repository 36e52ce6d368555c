//! Money as exact integers: currencies with their minor digits, and decimal parsing
//! and formatting that never goes through a float.
//!
//! Amounts are stored as integer minor units (cents for EUR, yen for JPY, fils for
//! KWD) and shown as exact decimal strings with exactly the currency's minor digits.

use crate::error::{Error, Result};

/// The largest price accepted, in minor units: high enough for any ticket, low enough
/// that a price times the largest tier quantity still fits in an `i64`.
pub const MAX_AMOUNT_MINOR: i64 = 100_000_000_000;

/// ISO 4217 codes whose minor unit is not 2 digits.
#[rustfmt::skip]
const EXPONENTS: &[(&str, u32)] = &[
    ("BIF", 0), ("CLP", 0), ("DJF", 0), ("GNF", 0), ("ISK", 0), ("JPY", 0),
    ("KMF", 0), ("KRW", 0), ("PYG", 0), ("RWF", 0), ("UGX", 0), ("UYI", 0),
    ("VND", 0), ("VUV", 0), ("XAF", 0), ("XOF", 0), ("XPF", 0),
    ("BHD", 3), ("IQD", 3), ("JOD", 3), ("KWD", 3), ("LYD", 3), ("OMR", 3), ("TND", 3),
    ("CLF", 4), ("UYW", 4),
];

/// Active ISO 4217 codes with 2 minor digits.
const TWO_DIGIT: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL \
BSD BTN BWP BYN BZD CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP \
GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR \
LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN \
PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB \
TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD XCG YER ZAR ZMW ZWG";

/// An ISO 4217 currency and the number of its minor digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Currency {
    code: &'static str,
    exponent: u32,
}

impl Currency {
    /// The euro, tix's default currency.
    pub const EUR: Currency = Currency {
        code: "EUR",
        exponent: 2,
    };

    /// Looks up an ISO 4217 code (case-insensitive), e.g. `EUR`, `jpy`.
    pub fn parse(code: &str) -> Result<Currency> {
        let upper = code.trim().to_ascii_uppercase();
        if let Some(&(code, exponent)) = EXPONENTS.iter().find(|(c, _)| *c == upper) {
            return Ok(Currency { code, exponent });
        }
        if let Some(code) = TWO_DIGIT.split_whitespace().find(|c| *c == upper) {
            return Ok(Currency { code, exponent: 2 });
        }
        Err(Error::invalid(
            "currency",
            format!(
                "'{code}' is not an ISO 4217 currency code; use a code such as EUR, USD, GBP or JPY"
            ),
        ))
    }

    /// The three-letter code, upper case.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// How many digits follow the decimal point (2 for EUR, 0 for JPY, 3 for KWD).
    pub fn exponent(&self) -> u32 {
        self.exponent
    }

    /// Parses an exact decimal amount such as `199.99`, `0` or `12` into minor units.
    ///
    /// Refuses negatives, signs, exponents, `NaN`, thousands separators and more decimal
    /// digits than the currency has: an amount is either exact or an error.
    pub fn parse_amount(&self, text: &str) -> Result<i64> {
        let bad = |why: String| Error::invalid("price", why);
        let s = text.trim();
        if s.is_empty() {
            return Err(bad(
                "the price is empty; give an amount such as 25 or 19.99".into(),
            ));
        }
        if s.starts_with('-') {
            return Err(bad(format!(
                "'{text}' is negative; a price must be 0 or more"
            )));
        }
        let (whole, frac) = match s.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (s, None),
        };
        let digits_only = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        let example = if self.exponent == 0 { "25" } else { "19.99" };
        if !digits_only(whole) || frac.is_some_and(|f| !digits_only(f)) {
            return Err(bad(format!(
                "'{text}' is not a plain decimal amount; write it like {example} (digits, at most one '.', no sign or exponent)"
            )));
        }
        let frac = frac.unwrap_or("");
        if frac.len() > self.exponent as usize {
            let why = if self.exponent == 0 {
                format!("'{text}' has decimals, but {} has no minor unit", self.code)
            } else {
                format!(
                    "'{text}' has more than {} decimal digits, the most {} allows",
                    self.exponent, self.code
                )
            };
            return Err(bad(why));
        }
        let too_large = || {
            bad(format!(
                "'{text}' is too large; the most a price may be is {}",
                self.format_amount(MAX_AMOUNT_MINOR)
            ))
        };
        let whole = whole.trim_start_matches('0');
        if whole.len() > 15 {
            return Err(too_large());
        }
        let mut minor: i64 = 0;
        let scale = (frac.len()..self.exponent as usize).map(|_| 0u8);
        for digit in whole
            .bytes()
            .chain(frac.bytes())
            .map(|b| b - b'0')
            .chain(scale)
        {
            minor = minor
                .checked_mul(10)
                .and_then(|m| m.checked_add(i64::from(digit)))
                .filter(|m| *m <= MAX_AMOUNT_MINOR)
                .ok_or_else(too_large)?;
        }
        Ok(minor)
    }

    /// Formats minor units as an exact decimal with all of the currency's minor digits:
    /// `19999` → `199.99` for EUR, `500` → `500` for JPY.
    pub fn format_amount(&self, minor: i64) -> String {
        let sign = if minor < 0 { "-" } else { "" };
        let abs = minor.unsigned_abs();
        if self.exponent == 0 {
            return format!("{sign}{abs}");
        }
        let scale = 10u64.pow(self.exponent);
        format!(
            "{sign}{}.{:0width$}",
            abs / scale,
            abs % scale,
            width = self.exponent as usize
        )
    }
}

impl serde::Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.code)
    }
}

impl std::fmt::Display for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn eur() -> Currency {
        Currency::parse("EUR").unwrap()
    }

    #[test]
    fn parses_exact_amounts() {
        assert_eq!(eur().parse_amount("199.99").unwrap(), 19999);
        assert_eq!(eur().parse_amount("0").unwrap(), 0);
        assert_eq!(eur().parse_amount("12").unwrap(), 1200);
        assert_eq!(eur().parse_amount("12.5").unwrap(), 1250);
        assert_eq!(eur().parse_amount("007.05").unwrap(), 705);
        let jpy = Currency::parse("jpy").unwrap();
        assert_eq!(jpy.parse_amount("1500").unwrap(), 1500);
        let kwd = Currency::parse("KWD").unwrap();
        assert_eq!(kwd.parse_amount("1.234").unwrap(), 1234);
    }

    #[test]
    fn refuses_anything_inexact() {
        for bad in [
            "1.234", "-1", "NaN", "nan", "1e3", "", " ", "1.", ".5", "+1", "1,5", "1 000", "inf",
            "0x10", "1.2.3", "١٢",
        ] {
            assert!(
                eur().parse_amount(bad).is_err(),
                "{bad:?} should be refused"
            );
        }
        let jpy = Currency::parse("JPY").unwrap();
        assert!(jpy.parse_amount("1.5").is_err());
        assert!(eur().parse_amount("99999999999999999999").is_err());
        assert!(eur().parse_amount("1000000001").is_err());
        assert_eq!(eur().parse_amount("1000000000").unwrap(), MAX_AMOUNT_MINOR);
        let clf = Currency::parse("CLF").unwrap();
        assert!(clf.parse_amount("999999999999999").is_err());
        assert!(clf.parse_amount("999999999999999.9999").is_err());
    }

    #[test]
    fn messages_name_the_problem() {
        let e = eur().parse_amount("1.234").unwrap_err().to_string();
        assert!(e.contains("price") && e.contains("2 decimal"), "{e}");
        let e = eur().parse_amount("-1").unwrap_err().to_string();
        assert!(e.contains("negative"), "{e}");
    }

    #[test]
    fn formats_with_all_minor_digits() {
        assert_eq!(eur().format_amount(19999), "199.99");
        assert_eq!(eur().format_amount(0), "0.00");
        assert_eq!(eur().format_amount(5), "0.05");
        assert_eq!(Currency::parse("JPY").unwrap().format_amount(500), "500");
        assert_eq!(Currency::parse("BHD").unwrap().format_amount(1500), "1.500");
    }

    #[test]
    fn currency_codes() {
        assert_eq!(Currency::parse("usd").unwrap().code(), "USD");
        assert!(Currency::parse("EURO").is_err());
        assert!(Currency::parse("XYZ").is_err());
        assert!(Currency::parse("").is_err());
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(minor in 0..=MAX_AMOUNT_MINOR, cur in prop::sample::select(vec!["EUR", "JPY", "KWD", "CLF"])) {
            let c = Currency::parse(cur).unwrap();
            prop_assert_eq!(c.parse_amount(&c.format_amount(minor)).unwrap(), minor);
        }

        #[test]
        fn parse_never_panics_and_accepts_only_plain_decimals(s in "\\PC{0,24}") {
            if let Ok(minor) = eur().parse_amount(&s) {
                prop_assert!((0..=MAX_AMOUNT_MINOR).contains(&minor));
                prop_assert!(s.trim().bytes().all(|b| b.is_ascii_digit() || b == b'.'));
            }
        }
    }
}
